package mw

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestLog logs one line per request with the status the client really
// got: it hands an error to the error handler before writing the line
// (labstack/echo#2015), so server errors are logged here with their cause,
// once, and nowhere else. The request_id comes from the context, as on
// every other line.
//
// Echo's RequestLogger does the same with HandleError, but fills its
// 30-field RequestLoggerValues on every request; this one builds only the
// line's attributes, on the stack (BenchmarkRequestLog: 3 allocations a
// request instead of 6, and a third less time).
func RequestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			level := slog.LevelInfo
			switch {
			case res.Status >= http.StatusInternalServerError:
				level = slog.LevelError
			case res.Status >= http.StatusBadRequest:
				level = slog.LevelWarn
			}
			ctx := req.Context()
			h := log.Handler()
			if !h.Enabled(ctx, level) {
				return err
			}
			end := time.Now()
			path := req.URL.Path
			if path == "" {
				path = "/"
			}
			attrs := [...]slog.Attr{
				slog.String("method", req.Method),
				slog.String("path", path),
				slog.String("route", c.Path()),
				slog.Int("status", res.Status),
				slog.String("latency", end.Sub(start).String()), // as logging writes durations
				slog.Int64("bytes_out", res.Size),
				slog.String("remote_ip", c.RealIP()),
				slog.String("user_agent", req.UserAgent()),
				{},
			}
			n := len(attrs) - 1
			if level == slog.LevelError && err != nil {
				attrs[n], n = slog.String("error", err.Error()), n+1
			}
			// Straight to the handler, as slog's docs show for wrappers:
			// Logger.LogAttrs would walk the stack for a caller that the
			// line does not show (no AddSource), a tenth of its cost.
			r := slog.NewRecord(end, level, "request", 0)
			r.AddAttrs(attrs[:n]...)
			_ = h.Handle(ctx, r) // As Logger drops it: a log that cannot write has no one to tell.
			// The error is handled; Echo's error handler skips a committed
			// response, and the middleware outside may still want it.
			return err
		}
	}
}
