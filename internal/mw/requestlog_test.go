package mw

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"example.com/echotemplate/internal/logging"
)

// TestRequestLogRecordsFinalStatus checks echo#2015: the line must show
// the status the error handler wrote, not the 200 the response started as.
func TestRequestLogRecordsFinalStatus(t *testing.T) {
	var buf bytes.Buffer
	log, _ := logging.New(&buf, "json", 0)
	e := echo.New()
	e.Use(RequestLog(log))
	e.GET("/teapot", func(echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "short and stout") })
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/teapot", nil))

	var line struct {
		Status int    `json:"status"`
		Route  string `json:"route"`
		Level  string `json:"level"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line, got %q", buf.String())
	}
	if line.Status != http.StatusTeapot || line.Route != "/teapot" || line.Level != "WARN" {
		t.Errorf("logged %+v, want status 418, route /teapot, level WARN", line)
	}
}

// BenchmarkRequestLog compares RequestLog with Echo's RequestLogger set up
// to log the same line, which it replaced.
func BenchmarkRequestLog(b *testing.B) {
	log, _ := logging.New(io.Discard, "json", slog.LevelInfo)
	echoLogger := middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		HandleError: true, LogLatency: true, LogRemoteIP: true, LogMethod: true, LogURIPath: true,
		LogRoutePath: true, LogStatus: true, LogError: true, LogUserAgent: true, LogResponseSize: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("path", v.URIPath), slog.String("route", v.RoutePath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency), slog.Int64("bytes_out", v.ResponseSize),
				slog.String("remote_ip", v.RemoteIP), slog.String("user_agent", v.UserAgent))
			return nil
		},
	})
	for _, bm := range []struct {
		name string
		mw   echo.MiddlewareFunc
	}{{"RequestLog", RequestLog(log)}, {"EchoRequestLogger", echoLogger}} {
		b.Run(bm.name, func(b *testing.B) {
			e := echo.New()
			e.Use(bm.mw)
			e.GET("/headers", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.Header.Set("User-Agent", "bench/1.0")
			w := discardWriter{http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				e.ServeHTTP(w, req)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so a benchmark
// measures the handler rather than a recorder.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}
