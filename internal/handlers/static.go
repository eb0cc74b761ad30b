package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// handleStatic serves the page's files (Deps.Static, a static.Handler)
// below prefix: with prefix "/static", /static/app.js is app.js; with
// prefix "", / is index.html. The handler refuses traversal, encoded
// slashes and directories with 404 and never redirects; the fileWriter
// holds its refusals back (static's http.Error, ServeContent's 416) and
// they come back here as errors, so they are problem+json like every other
// error.
func handleStatic(files http.Handler, prefix string) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		// The router matched prefix on the raw path, so both forms start
		// with it; trimming both is what http.StripPrefix does.
		u := *req.URL
		u.Path = strings.TrimPrefix(u.Path, prefix)
		u.RawPath = strings.TrimPrefix(u.RawPath, prefix)
		// "/" is index.html on the page route only: /static/ is a directory.
		if prefix != "" && u.Path == "/" {
			return echo.ErrNotFound
		}
		inner := req.WithContext(req.Context()) // a shallow copy
		inner.URL = &u
		w := &fileWriter{res: c.Response()}
		files.ServeHTTP(w, inner)
		return w.err()
	}
}
