package handlers

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSetCookie(t *testing.T) {
	tests := []struct {
		name       string
		secureConf bool
		tls        bool
		wantSecure bool
	}{
		{"PlainHTTP", false, false, false},
		{"HTTPS", false, true, true},
		{"CookieSecureSetting", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.CookieSecure = tt.secureConf
			req := httptest.NewRequest(http.MethodGet, "/set-cookie", nil)
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := newTestServer(t, cfg).do(t, req)
			if got, want := strings.TrimSpace(rec.Body.String()), `{"message":"Cookie set: user=fake-user"}`; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("got %d cookies, want 1", len(cookies))
			}
			c := cookies[0]
			if c.Name != "user" || c.Value != "fake-user" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie = %s, want user=fake-user; Path=/; HttpOnly; SameSite=Lax", rec.Header().Get("Set-Cookie"))
			}
			if c.Secure != tt.wantSecure {
				t.Errorf("Secure = %v, want %v", c.Secure, tt.wantSecure)
			}
		})
	}
}

func TestSignedCookie(t *testing.T) {
	s := newTestServer(t, testConfig())
	set := s.get(t, "/set-signed-cookie?user=alice")
	if set.Code != http.StatusOK {
		t.Fatalf("set: status %d: %s", set.Code, set.Body)
	}
	if got, want := strings.TrimSpace(set.Body.String()), `{"message":"Signed cookie set: session for user alice"}`; got != want {
		t.Errorf("set: body = %s, want %s", got, want)
	}
	cookie := set.Result().Cookies()[0]
	if cookie.Name != "session" || !cookie.HttpOnly || strings.Contains(cookie.Value, "alice") && len(cookie.Value) < 20 {
		t.Fatalf("cookie = %+v, want a signed session cookie", cookie)
	}

	read := func(value string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/read-signed-cookie", nil)
		if value != "" {
			req.AddCookie(&http.Cookie{Name: "session", Value: value})
		}
		return s.do(t, req)
	}
	t.Run("Valid", func(t *testing.T) {
		rec := read(cookie.Value)
		if got, want := strings.TrimSpace(rec.Body.String()), `{"user":"alice"}`; rec.Code != 200 || got != want {
			t.Errorf("got %d %s, want 200 %s", rec.Code, got, want)
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		b := []byte(cookie.Value)
		b[len(b)/2] ^= 1
		wantProblem(t, read(string(b)), http.StatusUnauthorized)
	})
	t.Run("Forged", func(t *testing.T) {
		wantProblem(t, read("alice"), http.StatusUnauthorized)
	})
	t.Run("OtherKey", func(t *testing.T) {
		other := testConfig()
		other.CookieHashKey = []byte(strings.Repeat("z", 32))
		forged := newTestServer(t, other).get(t, "/set-signed-cookie?user=admin").Result().Cookies()[0]
		wantProblem(t, read(forged.Value), http.StatusUnauthorized)
	})
	t.Run("Missing", func(t *testing.T) {
		wantProblem(t, read(""), http.StatusUnauthorized)
	})
	t.Run("InvalidUser", func(t *testing.T) {
		p := wantProblem(t, s.get(t, "/set-signed-cookie?user=bob%3B+admin%3Dtrue"), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "user" {
			t.Errorf("errors = %+v, want one for user", p.Errors)
		}
	})
}
