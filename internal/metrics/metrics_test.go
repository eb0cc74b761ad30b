package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status %d", rec.Code)
	}
	return string(body)
}

func TestMetrics(t *testing.T) {
	m := New()
	m.RequestStarted()
	m.RequestStarted()
	m.RequestDone("GET", "/download/:id", 200, 3*time.Millisecond)
	depth := 7.0
	m.AddSource(func() []Stat {
		return []Stat{
			{Name: "tasks_queue_depth", Help: "Jobs waiting.", Value: depth},
			{Name: "ws_dropped_total", Help: "Slow clients dropped.", Counter: true, Value: 2},
		}
	})

	out := scrape(t, m)
	for _, want := range []string{
		`app_http_requests_total{method="GET",route="/download/:id",status="200"} 1`,
		`app_http_request_duration_seconds_count{method="GET",route="/download/:id"} 1`,
		`app_http_requests_in_flight 1`,
		`app_tasks_queue_depth 7`,
		`app_ws_dropped_total 2`,
		`# TYPE app_ws_dropped_total counter`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	depth = 3
	if out := scrape(t, m); !strings.Contains(out, "app_tasks_queue_depth 3") {
		t.Error("gauge func not read at scrape time")
	}
}

func TestInstancesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.RequestStarted()
	a.RequestDone("GET", "/x", 200, time.Millisecond)
	if strings.Contains(scrape(t, b), `route="/x"`) {
		t.Error("a request recorded in one registry shows in another")
	}
}
