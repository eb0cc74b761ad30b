package mw

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestHeaderLimit(t *testing.T) {
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	tests := []struct {
		name   string
		value  int
		status int
	}{
		{"Small", 100, http.StatusNoContent},
		{"Large", 2000, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("X-Pad", strings.Repeat("p", tt.value))
			if got := serve(t, HeaderLimit(1024), ok, req).Code; got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
		})
	}
}
