package mw

import (
	"time"

	"github.com/labstack/echo/v4"
)

// RequestObserver records request metrics; *metrics.Metrics is one.
type RequestObserver interface {
	RequestStarted()
	RequestDone(method, route string, status int, took time.Duration)
}

// unmatchedRoute labels requests no route matched, so that scanners
// probing random paths add one series, not one per path.
const unmatchedRoute = "unmatched"

// Metrics records every request with its route pattern and the status the
// client got. Place it outside RequestLog: by the time RequestLog returns,
// the error handler has written the response.
//
// Echo has no metrics middleware of its own; echo-contrib's echoprometheus
// is another module, with metric names of its choosing.
func Metrics(obs RequestObserver) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			obs.RequestStarted()
			err := next(c)
			route := c.Path()
			if route == "" {
				route = unmatchedRoute
			}
			if err != nil && !c.Response().Committed {
				// Let the error handler write the answer now, as RequestLog
				// does, so the status recorded is the one the client gets.
				c.Error(err)
			}
			obs.RequestDone(c.Request().Method, route, c.Response().Status, time.Since(start))
			return err
		}
	}
}
