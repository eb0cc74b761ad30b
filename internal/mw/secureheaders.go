package mw

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// SecureHeadersConfig configures the SecureHeaders middleware.
type SecureHeadersConfig struct {
	// Headers are set on every response, such as X-Content-Type-Options.
	// Required.
	Headers map[string]string

	// TLSHeaders are set only on requests that arrived over TLS, such as
	// Strict-Transport-Security, which a browser ignores on plain HTTP.
	// Optional.
	TLSHeaders map[string]string
}

// SecureHeaders sets fixed security headers on every response. It does the
// job of Echo's Secure middleware from values built once: each response
// gets map entries that share the prebuilt value slices instead of fresh
// allocations, which matters on the hottest path of the service. Sharing is
// safe because Header.Set replaces a slice and Header.Add copies a full one.
func SecureHeaders(cfg SecureHeadersConfig) echo.MiddlewareFunc {
	headers, tlsHeaders := canonical(cfg.Headers), canonical(cfg.TLSHeaders)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			for k, v := range headers {
				h[k] = v
			}
			if c.IsTLS() {
				for k, v := range tlsHeaders {
					h[k] = v
				}
			}
			return next(c)
		}
	}
}

func canonical(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	for k, v := range m {
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
	return h
}
