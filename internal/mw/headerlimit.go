package mw

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// HeaderLimit answers 431 when the request line and headers together are
// larger than limit bytes. net/http enforces http.Server.MaxHeaderBytes
// itself, but answers with a plain-text body; this middleware runs under a
// smaller limit so that clients get the service's usual problem+json, and
// MaxHeaderBytes stays as the hard stop behind it.
//
// Echo has no header limit of its own.
func HeaderLimit(limit int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if headerSize(c.Request()) > limit {
				return echo.NewHTTPError(http.StatusRequestHeaderFieldsTooLarge,
					"The request headers are too large.")
			}
			return next(c)
		}
	}
}

// headerSize approximates the bytes of the request line and header block
// as they came over the wire.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	return n + len(r.Host) + 8 // the Host header, which net/http moves out of r.Header
}
