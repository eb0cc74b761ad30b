package mw

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

var testSecurityHeaders = map[string]string{
	"x-frame-options":        "DENY", // not canonical: SecurityHeaders canonicalises
	"X-Content-Type-Options": "nosniff",
}

// TestSecurityHeaders: every response carries the headers, on errors too,
// each response its own copy, and HSTS only over https.
func TestSecurityHeaders(t *testing.T) {
	m := SecurityHeaders(testSecurityHeaders, "max-age=60")
	for _, tt := range []struct {
		name     string
		tls      bool
		handler  echo.HandlerFunc
		wantHSTS string
	}{
		{"HTTP", false, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, ""},
		{"HTTPS", true, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, "max-age=60"},
		{"Error", false, func(echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "short and stout") }, ""},
		{"HandlerChangesAValue", false, func(c echo.Context) error {
			c.Response().Header()["X-Frame-Options"][0] = "SAMEORIGIN"
			return c.NoContent(http.StatusNoContent)
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			h := serve(t, m, tt.handler, req).Header()
			wantFrame := "DENY"
			if tt.name == "HandlerChangesAValue" {
				wantFrame = "SAMEORIGIN"
			}
			if got := h.Values("X-Frame-Options"); len(got) != 1 || got[0] != wantFrame {
				t.Errorf("X-Frame-Options = %q, want [%s]", got, wantFrame)
			}
			if got := h.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want [nosniff]", got)
			}
			if got := h.Get(echo.HeaderStrictTransportSecurity); got != tt.wantHSTS {
				t.Errorf("Strict-Transport-Security = %q, want %q", got, tt.wantHSTS)
			}
		})
	}
	// The handler that changed its copy changed no other response's.
	h := serve(t, m, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) },
		httptest.NewRequest(http.MethodGet, "/", nil)).Header()
	if got := h.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("after a handler changed its copy, X-Frame-Options = %q, want DENY", got)
	}
}

// TestSecurityHeadersWithoutHSTS: an empty hsts sends none, even on https.
func TestSecurityHeadersWithoutHSTS(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.TLS = &tls.ConnectionState{}
	h := serve(t, SecurityHeaders(testSecurityHeaders, ""),
		func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, req).Header()
	if _, ok := h[echo.HeaderStrictTransportSecurity]; ok {
		t.Errorf("Strict-Transport-Security = %q, want none", h.Get(echo.HeaderStrictTransportSecurity))
	}
}

// BenchmarkSecurityHeaders compares SecurityHeaders with Echo's Secure set
// up to send the same headers, which it replaced.
func BenchmarkSecurityHeaders(b *testing.B) {
	headers := map[string]string{
		echo.HeaderXContentTypeOptions:   "nosniff",
		echo.HeaderXFrameOptions:         "DENY",
		echo.HeaderContentSecurityPolicy: "default-src 'self'",
		echo.HeaderReferrerPolicy:        "strict-origin-when-cross-origin",
	}
	for _, bm := range []struct {
		name string
		mw   echo.MiddlewareFunc
	}{
		{"SecurityHeaders", SecurityHeaders(headers, "max-age=31536000; includeSubdomains")},
		{"EchoSecure", middleware.SecureWithConfig(middleware.SecureConfig{
			XSSProtection: "", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY", HSTSMaxAge: 31536000,
			ContentSecurityPolicy: "default-src 'self'", ReferrerPolicy: "strict-origin-when-cross-origin",
		})},
	} {
		b.Run(bm.name, func(b *testing.B) {
			e := echo.New()
			e.Use(bm.mw)
			e.GET("/headers", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			w := discardWriter{http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				e.ServeHTTP(w, req)
			}
		})
	}
}
