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
		Path   string `json:"path"`
		Route  string `json:"route"`
		Level  string `json:"level"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line, got %q", buf.String())
	}
	if line.Status != http.StatusTeapot || line.Path != "/teapot" || line.Route != "/teapot" || line.Level != "WARN" {
		t.Errorf("logged %+v, want status 418, path and route /teapot, level WARN", line)
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

// TestRequestLogLevels: a status below 400 is INFO, 400 to 499 WARN, 500
// and above ERROR, and only an ERROR line carries the error's text; a
// logger above the line's level writes nothing.
func TestRequestLogLevels(t *testing.T) {
	for _, tt := range []struct {
		status    int
		min       slog.Level
		level     string // "" for no line
		withError bool
	}{
		{http.StatusNoContent, slog.LevelInfo, "INFO", false},
		{http.StatusPermanentRedirect, slog.LevelInfo, "INFO", false},
		{http.StatusBadRequest, slog.LevelInfo, "WARN", false},
		{499, slog.LevelInfo, "WARN", false},
		{http.StatusInternalServerError, slog.LevelInfo, "ERROR", true},
		{http.StatusBadRequest, slog.LevelError, "", false},
		{http.StatusInternalServerError, slog.LevelError, "ERROR", true},
	} {
		var buf bytes.Buffer
		log, _ := logging.New(&buf, "json", tt.min)
		e := echo.New()
		e.Use(RequestLog(log))
		e.GET("/s", func(c echo.Context) error {
			if tt.status >= http.StatusBadRequest {
				return echo.NewHTTPError(tt.status).SetInternal(io.ErrUnexpectedEOF)
			}
			return c.NoContent(tt.status)
		})
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/s", nil))
		if tt.level == "" {
			if buf.Len() != 0 {
				t.Errorf("status %d at min level %v: logged %q, want nothing", tt.status, tt.min, buf.String())
			}
			continue
		}
		var line struct {
			Level, Path, Error string
			Status             int
		}
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("status %d: want one JSON line, got %q", tt.status, buf.String())
		}
		if line.Level != tt.level || line.Status != tt.status || (line.Error != "") != tt.withError {
			t.Errorf("status %d: logged %+v, want level %s, error %v", tt.status, line, tt.level, tt.withError)
		}
	}
}
