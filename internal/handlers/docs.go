package handlers

import (
	_ "embed"
	"io/fs"
	"net/http"
	"strings"

	"example.com/echotemplate/internal/httprange"

	"github.com/labstack/echo/v4"
	swaggerfiles "github.com/swaggo/files/v2"
)

// swaggerInitializer replaces the one Swagger UI ships, which loads the
// petstore example from the internet.
//
//go:embed assets/swagger-initializer.js
var swaggerInitializer []byte

// handleDocsRedirect sends /docs to /docs/, where the page's relative
// asset links resolve.
func handleDocsRedirect() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/docs/")
	}
}

// docsContentSecurityPolicy is the service's policy plus the hash of the
// one <style> element Swagger UI injects. A new swaggo/files version may
// change it; the browser test reports the violation, with the new hash.
const docsContentSecurityPolicy = "default-src 'self'; script-src 'self'; " +
	"style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// handleDocs serves Swagger UI for api/openapi.yaml, as FastAPI does at
// /docs. The assets come from github.com/swaggo/files/v2 and are built into
// the binary, so the page works offline and within the CSP.
func handleDocs() echo.HandlerFunc {
	return func(c echo.Context) error {
		name := c.Param("*")
		switch {
		case name == "" || name == "index.html":
			name = "index.html"
			c.Response().Header().Set("Content-Security-Policy", docsContentSecurityPolicy)
		case name == "swagger-initializer.js":
			return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", swaggerInitializer)
		case strings.HasSuffix(name, ".map"):
			return echo.ErrNotFound // Source maps are for the UI's own developers.
		}
		// The service's one Range policy, as on every file route.
		if info, err := fs.Stat(swaggerfiles.FS, name); err == nil {
			r, ok := httprange.Check(c.Request(), info.Size())
			if !ok {
				c.Response().Header().Set("Content-Range", httprange.ContentRange(info.Size()))
				return echo.NewHTTPError(http.StatusRequestedRangeNotSatisfiable, "No byte of the file is in the requested range.")
			}
			c.SetRequest(r)
		}
		return echo.StaticFileHandler(name, swaggerfiles.FS)(c)
	}
}
