// Package rules is Echo v4 code that uses each API the rewrite ports;
// TestRewrite rewrites it and compares the result with testdata/v5.
package rules

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// handle reads the *echo.Response only where v5 needs it unwrapped.
func handle(c echo.Context) error {
	c.Response().Header().Set("X-A", "1")
	rc := http.NewResponseController(c.Response())
	_ = rc
	res := c.Response()
	res.Before(func() { res.Header().Set("X-B", "2") })
	if c.Response().Committed {
		return nil
	}
	_ = c.Response().Writer
	return c.JSON(http.StatusOK, echo.Map{"status": c.Response().Status})
}

// handleError is an HTTPErrorHandler.
func handleError(err error, c echo.Context) {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Internal != nil {
		if msg, ok := he.Message.(string); ok {
			fmt.Println(msg, he.Message.(string))
		}
	}
	if he, ok := err.(*echo.HTTPError); ok {
		fmt.Println(he.Code)
	}
	c.Echo().DefaultHTTPErrorHandler(err, c)
}

func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = handleError
	e.Use(
		middleware.Logger(),
		middleware.BodyLimit("2M"),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "512K"}),
		middleware.CORS(),
		middleware.CORSWithConfig(middleware.CORSConfig{AllowMethods: []string{http.MethodGet}}),
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOriginFunc:  func(origin string) (bool, error) { return origin == "https://a.example", nil },
			AllowCredentials: true,
		}),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableStackAll:     true,
			LogErrorFunc:        func(_ echo.Context, err error, stack []byte) error { return fmt.Errorf("%w\n%s", err, stack) },
			DisableErrorHandler: true, // the request logger hands it on
		}),
		middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
			LogStatus: true,
			LogError:  true,
			LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
				fmt.Println(v.Status, v.Error)
				return nil
			},
		}),
	)
	e.GET("/", handle)
	var binder echo.DefaultBinder
	e.POST("/bind/:id", func(c echo.Context) error {
		var v struct {
			ID string `param:"id" query:"id"`
		}
		if err := binder.BindQueryParams(c, &v); err != nil {
			return err
		}
		if err := binder.BindPathParams(c, &v); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
		}
		c.Error(errors.New("handled at once"))
		e.HTTPErrorHandler(errors.New("and again"), c)
		return echo.NewHTTPError(http.StatusTeapot, "Short and stout.")
	})
	for _, r := range e.Routes() {
		fmt.Println(r.Method, r.Path)
	}
	_ = echo.NewResponse(nil, e)
	return e
}
