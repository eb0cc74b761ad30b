package mw

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// BodyLimitConfig configures the BodyLimit middleware.
type BodyLimitConfig struct {
	// Skipper defines a function to skip the middleware, for routes that
	// stream large bodies under a limit of their own.
	// Optional. Default middleware.DefaultSkipper.
	Skipper middleware.Skipper

	// Limit is the largest body allowed, in bytes.
	// Required.
	Limit int64
}

// BodyLimit answers 413 for bodies over cfg.Limit bytes: at once when the
// Content-Length says so, and otherwise when a read crosses the limit.
//
// Echo's own BodyLimit hands the reader the bytes beyond the limit along
// with its error, so a chunked JSON body that completes in that last read
// still decodes. http.MaxBytesReader never returns a byte past the limit,
// and asks net/http to close the connection after the response.
func BodyLimit(cfg BodyLimitConfig) echo.MiddlewareFunc {
	if cfg.Skipper == nil {
		cfg.Skipper = middleware.DefaultSkipper
	}
	if cfg.Limit <= 0 {
		panic("mw: BodyLimit needs a positive Limit")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			req := c.Request()
			if req.ContentLength > cfg.Limit {
				return &http.MaxBytesError{Limit: cfg.Limit}
			}
			req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, cfg.Limit)
			return next(c)
		}
	}
}
