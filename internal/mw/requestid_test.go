package mw

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/logging"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name, sent, want string
	}{
		{"KeepsSane", "abc-123", "abc-123"},
		{"ReplacesMissing", "", "generated"},
		{"ReplacesNewline", "abc\ndef", "generated"},
		{"ReplacesSpaces", "a b", "generated"},
		{"ReplacesTooLong", strings.Repeat("x", 129), "generated"},
		{"KeepsLongest", strings.Repeat("x", 128), strings.Repeat("x", 128)},
	}
	m := RequestIDWithConfig(RequestIDConfig{Generator: func() string { return "generated" }})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.sent != "" {
				req.Header[echo.HeaderXRequestID] = []string{tt.sent}
			}
			var inCtx string
			rec := serve(t, m, func(c echo.Context) error {
				inCtx = logging.RequestID(c.Request().Context())
				return c.NoContent(http.StatusNoContent)
			}, req)
			if got := rec.Header().Get(echo.HeaderXRequestID); got != tt.want || inCtx != tt.want {
				t.Errorf("header %q, context %q, want %q", got, inCtx, tt.want)
			}
		})
	}
}

func TestRandomIDIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := randomID()
		if len(id) != 32 || seen[id] {
			t.Fatalf("randomID() = %q: want 32 hex digits, never repeated", id)
		}
		seen[id] = true
	}
}

// TestSaneRequestID: exactly letters, digits and - _ . : in 1 to 128
// characters; the neighbours of each range are refused.
func TestSaneRequestID(t *testing.T) {
	for _, ok := range []string{"a", "z", "A", "Z", "0", "9", "-", "_", ".", ":", strings.Repeat("x", maxRequestIDLen)} {
		if !saneRequestID(ok) {
			t.Errorf("saneRequestID(%q) = false, want true", ok)
		}
	}
	for _, bad := range []string{"", "`", "{", "@", "[", "/", ";", " ", "+", "é", strings.Repeat("x", maxRequestIDLen+1)} {
		if saneRequestID(bad) {
			t.Errorf("saneRequestID(%q) = true, want false", bad)
		}
	}
}
