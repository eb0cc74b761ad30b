package mw

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// SecurityHeaders sets headers on every response, and hsts as
// Strict-Transport-Security too when the request came over https as
// c.Scheme() decides (so behind a proxy only a trusted one can say so).
// An empty hsts sends none.
//
// Echo's Secure sets the same headers with a Header().Set each, which
// canonicalises the key and allocates the value on every request; this
// canonicalises once and copies all the values in one allocation
// (BenchmarkSecurityHeaders). Each response gets its own copy, so a
// handler may still change a value in place.
func SecurityHeaders(headers map[string]string, hsts string) echo.MiddlewareFunc {
	keys := make([]string, 0, len(headers))
	values := make([]string, 0, len(headers))
	for k, v := range headers {
		keys = append(keys, http.CanonicalHeaderKey(k))
		values = append(values, v)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			vs := make([]string, len(values), len(values)+1)
			copy(vs, values)
			for i, k := range keys {
				h[k] = vs[i : i+1 : i+1]
			}
			if hsts != "" && c.Scheme() == "https" {
				vs = append(vs, hsts)
				h[echo.HeaderStrictTransportSecurity] = vs[len(vs)-1:]
			}
			return next(c)
		}
	}
}
