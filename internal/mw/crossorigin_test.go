package mw

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestCrossOrigin(t *testing.T) {
	if _, err := CrossOrigin([]string{"not an origin"}); err == nil {
		t.Error("CrossOrigin accepted a trusted origin that is no origin")
	}
	m, err := CrossOrigin([]string{"https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for _, tt := range []struct {
		name, method, site, origin string
		status                     int
	}{
		{"CrossSitePost", http.MethodPost, "cross-site", "https://evil.example", http.StatusForbidden},
		{"CrossSiteGet", http.MethodGet, "cross-site", "https://evil.example", http.StatusNoContent},
		{"SameOrigin", http.MethodPost, "same-origin", "", http.StatusNoContent},
		{"Trusted", http.MethodPost, "cross-site", "https://app.example.com", http.StatusNoContent},
		{"NoBrowser", http.MethodPost, "", "", http.StatusNoContent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/", nil)
			if tt.site != "" {
				req.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if rec := serve(t, m, ok, req); rec.Code != tt.status {
				t.Errorf("%d, want %d", rec.Code, tt.status)
			}
		})
	}
}
