package handlers

import (
	"crypto/tls"
	"errors"
	"net"
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
				"X-Xss-Protection":       "", // Obsolete; the CSP replaces it.
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

// TestHSTS: Strict-Transport-Security goes out on TLS, and behind a
// trusted TLS-terminating proxy, never because a client says https.
func TestHSTS(t *testing.T) {
	_, proxies, _ := net.ParseCIDR("10.0.0.0/8")
	tests := []struct {
		name           string
		trusted        bool   // 10.0.0.0/8 is in TrustedProxies
		tls            bool   // the request arrived over TLS
		forwardedProto string // the X-Forwarded-Proto it carries
		want           bool
	}{
		{"PlainHTTP", false, false, "", false},
		{"TLS", false, true, "", true},
		// Echo's default would believe a peer on a private network.
		{"ForwardedByUntrustedPeer", false, false, "https", false},
		{"ForwardedByTrustedProxy", true, false, "https", true},
		{"TrustedProxyForwardsHTTP", true, false, "http", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.trusted {
				cfg.TrustedProxies = []*net.IPNet{proxies}
			}
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.RemoteAddr = "10.1.2.3:4567"
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tt.forwardedProto != "" {
				req.Header.Set(echo.HeaderXForwardedProto, tt.forwardedProto)
			}
			got := newTestServer(t, cfg).do(t, req).Header().Get(echo.HeaderStrictTransportSecurity)
			if tt.want && !strings.HasPrefix(got, "max-age=31536000") {
				t.Errorf("Strict-Transport-Security = %q, want max-age=31536000", got)
			}
			if !tt.want && got != "" {
				t.Errorf("Strict-Transport-Security = %q, want none", got)
			}
		})
	}
}

// TestRecover checks what TestErrorShapes/Panic does not: the stack is in
// the log, a panicked *echo.HTTPError is still a bare 500, and
// http.ErrAbortHandler, net/http's way to abort a response on purpose,
// passes through.
func TestRecover(t *testing.T) {
	s := newTestServer(t, testConfig())
	s.e.GET("/test/panic", func(echo.Context) error { panic("disk on fire") })
	s.e.GET("/test/abort", func(echo.Context) error { panic(http.ErrAbortHandler) })
	s.e.GET("/test/panic-http", func(echo.Context) error { panic(echo.NewHTTPError(http.StatusTeapot, "Short and stout.")) })

	t.Run("LogsStack", func(t *testing.T) {
		s.logs.Reset()
		wantProblem(t, s.get(t, "/test/panic"), http.StatusInternalServerError)
		if !strings.Contains(s.logs.String(), "disk on fire") || !strings.Contains(s.logs.String(), "middleware_test.go") {
			t.Errorf("log lacks the panic value or its stack:\n%s", s.logs)
		}
	})
	t.Run("PanickedHTTPErrorIs500", func(t *testing.T) {
		// A panic is a bug, whatever value it carries.
		p := wantProblem(t, s.get(t, "/test/panic-http"), http.StatusInternalServerError)
		if strings.Contains(p.Detail, "stout") {
			t.Errorf("detail %q shows the panic value", p.Detail)
		}
	})
	t.Run("RepanicsAbortHandler", func(t *testing.T) {
		defer func() {
			if r, _ := recover().(error); !errors.Is(r, http.ErrAbortHandler) {
				t.Errorf("recovered %v, want http.ErrAbortHandler to pass through", r)
			}
		}()
		s.e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/test/abort", nil))
	})
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
