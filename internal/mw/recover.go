package mw

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
)

// PanicError is what Recover turns a panic into. Its text holds the panic
// value and stack for the log; the error handler shows clients none of it.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack)
}

// Recover turns a panic in a later handler into a *PanicError returned up
// the chain, so the request logger logs it once and the error handler
// answers a bare 500. http.ErrAbortHandler is re-panicked: net/http uses it
// to abort a response on purpose.
func Recover() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if e, ok := r.(error); ok && errors.Is(e, http.ErrAbortHandler) {
					panic(r)
				}
				err = &PanicError{Value: r, Stack: debug.Stack()}
			}()
			return next(c)
		}
	}
}
