package handlers

import (
	"net/http"
	"strings"
	"testing"
)

func TestDocs(t *testing.T) {
	s := newTestServer(t, testConfig())
	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/docs/", "text/html", "swagger-ui-bundle.js"},
		{"/docs/swagger-initializer.js", "text/javascript", `url: "/openapi.yaml"`},
		{"/docs/swagger-ui-bundle.js", "javascript", "SwaggerUIBundle"},
		{"/docs/swagger-ui.css", "text/css", ".swagger-ui"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := s.get(t, tt.path)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), tt.wantType) {
				t.Fatalf("got %d %q, want 200 %s", rec.Code, rec.Header().Get("Content-Type"), tt.wantType)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body lacks %q", tt.wantBody)
			}
		})
	}
	if rec := s.get(t, "/docs"); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/docs/" {
		t.Errorf("/docs = %d to %q, want 301 to /docs/", rec.Code, rec.Header().Get("Location"))
	}
	// A miss, a source map and a way out of the embedded assets are all a
	// plain 404: nothing outside them is served, not even the spec, which
	// has its own route.
	for _, bad := range []string{
		"/docs/nope.js", "/docs/swagger-ui-bundle.js.map",
		"/docs/../openapi.yaml", "/docs/%2e%2e/go.mod", "/docs/..%2fopenapi.yaml", "/docs/%2e%2e%2f%2e%2e%2fgo.mod",
		// Files that exist beside the test, for a handler that reads the disk.
		"/docs/../docs.go", "/docs/%2e%2e/docs.go", "/docs/..%2fdocs.go",
	} {
		t.Run(bad, func(t *testing.T) {
			wantProblem(t, s.get(t, bad), http.StatusNotFound)
		})
	}
}
