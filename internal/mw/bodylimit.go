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
	// Optional. Default 1 MiB.
	Limit int64
}

// DefaultBodyLimitConfig is the default BodyLimit configuration.
var DefaultBodyLimitConfig = BodyLimitConfig{
	Skipper: middleware.DefaultSkipper,
	Limit:   1 << 20,
}

// BodyLimit returns a BodyLimit middleware for bodies of up to limit bytes.
func BodyLimit(limit int64) echo.MiddlewareFunc {
	cfg := DefaultBodyLimitConfig
	cfg.Limit = limit
	return BodyLimitWithConfig(cfg)
}

// BodyLimitWithConfig returns a middleware that answers 413 for bodies
// over cfg.Limit bytes: at once when the Content-Length says so, and
// otherwise when a read crosses the limit. http.MaxBytesReader never
// returns a byte past the limit, and asks net/http to close the connection
// after the response.
//
// Echo's BodyLimit is not used: it hands the reader the bytes past the
// limit with its error, so a chunked JSON body that ends in that read still
// decodes (TestErrorShapes/BodyTooLargeChunked).
func BodyLimitWithConfig(cfg BodyLimitConfig) echo.MiddlewareFunc {
	if cfg.Skipper == nil {
		cfg.Skipper = DefaultBodyLimitConfig.Skipper
	}
	if cfg.Limit == 0 {
		cfg.Limit = DefaultBodyLimitConfig.Limit
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			// net/http gives a request without a body http.NoBody: nothing
			// to limit, and no reader to allocate.
			if req.Body == http.NoBody || cfg.Skipper(c) {
				return next(c)
			}
			if req.ContentLength > cfg.Limit {
				return &http.MaxBytesError{Limit: cfg.Limit}
			}
			req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, cfg.Limit)
			return next(c)
		}
	}
}
