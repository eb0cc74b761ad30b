package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCORSWildcard: CORS_ALLOW_ORIGINS=* lets any site call the service
// with CORS, but never with credentials, which config refuses to pair with
// "*" (TestCORS covers the exact list).
func TestCORSWildcard(t *testing.T) {
	for _, origins := range [][]string{{"*"}, {"https://app.example", "*"}} {
		cfg := testConfig()
		cfg.AllowOrigins = origins
		s := newTestServer(t, cfg)
		for _, origin := range []string{"https://app.example", "http://evil.example", "http://localhost:3000"} {
			t.Run(strings.Join(origins, ",")+" "+origin, func(t *testing.T) {
				pre := httptest.NewRequest(http.MethodOptions, "/headers", nil)
				pre.Header.Set("Origin", origin)
				pre.Header.Set("Access-Control-Request-Method", "POST")
				rec := s.do(t, pre)
				if rec.Code != http.StatusNoContent {
					t.Errorf("preflight status = %d, want 204", rec.Code)
				}
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != origin {
					t.Errorf("preflight Access-Control-Allow-Origin = %q, want %q", got, origin)
				}
				if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
					t.Errorf("preflight Access-Control-Allow-Credentials = %q, want none", got)
				}

				req := httptest.NewRequest(http.MethodGet, "/headers", nil)
				req.Header.Set("Origin", origin)
				rec = s.do(t, req)
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != origin {
					t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, origin)
				}
				if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
					t.Errorf("Access-Control-Allow-Credentials = %q, want none", got)
				}
			})
		}
	}
}

// TestCORSCredentials: with CORS_ALLOW_CREDENTIALS=true a listed origin may
// send cookies, and an origin not listed still gets no CORS answer.
func TestCORSCredentials(t *testing.T) {
	cfg := testConfig()
	cfg.AllowOrigins = []string{"https://app.example"}
	cfg.AllowCredentials = true
	s := newTestServer(t, cfg)
	for _, tt := range []struct {
		origin, wantOrigin, wantCredentials string
	}{
		{"https://app.example", "https://app.example", "true"},
		{"http://evil.example", "", ""},
	} {
		t.Run(tt.origin, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.Header.Set("Origin", tt.origin)
			rec := s.do(t, req)
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != tt.wantCredentials {
				t.Errorf("Access-Control-Allow-Credentials = %q, want %q", got, tt.wantCredentials)
			}
		})
	}
}
