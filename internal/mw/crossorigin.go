package mw

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// CrossOrigin answers 403 to a browser's cross-origin request that could
// change state (any method but GET, HEAD and OPTIONS), so that no other
// site can make its visitors' browsers post to this service: upload files,
// or send mail to anyone. It is net/http's CrossOriginProtection (the
// Sec-Fetch-Site header, else Origin against Host) with the trusted origins
// added; same-origin requests, such as the page's own, and clients that
// send neither header, such as curl, pass.
//
// Echo v4.16's CSRF middleware is token-based and needs a form field or
// header from the page; this needs nothing from it.
func CrossOrigin(trusted []string) (echo.MiddlewareFunc, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cop.Check(c.Request()) != nil {
				return echo.NewHTTPError(http.StatusForbidden,
					"Cross-origin browser requests may not change anything here.")
			}
			return next(c)
		}
	}, nil
}
