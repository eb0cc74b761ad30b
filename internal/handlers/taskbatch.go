package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/tasks"
)

// taskRetryAfter is the Retry-After sent with a 503 for a full or
// unreachable task queue: long enough for the workers to make room or for
// Redis to come back, short enough that a client does not give up.
const taskRetryAfter = 5 * time.Second

// taskBatch is the middleware that gives background jobs FastAPI's
// semantics: they run after the response, and not at all when the request
// fails. It puts a tasks.Batch in the request context for tasks.Add, then,
// once the handler is done, commits the batch only when the handler
// returned nil and committed a response with a status below 400. An error,
// a 4xx or 5xx written by the handler, or a panic passing through discards
// the jobs. Echo's Response().After is no substitute: it runs on every
// Write and never for a response without a body.
//
// The commit happens before this middleware returns, while the response is
// still in net/http's buffer: with the Redis queue, a job is stored before
// the client can read its 202.
//
// It goes on the routes that add jobs rather than on every route, so other
// requests pay nothing for it. A handler on a route without it gets
// tasks.ErrNoBatch, a 500 that its first test shows. The same happens when
// q is nil.
//
// Errors for which tasks.TryLater is true (queue full, shutting down,
// Redis unreachable) become 503 with Retry-After; the cause is logged, not
// shown.
func taskBatch(q tasks.Queue) echo.MiddlewareFunc {
	retryAfter := strconv.Itoa(int(taskRetryAfter.Seconds()))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if q == nil {
				return next(c)
			}
			req := c.Request()
			b := tasks.NewBatch(q, logging.RequestID(req.Context()))
			// Gives back the room of jobs that were not committed, on every
			// way out of here, a panic included.
			defer b.Discard()
			c.SetRequest(req.WithContext(tasks.WithBatch(req.Context(), b)))

			if err := next(c); err != nil {
				if tasks.TryLater(err) {
					c.Response().Header().Set(echo.HeaderRetryAfter, retryAfter)
					return echo.NewHTTPError(http.StatusServiceUnavailable).SetInternal(err)
				}
				return err
			}
			if res := c.Response(); res.Committed && res.Status < http.StatusBadRequest {
				// A failure is logged by the queue with each job's id: the
				// response is already on its way and cannot change.
				_ = b.Commit()
			}
			return nil
		}
	}
}
