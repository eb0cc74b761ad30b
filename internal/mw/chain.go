package mw

import (
	"slices"

	"github.com/labstack/echo/v4"
)

// Chain runs mws, in order, around every route's handler, as
// e.Use(mws...) would, but builds the chain once. Echo v4 wraps each
// middleware around the handler again on every request, a closure each:
// 9 of the 37 allocations of GET /headers (BenchmarkHeaders). It must be
// the server's only e.Use, since it runs the handler the router chose
// rather than the one Echo hands it.
//
// Echo v5 builds its chain once itself; the move to v5
// (scripts/echo-v5.sh) puts a plain wrapper in this file's place.
func Chain(mws ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	// The router's choice, 404 and 405 handlers included.
	h := func(c echo.Context) error { return c.Handler()(c) }
	for _, m := range slices.Backward(mws) {
		h = m(h)
	}
	return func(echo.HandlerFunc) echo.HandlerFunc { return h }
}
