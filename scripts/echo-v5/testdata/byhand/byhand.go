// Package byhand is Echo v4 code that no rule ports: the rewrite must say
// where, and fail.
package byhand

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

func newEcho(msg map[string]string) *echo.Echo {
	e := echo.New()
	e.Use(middleware.TimeoutWithConfig(middleware.TimeoutConfig{Timeout: time.Second}))
	e.GET("/", func(echo.Context) error { return echo.NewHTTPError(500, msg) })
	return e
}
