package mw

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

type observed struct {
	method, route string
	status        int
}

type fakeObserver struct {
	mu       sync.Mutex
	inFlight int
	done     []observed
}

func (f *fakeObserver) RequestStarted() { f.mu.Lock(); f.inFlight++; f.mu.Unlock() }

func (f *fakeObserver) RequestDone(method, route string, status int, _ time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	f.done = append(f.done, observed{method, route, status})
}

func TestMetricsLabelsRoutePatterns(t *testing.T) {
	obs := &fakeObserver{}
	e := echo.New()
	e.Use(Metrics(obs))
	e.GET("/items/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })
	e.GET("/fail", func(echo.Context) error { return errors.New("boom") })

	for _, path := range []string{"/items/1", "/items/2", "/nowhere/1", "/nowhere/2", "/fail"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	want := []observed{
		{"GET", "/items/:id", 200}, {"GET", "/items/:id", 200},
		{"GET", unmatchedRoute, 404}, {"GET", unmatchedRoute, 404},
		{"GET", "/fail", 500},
	}
	if len(obs.done) != len(want) || obs.inFlight != 0 {
		t.Fatalf("observed %v with %d in flight, want %v and none", obs.done, obs.inFlight, want)
	}
	for i := range want {
		if obs.done[i] != want[i] {
			t.Errorf("request %d observed as %+v, want %+v", i, obs.done[i], want[i])
		}
	}
}

// TestMetricsRecordsWhatTheErrorHandlerWrites: an error the handler returns
// is written by the service's error handler before it is recorded, so the
// label is the client's status, not a guess from the error.
func TestMetricsRecordsWhatTheErrorHandlerWrites(t *testing.T) {
	obs := &fakeObserver{}
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			_ = c.NoContent(http.StatusRequestEntityTooLarge)
			return
		}
		_ = c.NoContent(http.StatusInternalServerError)
	}
	e.Use(Metrics(obs))
	e.POST("/big", func(echo.Context) error { return &http.MaxBytesError{Limit: 1} })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/big", nil))
	if len(obs.done) != 1 || obs.done[0].status != http.StatusRequestEntityTooLarge || rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("recorded %+v, client got %d; want 413 for both", obs.done, rec.Code)
	}
}
