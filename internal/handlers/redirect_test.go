package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRedirect(t *testing.T) {
	s := newTestServer(t, testConfig())
	t.Run("Default", func(t *testing.T) {
		rec := s.get(t, "/redirect")
		if rec.Code != http.StatusTemporaryRedirect || rec.Header().Get("Location") != "https://echo.labstack.com/" {
			t.Errorf("got %d to %q, want 307 to REDIRECT_URL", rec.Code, rec.Header().Get("Location"))
		}
	})
	for _, to := range []string{
		"https://echo.labstack.com/guide/",
		"http://ECHO.labstack.com/",
		"/headers",
		"/docs?x=1#top",
	} {
		t.Run("Allowed "+to, func(t *testing.T) {
			rec := s.get(t, "/redirect?to="+url.QueryEscape(to))
			if rec.Code != http.StatusTemporaryRedirect || rec.Header().Get("Location") != to {
				t.Errorf("got %d to %q, want 307 to %q", rec.Code, rec.Header().Get("Location"), to)
			}
		})
	}
	for _, to := range []string{
		"",
		"//evil.example",
		"//evil.example/path",
		"/\\evil.example",
		"\\\\evil.example",
		"javascript:alert(1)",
		"data:text/html,hi",
		"https:evil.example",
		"https://evil.example/",
		"https://echo.labstack.com@evil.example/",
		"https://user:pw@echo.labstack.com/",
		"https://echo.labstack.com.evil.example/",
		// The allowlist names hosts, not domains: a host that merely
		// ends in an allowed one, or a subdomain of it, is another site.
		"https://notecho.labstack.com/",
		"https://www.echo.labstack.com/",
		"http://evilecho.labstack.com/",
		"/ok\r\nSet-Cookie: x=y",
		"https://echo.labstack.com/\nx",
		"ftp://echo.labstack.com/",
	} {
		t.Run("Refused "+url.QueryEscape(to), func(t *testing.T) {
			rec := s.get(t, "/redirect?to="+url.QueryEscape(to))
			wantProblem(t, rec, http.StatusBadRequest)
			if loc := rec.Header().Get("Location"); loc != "" {
				t.Errorf("Location = %q on a refused redirect", loc)
			}
		})
	}
}
