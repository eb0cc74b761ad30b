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

// TestHeaderSize: the request line, every header line and the Host header
// are counted as they come over the wire, so a limit of exactly that size
// passes and one byte less refuses.
func TestHeaderSize(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/?q=1", nil)
	req.Host = "example.com"
	req.Header.Set("Accept", "text/plain")
	req.Header.Add("X-Two", "a")
	req.Header.Add("X-Two", "bc")
	// "GET /?q=1 HTTP/1.1\r\n", then "Accept: text/plain\r\n",
	// "X-Two: a\r\n", "X-Two: bc\r\n" and "Host: example.com\r\n".
	want := len("GET /?q=1 HTTP/1.1\r\n") + len("Accept: text/plain\r\n") + len("X-Two: a\r\n") +
		len("X-Two: bc\r\n") + len("Host: example.com\r\n")
	if got := headerSize(req); got != want {
		t.Fatalf("headerSize = %d, want %d", got, want)
	}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	if rec := serve(t, HeaderLimit(want), ok, req); rec.Code != http.StatusNoContent {
		t.Errorf("a limit of exactly the size: %d, want 204", rec.Code)
	}
	if rec := serve(t, HeaderLimit(want-1), ok, req); rec.Code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a limit one byte short: %d, want 431", rec.Code)
	}
}
