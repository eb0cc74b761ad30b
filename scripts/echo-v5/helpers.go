package main

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// helper is Go code that a rewritten file calls where Echo v5 has no
// one-expression equivalent of the v4 code: it keeps v4's behaviour on v5's
// API. A package gets the helpers its files call, in a file of its own.
type helper struct {
	imports []string
	code    string
}

var helpers = map[string]helper{
	"unwrapResponse": {[]string{echoV5}, `
// unwrapResponse returns the *echo.Response under c.Response(). Echo v4's
// c.Response() was that Response, whose Status, Size and Committed this
// code reads and whose Before hooks it sets; in Echo v5 c.Response() is an
// http.ResponseWriter that middleware may wrap around it.
func unwrapResponse(c *echo.Context) *echo.Response {
	res, err := echo.UnwrapResponse(c.Response())
	if err != nil {
		panic(err) // a middleware replaced the response with a writer that hides it
	}
	return res
}
`},
	"asHTTPError": {[]string{"errors", "net/http", echoV5}, `
// asHTTPError is errors.As(err, target) that also finds Echo v5's
// predefined errors (echo.ErrNotFound, echo.ErrMethodNotAllowed...). In v4
// they were *echo.HTTPError values with the status text as their message;
// in v5 they only carry a status code, which echo.StatusCode reads.
func asHTTPError(err error, target **echo.HTTPError) bool {
	if errors.As(err, target) {
		return true
	}
	code := echo.StatusCode(err)
	if code == 0 {
		return false
	}
	*target = echo.NewHTTPError(code, http.StatusText(code))
	return true
}
`},
	"httpErrorOf": {[]string{"net/http", echoV5}, `
// httpErrorOf is err.(*echo.HTTPError) that also matches Echo v5's
// predefined errors (echo.ErrNotFound...), which in v4 were *echo.HTTPError
// values with the status text as their message.
func httpErrorOf(err error) (*echo.HTTPError, bool) {
	switch e := err.(type) {
	case *echo.HTTPError:
		return e, true
	case echo.HTTPStatusCoder:
		return echo.NewHTTPError(e.StatusCode(), http.StatusText(e.StatusCode())), e.StatusCode() != 0
	}
	return nil, false
}
`},
	"recoverWithConfigV4": {[]string{"fmt", echoV5, echoV5 + "/middleware"}, `
// recoverConfigV4 is Echo v4's middleware.RecoverConfig. Echo v5's Recover
// returns a panic as a *middleware.PanicStackError, whose Unwrap gives the
// value panicked, and has neither LogErrorFunc nor DisableErrorHandler;
// recoverWithConfigV4 gives them back their v4 meaning.
type recoverConfigV4 struct {
	// Skipper, StackSize, DisableStackAll and DisablePrintStack are v5's.
	Skipper           middleware.Skipper
	StackSize         int
	DisableStackAll   bool
	DisablePrintStack bool
	// LogErrorFunc, when set, turns the panic and its stack into the error
	// that goes on; without it the panic is logged with its stack.
	LogErrorFunc func(c *echo.Context, err error, stack []byte) error
	// DisableErrorHandler returns the error up the chain instead of handing
	// it to the error handler at once.
	DisableErrorHandler bool
}

// recoverWithConfigV4 is Echo v4's RecoverWithConfig on Echo v5's Recover.
func recoverWithConfigV4(cfg recoverConfigV4) echo.MiddlewareFunc {
	// The stack is always taken: a *middleware.PanicStackError is how a
	// panic is told apart from an error the handler returned.
	recoverPanics := middleware.RecoverWithConfig(middleware.RecoverConfig{
		Skipper:         cfg.Skipper,
		StackSize:       cfg.StackSize,
		DisableStackAll: cfg.DisableStackAll,
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		next = recoverPanics(next)
		return func(c *echo.Context) error {
			err := next(c)
			panicked, ok := err.(*middleware.PanicStackError)
			if !ok {
				return err
			}
			err, stack := panicked.Err, panicked.Stack
			if cfg.DisablePrintStack {
				stack = nil
			}
			switch {
			case cfg.LogErrorFunc != nil:
				err = cfg.LogErrorFunc(c, err, stack)
			case !cfg.DisablePrintStack:
				c.Logger().Error(fmt.Sprintf("[PANIC RECOVER] %v %s", err, stack))
			}
			if err != nil && !cfg.DisableErrorHandler {
				c.Echo().HTTPErrorHandler(c, err)
				return nil
			}
			return err
		}
	}
}
`},
	"corsAllowOriginFuncV4": {[]string{echoV5}, `
// corsAllowOriginFuncV4 turns Echo v4's CORSConfig.AllowOriginFunc into
// v5's UnsafeAllowOriginFunc, which also names the origin to allow: the
// request's own, as v4 answered.
func corsAllowOriginFuncV4(allow func(origin string) (bool, error)) func(c *echo.Context, origin string) (string, bool, error) {
	return func(_ *echo.Context, origin string) (string, bool, error) {
		ok, err := allow(origin)
		if err != nil || !ok {
			return "", false, err
		}
		return origin, true, nil
	}
}
`},
}

// helperFile is the source of a file of package pkg with the named
// helpers.
func helperFile(pkg string, names []string) []byte {
	var std, other []string
	for _, n := range names {
		for _, imp := range helpers[n].imports {
			group := &std
			if strings.Contains(imp, ".") {
				group = &other
			}
			if !slices.Contains(*group, imp) {
				*group = append(*group, imp)
			}
		}
	}
	slices.Sort(std)
	slices.Sort(other)
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	b.WriteString("// The move to Echo v5 (scripts/echo-v5 in the v4 template) added this file:\n")
	b.WriteString("// what the code here took from Echo v4, on Echo v5's API.\n\n")
	b.WriteString("import (\n")
	for _, imp := range std {
		fmt.Fprintf(&b, "\t%s\n", strconv.Quote(imp))
	}
	if len(std) > 0 && len(other) > 0 {
		b.WriteString("\n")
	}
	for _, imp := range other {
		fmt.Fprintf(&b, "\t%s\n", strconv.Quote(imp))
	}
	b.WriteString(")\n")
	for _, n := range names {
		b.WriteString(helpers[n].code)
	}
	return b.Bytes()
}
