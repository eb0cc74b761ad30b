package mw

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestSecureHeaders(t *testing.T) {
	m := SecureHeaders(SecureHeadersConfig{
		Headers:    map[string]string{"x-frame-options": "DENY"},
		TLSHeaders: map[string]string{"Strict-Transport-Security": "max-age=60"},
	})
	h := func(c echo.Context) error {
		// A handler changing a shared header must not change it for others.
		if c.QueryParam("change") != "" {
			c.Response().Header().Add("X-Frame-Options", "SAMEORIGIN")
		}
		return c.NoContent(http.StatusNoContent)
	}

	serve(t, m, h, httptest.NewRequest(http.MethodGet, "/?change=1", nil))
	plain := serve(t, m, h, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := plain.Header().Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("X-Frame-Options = %q, want [DENY]", got)
	}
	if got := plain.Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS on plain HTTP = %q, want none", got)
	}

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.TLS = &tls.ConnectionState{}
	if got := serve(t, m, h, req).Header().Get("Strict-Transport-Security"); got != "max-age=60" {
		t.Errorf("HSTS on TLS = %q, want max-age=60", got)
	}
}
