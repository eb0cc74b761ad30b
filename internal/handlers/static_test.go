package handlers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/static"
)

// pageFixture is a small page tree standing in for web/static.
func pageFixture(t *testing.T) http.Handler {
	t.Helper()
	h, err := static.New(fstest.MapFS{
		"index.html":     {Data: []byte("<!doctype html><title>page</title>")},
		"app.js":         {Data: []byte("console.log('app')")},
		"css/style.css":  {Data: []byte("body{}")},
		".env":           {Data: []byte("SECRET=1")},
		"secret/.hidden": {Data: []byte("x")},
	}, static.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStatic(t *testing.T) {
	s := newFileServer(t, testConfig(), pageFixture(t))
	tests := []struct {
		method, path string
		status       int
		contentType  string
		cacheControl string
		body         string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html><title>page</title>"},
		{"HEAD", "/", 200, "text/html; charset=utf-8", "no-cache", ""},
		{"GET", "/static/app.js", 200, "text/javascript; charset=utf-8", "public, max-age=3600", "console.log('app')"},
		{"HEAD", "/static/app.js", 200, "text/javascript; charset=utf-8", "public, max-age=3600", ""},
		{"GET", "/static/css/style.css", 200, "text/css; charset=utf-8", "public, max-age=3600", "body{}"},
		{"GET", "/static/index.html", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html><title>page</title>"},
		{"GET", "/static/missing.js", 404, MIMEProblemJSON, "", ""},
		{"GET", "/static/.env", 404, MIMEProblemJSON, "", ""},
		{"GET", "/static/css/", 404, MIMEProblemJSON, "", ""},
		{"GET", "/static/", 404, MIMEProblemJSON, "", ""},
		{"GET", "/static/css", 404, MIMEProblemJSON, "", ""},
		{"POST", "/static/app.js", 405, MIMEProblemJSON, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := s.do(t, httptest.NewRequest(tt.method, tt.path, nil))
			if tt.status >= 400 {
				wantProblem(t, rec, tt.status)
				return
			}
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.contentType {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.contentType)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cacheControl {
				t.Errorf("Cache-Control = %q, want %q", got, tt.cacheControl)
			}
			if got := rec.Body.String(); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

func TestStaticRevalidates(t *testing.T) {
	s := newFileServer(t, testConfig(), pageFixture(t))
	for _, path := range []string{"/", "/static/app.js"} {
		t.Run(path, func(t *testing.T) {
			etag := s.get(t, path).Header().Get("Etag")
			if !strings.HasPrefix(etag, `"`) || len(etag) != 66 {
				t.Fatalf("ETag = %q, want a quoted SHA-256", etag)
			}
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				req := httptest.NewRequest(method, path, nil)
				req.Header.Set("If-None-Match", etag)
				if rec := s.do(t, req); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
					t.Errorf("%s: got %d with %d bytes, want 304 with none", method, rec.Code, rec.Body.Len())
				}
				ranged := httptest.NewRequest(method, path, nil)
				ranged.Header.Set("Range", "bytes=0-3")
				if rec := s.do(t, ranged); rec.Code != http.StatusPartialContent {
					t.Errorf("%s with Range: got %d, want 206", method, rec.Code)
				}
			}
		})
	}
	req := httptest.NewRequest(http.MethodGet, "/static/app.js", nil)
	req.Header.Set("Range", "bytes=1000-")
	wantProblem(t, s.do(t, req), http.StatusRequestedRangeNotSatisfiable)
}

// TestStaticWithoutFiles: with no page at all, / answers 404 problem+json.
func TestStaticWithoutFiles(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	wantProblem(t, s.get(t, "/"), http.StatusNotFound)
	wantProblem(t, s.get(t, "/static/app.js"), http.StatusNotFound)
}

// TestStaticTraversal sends hostile paths byte for byte over a real
// connection, as no client library would: each must answer 404
// problem+json, without a redirect and without leaving the root.
func TestStaticTraversal(t *testing.T) {
	s := newFileServer(t, testConfig(), pageFixture(t))
	srv := s.start(t)
	for _, path := range []string{
		"/static/../go.mod",
		"/static/../../../../etc/passwd",
		"/static/..%2f..%2fgo.mod",
		"/static/%2e%2e/%2e%2e/go.mod",
		"/static/%2e%2e%2fgo.mod",
		"/static/..%5c..%5cgo.mod",
		`/static/..\..\go.mod`,
		"/static//etc/passwd",
		"/static/css//style.css",
		"/static/./app.js",
		"/static/app.js/",
		"/static/%2fetc%2fpasswd",
		"/static/secret/.hidden",
		"/static/.env",
		"//evil.example/",
		"/static//evil.example",
		"/static/%00",
	} {
		t.Run(path, func(t *testing.T) {
			res := rawGet(t, srv.Listener.Addr().String(), path)
			if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" {
				t.Fatalf("got %d (Location %q), want 404 and no redirect", res.StatusCode, res.Header.Get("Location"))
			}
			if got := res.Header.Get(echo.HeaderContentType); got != MIMEProblemJSON {
				t.Errorf("Content-Type = %q, want %q", got, MIMEProblemJSON)
			}
			var p Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil || p.Status != http.StatusNotFound {
				t.Errorf("body is not a 404 problem: %+v, %v", p, err)
			}
		})
	}
}

// rawGet sends "GET path" exactly as given and reads the answer.
func rawGet(t *testing.T, addr, path string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", path)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
