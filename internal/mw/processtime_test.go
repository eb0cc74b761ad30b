package mw

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestProcessTime(t *testing.T) {
	tests := []struct {
		name string
		h    echo.HandlerFunc
	}{
		{"OK", func(c echo.Context) error { time.Sleep(20 * time.Millisecond); return c.String(200, "ok") }},
		{"Error", func(echo.Context) error { time.Sleep(20 * time.Millisecond); return errors.New("boom") }},
		{"NoContent", func(c echo.Context) error { time.Sleep(20 * time.Millisecond); return c.NoContent(204) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, ProcessTime(), tt.h, httptest.NewRequest(http.MethodGet, "/", nil))
			secs, err := strconv.ParseFloat(rec.Header().Get(HeaderProcessTime), 64)
			if err != nil || secs < 0.02 || secs > 10 {
				t.Errorf("X-Process-Time = %q, want at least 0.02 seconds", rec.Header().Get(HeaderProcessTime))
			}
		})
	}
}
