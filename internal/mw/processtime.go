package mw

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderProcessTime is the tutorial's response header: the seconds the
// server spent on the request before it wrote the response headers.
const HeaderProcessTime = "X-Process-Time"

// ProcessTime sets X-Process-Time just before the response headers are
// written. Setting it from a Before hook rather than after next returns is
// what puts it on every response, including errors and 404s: by the time
// next returns, the headers are usually already on the wire.
//
// Echo has no such middleware.
func ProcessTime() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			res := c.Response()
			res.Before(func() {
				secs := time.Since(start).Seconds()
				res.Header().Set(HeaderProcessTime, strconv.FormatFloat(secs, 'f', -1, 64))
			})
			return next(c)
		}
	}
}
