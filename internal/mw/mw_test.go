package mw

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// serve runs h behind m for req, with Echo's default error handler.
func serve(t *testing.T, m echo.MiddlewareFunc, h echo.HandlerFunc, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	e.Use(m)
	e.Any("/", h)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}
