package handlers

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestMiddlewareStack checks what every response carries, whatever route
// answered it.
func TestMiddlewareStack(t *testing.T) {
	s := newTestServer(t, testConfig())
	for _, target := range []string{"/headers", "/no/such/path"} {
		t.Run(target, func(t *testing.T) {
			rec := s.get(t, target)
			secs, err := strconv.ParseFloat(rec.Header().Get("X-Process-Time"), 64)
			if err != nil || secs < 0 || secs > 5 {
				t.Errorf("X-Process-Time = %q, want seconds", rec.Header().Get("X-Process-Time"))
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
				"Referrer-Policy":        "strict-origin-when-cross-origin",
			} {
				if got := rec.Header().Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", csp)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	s := newTestServer(t, testConfig())
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"Sane", "req-42_a.b:c", true},
		{"Missing", "", false},
		{"TooLong", strings.Repeat("a", 129), false},
		{"Hostile", "abc\" onload=x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.logs.Reset()
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			if tt.sent != "" {
				req.Header.Set(echo.HeaderXRequestID, tt.sent)
			}
			got := s.do(t, req).Header().Get(echo.HeaderXRequestID)
			if tt.kept && got != tt.sent {
				t.Errorf("X-Request-ID = %q, want the client's %q", got, tt.sent)
			}
			if !tt.kept && (got == tt.sent || len(got) != 32) {
				t.Errorf("X-Request-ID = %q, want a new 32-digit id", got)
			}
			if !strings.Contains(s.logs.String(), `"request_id":"`+got+`"`) {
				t.Errorf("request log does not carry request_id %q:\n%s", got, s.logs)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	s := newTestServer(t, testConfig())
	tests := []struct {
		origin  string
		allowed bool
	}{
		{"http://localhost:8080", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080.evil.example", false},
		{"https://localhost:8080", false},
		{"http://localhost:8081", false},
		{"null", false},
		{"http://evil.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			pre := httptest.NewRequest(http.MethodOptions, "/headers", nil)
			pre.Header.Set("Origin", tt.origin)
			pre.Header.Set("Access-Control-Request-Method", "GET")
			rec := s.do(t, pre)
			if rec.Code != http.StatusNoContent {
				t.Errorf("preflight status = %d, want 204", rec.Code)
			}
			got := rec.Header().Get("Access-Control-Allow-Origin")
			if tt.allowed && got != tt.origin {
				t.Errorf("preflight Access-Control-Allow-Origin = %q, want %q", got, tt.origin)
			}
			if !tt.allowed && got != "" {
				t.Errorf("preflight Access-Control-Allow-Origin = %q, want none", got)
			}
			if tt.allowed && !strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") {
				t.Errorf("Access-Control-Allow-Methods = %q, want POST in it", rec.Header().Get("Access-Control-Allow-Methods"))
			}

			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.Header.Set("Origin", tt.origin)
			got = s.do(t, req).Header().Get("Access-Control-Allow-Origin")
			if (got != "") != tt.allowed {
				t.Errorf("simple request Access-Control-Allow-Origin = %q, allowed %v", got, tt.allowed)
			}
		})
	}
}

func TestClientIPIgnoresUntrustedForwardedFor(t *testing.T) {
	s := newTestServer(t, testConfig())
	req := httptest.NewRequest(http.MethodGet, "/headers", nil)
	req.RemoteAddr = "192.0.2.10:1234"
	req.Header.Set("X-Forwarded-For", "203.0.113.99")
	s.do(t, req)
	if !strings.Contains(s.logs.String(), `"remote_ip":"192.0.2.10"`) || strings.Contains(s.logs.String(), "203.0.113.99") {
		t.Errorf("logged client address should be the peer, not the header:\n%s", s.logs)
	}
}
