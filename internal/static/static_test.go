package static

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"example.com/echotemplate/internal/testenv"
	"example.com/echotemplate/web"
)

const (
	indexHTML = "<!DOCTYPE html><title>home</title>"
	styleCSS  = "body { color: black }"
)

// testFS is a static root with a page, an asset, a directory and files that
// must never be served.
func testFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":       {Data: []byte(indexHTML)},
		"style.css":        {Data: []byte(styleCSS)},
		"notes":            {Data: []byte("plain notes without extension")},
		"sub/page.html":    {Data: []byte("<!DOCTYPE html><title>sub</title>")},
		".env":             {Data: []byte("SECRET=1")},
		".git/config":      {Data: []byte("[core]")},
		"sub/.hidden.json": {Data: []byte("{}")},
	}
}

func etagOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func TestServeHTTP(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		wantCode   int
		wantType   string // prefix
		wantCache  string
		wantBody   string
		wantETagOf string
	}{
		{"Index", "/", 200, "text/html", "no-cache", indexHTML, indexHTML},
		{"IndexByName", "/index.html", 200, "text/html", "no-cache", indexHTML, indexHTML},
		{"Asset", "/style.css", 200, "text/css", "public, max-age=3600", styleCSS, styleCSS},
		{"SniffedType", "/notes", 200, "text/plain", "public, max-age=3600", "plain notes without extension", "plain notes without extension"},
		{"Nested", "/sub/page.html", 200, "text/html", "no-cache", "<!DOCTYPE html><title>sub</title>", "<!DOCTYPE html><title>sub</title>"},
		{"Missing", "/nope.js", 404, "", "", "", ""},
		{"Directory", "/sub", 404, "", "", "", ""},
		{"DirectorySlash", "/sub/", 404, "", "", "", ""},
		{"HiddenFile", "/.env", 404, "", "", "", ""},
		{"HiddenDir", "/.git/config", 404, "", "", "", ""},
		{"HiddenNested", "/sub/.hidden.json", 404, "", "", "", ""},
	}
	h := newHandler(t, testFS(), Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))

			if rec.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantCode)
			}
			if loc := rec.Header().Get("Location"); loc != "" {
				t.Errorf("redirects to %q; the handler never redirects", loc)
			}
			if tt.wantCode != 200 {
				return
			}
			hdr := rec.Header()
			if got := hdr.Get("Content-Type"); !strings.HasPrefix(got, tt.wantType) {
				t.Errorf("Content-Type = %q, want %s", got, tt.wantType)
			}
			if got := hdr.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if got, want := hdr.Get("ETag"), etagOf(tt.wantETagOf); got != want {
				t.Errorf("ETag = %q, want %q", got, want)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
		})
	}
}

func TestServeHTTPConditional(t *testing.T) {
	h := newHandler(t, testFS(), Options{MaxAge: 24 * time.Hour})
	tests := []struct {
		name        string
		method      string
		ifNoneMatch string
		wantCode    int
		wantBody    string
	}{
		{"Match", "GET", etagOf(styleCSS), 304, ""},
		{"MatchInList", "GET", `"x", ` + etagOf(styleCSS), 304, ""},
		{"Stale", "GET", etagOf("old"), 200, styleCSS},
		{"None", "GET", "", 200, styleCSS},
		{"Head", "HEAD", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/style.css", nil)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if got, want := rec.Header().Get("Cache-Control"), "public, max-age=86400"; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
		})
	}
}

func TestServeHTTPMethodNotAllowed(t *testing.T) {
	var gotStatus int
	h := newHandler(t, testFS(), Options{Error: func(w http.ResponseWriter, _ *http.Request, status int) {
		gotStatus = status
		w.WriteHeader(status)
	}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/style.css", nil))
	if rec.Code != 405 || gotStatus != 405 {
		t.Errorf("status = %d (Error got %d), want 405", rec.Code, gotStatus)
	}
	if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q, want GET, HEAD", got)
	}
}

// TestServeHTTPTraversal sends hostile request lines through a real server
// with the handler mounted under /static/ as the router will mount it.
func TestServeHTTPTraversal(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "app.js"), []byte("let x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The secret sits beside the static root, one ".." away.
	if err := os.WriteFile(filepath.Join(filepath.Dir(root), "secret"), []byte("SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, live := range []bool{false, true} {
		t.Run(fmt.Sprintf("Live=%v", live), func(t *testing.T) {
			h := newHandler(t, os.DirFS(root), Options{Live: live})
			srv := httptest.NewServer(http.StripPrefix("/static", h))
			defer srv.Close()

			if code, _, _ := rawGet(t, srv, "/static/app.js"); code != 200 {
				t.Fatalf("control request got %d, want 200", code)
			}
			for _, path := range []string{
				"/static/../secret",
				"/static/%2e%2e/secret",
				"/static/%2E%2E/secret",
				"/static/..%2fsecret",
				"/static/..%2Fsecret",
				"/static/.%2e/secret",
				`/static/..\secret`,
				"/static/..%5csecret",
				"/static/%5c%5cevil.example/",
				"/static//evil.example/",
				"/static//secret",
				"/static/./app.js",
				"/static/app.js/",
				"/static/app.js/..",
				"/static/app.js%00",
				"/static/%2fapp.js",
			} {
				code, location, body := rawGet(t, srv, path)
				if code != http.StatusNotFound || location != "" || strings.Contains(body, "SECRET") {
					t.Errorf("GET %s = %d, Location %q, body %q; want a plain 404", path, code, location, body)
				}
			}
		})
	}
}

// rawGet sends path exactly as given on a new connection, bypassing the
// client's URL cleaning, and returns the status, Location and body.
func rawGet(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", path)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

func TestLiveSeesEdits(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.js")
	h := newHandler(t, os.DirFS(dir), Options{Live: true})
	for _, content := range []string{"let a", "let b"} {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app.js", nil))
		if rec.Body.String() != content || rec.Header().Get("ETag") != etagOf(content) {
			t.Errorf("got %q with ETag %s, want %q with %s", rec.Body, rec.Header().Get("ETag"), content, etagOf(content))
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control = %q, want no-cache in Live mode", got)
		}
	}
}

// TestLiveRootRefusesLinkOut shows why STATIC_DIR should be opened with
// os.OpenRoot: its FS will not follow a link out of the directory.
func TestLiveRootRefusesLinkOut(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		testenv.Missing(t, "cannot make a symlink: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := newHandler(t, root.FS(), Options{Live: true})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/link.txt", nil))
	if rec.Code != 404 {
		t.Errorf("link out of the root: status %d, body %q; want 404", rec.Code, rec.Body)
	}
}

func TestEmbeddedFiles(t *testing.T) {
	h := newHandler(t, web.Static(), Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/robots.txt", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("ETag"), `"`) {
		t.Errorf("robots.txt: status %d, ETag %q; want 200 with a strong ETag", rec.Code, rec.Header().Get("ETag"))
	}
}

func newHandler(t *testing.T, fsys fs.FS, opts Options) *Handler {
	t.Helper()
	h, err := New(fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// brokenFS fails every open, as a corrupt embedded tree would.
type brokenFS struct{}

func (brokenFS) Open(string) (fs.File, error) { return nil, fs.ErrPermission }

// TestOpen: without STATIC_DIR the built-in files are served, cached for
// maxAge; with it, the directory's files are, read afresh; a directory that
// cannot be opened, or built-in files that cannot be read, stop the start
// with an error naming the cause.
func TestOpen(t *testing.T) {
	get := func(t *testing.T, h *Handler, path string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	t.Run("Builtin", func(t *testing.T) {
		h, closeDir, err := Open(testFS(), "", 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		defer closeDir()
		rec := get(t, h, "/style.css")
		if rec.Code != http.StatusOK || rec.Body.String() != styleCSS || rec.Header().Get("Cache-Control") != "public, max-age=7200" {
			t.Errorf("got %d %q, Cache-Control %q; want 200 %q, public, max-age=7200", rec.Code, rec.Body, rec.Header().Get("Cache-Control"), styleCSS)
		}
	})
	t.Run("Dir", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "app.js")
		if err := os.WriteFile(file, []byte("let a"), 0o600); err != nil {
			t.Fatal(err)
		}
		h, closeDir, err := Open(testFS(), dir, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		defer closeDir()
		if err := os.WriteFile(file, []byte("let b"), 0o600); err != nil {
			t.Fatal(err)
		}
		if rec := get(t, h, "/app.js"); rec.Code != http.StatusOK || rec.Body.String() != "let b" {
			t.Errorf("/app.js = %d %q, want 200 with the edit, \"let b\"", rec.Code, rec.Body)
		}
		if rec := get(t, h, "/style.css"); rec.Code != http.StatusNotFound {
			t.Errorf("/style.css, built in only = %d, want 404: STATIC_DIR replaces the built-in files", rec.Code)
		}
	})
	for _, tt := range []struct {
		name    string
		builtin fs.FS
		dir     string
		wantErr string
	}{
		{"MissingDir", testFS(), filepath.Join(t.TempDir(), "missing"), "STATIC_DIR: "},
		{"BrokenBuiltin", brokenFS{}, "", "load built-in static files: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, closeDir, err := Open(tt.builtin, tt.dir, time.Hour)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || h != nil || closeDir != nil {
				t.Errorf("Open = %v, %v; want no handler and an error starting %q", h, err, tt.wantErr)
			}
		})
	}
}
