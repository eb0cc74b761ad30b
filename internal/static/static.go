// Package static serves a small tree of files, such as web/static embedded in
// the binary, with validators that work although embedded files have no
// modification time (golang/go#44854): a strong ETag from each file's
// SHA-256, so browsers revalidate with If-None-Match and get 304.
//
// It never lists directories and never redirects: a path that is not the
// clean, relative name of a regular file answers 404, which keeps requests
// such as /static/..%2f..%2fetc/passwd or //evil.example inside the root and
// on this site.
package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"example.com/echotemplate/internal/httprange"
)

// DefaultMaxAge is how long browsers may reuse a non-HTML asset without
// asking. Asset names carry no content hash, so it is short: after a deploy
// an old stylesheet lives at most this long, and revalidating costs a 304.
const DefaultMaxAge = time.Hour

// Options configures a Handler.
type Options struct {
	// Live reads and hashes a file on every request instead of once in New,
	// so edits on disk show at once, and sends every file with no-cache.
	// Use it when serving STATIC_DIR for development. Optional. Default
	// false.
	Live bool
	// MaxAge is the Cache-Control max-age of non-HTML assets; HTML is always
	// no-cache, so a new page is seen at once and pulls in new assets.
	// Optional. Default DefaultMaxAge.
	MaxAge time.Duration
	// Error writes the response for a status the handler refuses with: 404,
	// 405 or 416. Optional. Default: http.Error with the status text.
	Error func(w http.ResponseWriter, r *http.Request, status int)
}

// Handler serves the files of an fs.FS. Every file it serves is held in
// memory while it is served, and in Live=false mode for the handler's whole
// life: it is meant for a page's worth of assets, not for downloads.
type Handler struct {
	fsys   fs.FS
	opts   Options
	assets map[string]asset // every regular file, by name; nil when Live
}

// asset is one file ready to serve.
type asset struct {
	content     []byte
	etag        string
	contentType string
}

// New returns a Handler serving fsys. Unless opts.Live is set it reads every
// file now and computes its ETag and Content-Type once. For a directory on
// disk pass os.Root's FS (os.OpenRoot(dir) then root.FS()) rather than
// os.DirFS: it refuses symbolic links that lead out of the directory.
func New(fsys fs.FS, opts Options) (*Handler, error) {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Error == nil {
		opts.Error = func(w http.ResponseWriter, _ *http.Request, status int) {
			http.Error(w, http.StatusText(status), status)
		}
	}
	h := &Handler{fsys: fsys, opts: opts}
	if opts.Live {
		return h, nil
	}
	h.assets = make(map[string]asset)
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case name != "." && strings.HasPrefix(d.Name(), "."):
			// Hidden files are never served; do not even hold them.
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case !d.Type().IsRegular():
			return nil // directories, and links that Live mode may follow
		}
		a, err := load(fsys, name)
		h.assets[name] = a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("static: load files: %w", err)
	}
	return h, nil
}

// ServeHTTP serves the file named by the request path, relative to the root:
// "/app.js" is app.js and "/" is index.html.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.opts.Error(w, r, http.StatusMethodNotAllowed)
		return
	}
	name, ok := fileName(r.URL)
	if !ok {
		h.opts.Error(w, r, http.StatusNotFound)
		return
	}
	a, ok := h.asset(name)
	if !ok {
		h.opts.Error(w, r, http.StatusNotFound)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	hdr.Set("Cache-Control", h.cacheControl(a))
	hdr.Set("X-Content-Type-Options", "nosniff")
	r, ok = httprange.Check(r, int64(len(a.content)))
	if !ok {
		hdr.Set("Content-Range", httprange.ContentRange(int64(len(a.content))))
		h.opts.Error(w, r, http.StatusRequestedRangeNotSatisfiable)
		return
	}
	// ServeContent answers If-None-Match against the ETag set above, and
	// HEAD and Range; with no modification time it sends no Last-Modified.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.content))
}

// asset returns the named file, from memory or, when Live, from fsys.
func (h *Handler) asset(name string) (asset, bool) {
	if !h.opts.Live {
		a, ok := h.assets[name]
		return a, ok
	}
	// A directory, a missing file or a link out of an os.Root all fail
	// here, and all answer 404.
	a, err := load(h.fsys, name)
	return a, err == nil
}

func (h *Handler) cacheControl(a asset) string {
	if h.opts.Live || strings.HasPrefix(a.contentType, "text/html") {
		return "no-cache"
	}
	return fmt.Sprintf("public, max-age=%d", int(h.opts.MaxAge.Seconds()))
}

// load reads a file and describes it.
func load(fsys fs.FS, name string) (asset, error) {
	content, err := fs.ReadFile(fsys, name)
	if err != nil {
		return asset{}, err
	}
	sum := sha256.Sum256(content)
	contentType := mime.TypeByExtension(path.Ext(name))
	if contentType == "" {
		contentType = http.DetectContentType(content)
	}
	return asset{
		content:     content,
		etag:        `"` + hex.EncodeToString(sum[:]) + `"`,
		contentType: contentType,
	}, nil
}

// fileName returns the file a request path names, or false for any path
// that is not plainly a file inside the root: an encoded slash or
// backslash, a backslash, an empty, "." or ".." element, a trailing slash,
// or a hidden (dot) file.
func fileName(u *url.URL) (string, bool) {
	// An encoded separator is one thing to a router and another to a file
	// system; refuse it before decoding blurs the difference.
	raw := strings.ToLower(u.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return "", false
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		name = "index.html"
	}
	if strings.Contains(name, `\`) || !fs.ValidPath(name) {
		return "", false
	}
	for elem := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(elem, ".") {
			return "", false
		}
	}
	return name, true
}

// Open returns the handler for the page and its assets: the files of
// builtin, or, when dir (STATIC_DIR) is set, those in dir, read afresh on
// every request so edits show at once. The returned func closes dir.
func Open(builtin fs.FS, dir string, maxAge time.Duration) (*Handler, func(), error) {
	if dir == "" {
		h, err := New(builtin, Options{MaxAge: maxAge})
		if err != nil {
			return nil, nil, fmt.Errorf("load built-in static files: %w", err)
		}
		return h, func() {}, nil
	}
	// os.Root, unlike os.DirFS, refuses symbolic links out of the directory.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("STATIC_DIR: %w", err)
	}
	h, err := New(root.FS(), Options{Live: true, MaxAge: maxAge})
	if err != nil {
		root.Close()
		return nil, nil, fmt.Errorf("STATIC_DIR: %w", err)
	}
	return h, func() { root.Close() }, nil
}
