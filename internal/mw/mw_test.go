package mw

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// serve runs h behind m for req, with Echo's default error handler.
func serve(t *testing.T, m echo.MiddlewareFunc, h echo.HandlerFunc, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	e.Use(m)
	e.Any("/", h)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestChainRunsInOrderAroundTheRoutersChoice: Chain runs its middleware
// outermost first around the matched handler, and around the router's 404
// and 405 answers too, as e.Use would.
func TestChainRunsInOrderAroundTheRoutersChoice(t *testing.T) {
	var trace []string
	step := func(name string) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				trace = append(trace, name)
				return next(c)
			}
		}
	}
	e := echo.New()
	e.Use(Chain(step("a"), step("b")))
	e.GET("/x", func(c echo.Context) error {
		trace = append(trace, "handler")
		return c.NoContent(http.StatusNoContent)
	})
	for _, tt := range []struct {
		method, path string
		status       int
		trace        string
	}{
		{http.MethodGet, "/x", http.StatusNoContent, "a b handler"},
		{http.MethodGet, "/nowhere", http.StatusNotFound, "a b"},
		{http.MethodPost, "/x", http.StatusMethodNotAllowed, "a b"},
	} {
		trace = nil
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || strings.Join(trace, " ") != tt.trace {
			t.Errorf("%s %s: %d, ran %q; want %d, %q", tt.method, tt.path, rec.Code, trace, tt.status, tt.trace)
		}
	}
}
