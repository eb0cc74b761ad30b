package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCrossOriginBrowserPostsAreRefused: a page on another site cannot make
// its visitors' browsers post here (403 problem+json), while the page's own
// requests, a listed CORS origin, clients that send no browser headers
// (curl), and every site under CORS_ALLOW_ORIGINS=* get through to the
// route (which then answers 404 here: no route needs to exist to be guarded).
func TestCrossOriginBrowserPostsAreRefused(t *testing.T) {
	open := testConfig()
	open.AllowOrigins = []string{"*"}
	for _, tt := range []struct {
		name    string
		cfg     Config
		headers map[string]string
		refused bool
	}{
		{"another site", testConfig(), map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, true},
		{"another site, old browser", testConfig(), map[string]string{"Origin": "https://evil.example"}, true},
		{"the page itself", testConfig(), map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, false},
		{"a listed origin", testConfig(), map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": testConfig().AllowOrigins[0]}, false},
		{"curl", testConfig(), nil, false},
		{"any site under *", open, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.cfg)
			req := httptest.NewRequest(http.MethodPost, "/headers", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.e.ServeHTTP(rec, req)
			if tt.refused {
				if rec.Code != http.StatusForbidden || rec.Header().Get("Content-Type") != MIMEProblemJSON {
					t.Errorf("got %d %s, want 403 problem+json", rec.Code, rec.Header().Get("Content-Type"))
				}
				return
			}
			if rec.Code == http.StatusForbidden {
				t.Errorf("refused with 403: %s", rec.Body)
			}
		})
	}
}
