package mw

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

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
