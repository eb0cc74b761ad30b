// Package mw holds the service's own Echo middleware: the ones Echo does
// not have (X-Process-Time, metrics, the header limit), the ones where
// Echo's built-in is wrong for this service (request ids, the body limit)
// or too dear for every request (the request log line, the security
// headers). Echo's built-ins that fit as they are (Recover, CORS) are
// configured in handlers.NewServer instead, and each file here says in one line why
// Echo's is not used. The package knows nothing of the handlers, tasks or
// WebSocket packages.
//
// Every middleware has Echo's shape, in a file of its own with its
// _test.go twin: X(args) returns the echo.MiddlewareFunc and takes only
// what the middleware cannot do without. One with options also has
// XConfig (Skipper first, every field "Optional. Default ..."),
// DefaultXConfig and XWithConfig(cfg), as RequestID and BodyLimit do.
package mw
