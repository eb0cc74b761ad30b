package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/mw"
	"example.com/echotemplate/internal/tasks"
)

// The email POST /notify sends. The tutorial's job prints "Hello, user!";
// here that is the default body, and the subject is fixed, so a client
// chooses no header but the recipient.
const (
	notifySubject        = "Notification"
	notifyDefaultMessage = "Hello, user!"
)

// notifyRetryAfter is the Retry-After, in seconds, of a 503 for a full or
// unreachable task queue: long enough for the workers to make room or for
// Redis to come back, short enough that a client does not give up.
const notifyRetryAfter = 5

// TaskQueue takes the jobs of background tasks: a *tasks.Dispatcher or a
// *redisqueue.Queue. Enqueue returns once the job is queued (stored, with
// Redis); an error for which tasks.TryLater is true means it was not queued
// and may be after a while.
type TaskQueue interface {
	Enqueue(ctx context.Context, job tasks.Job) error
}

// handleNotify is the tutorial's background task: it answers 202 at once
// and the email goes out on the task queue's workers. Enqueue is its last
// step before the 202, so a request that fails queues nothing, and a
// client that reads the 202 can count on the job being queued. A worker
// may start the job while the 202 is still being written.
//
// The recipient comes from the query string (the tutorial's
// POST /notify?email=a@example.com), a JSON body or a form; a body field
// wins over the same query parameter.
//
// perRecipient, when set, counts the notifications to each address (in
// lower case), so that nobody can flood one inbox through the service.
func handleNotify(queue TaskQueue, perRecipient mw.Limiter) echo.HandlerFunc {
	type request struct {
		// The email rule refuses CR and LF, so no header can be smuggled
		// into the To field; 254 is the longest address SMTP carries.
		Email string `query:"email" json:"email" form:"email" validate:"required,email,max=254"`
		// Message is the body, not a header: line breaks are fine there.
		Message string `query:"message" json:"message" form:"message" validate:"max=2000"`
	}
	// Echo's Bind reads the query string only for GET, DELETE and HEAD.
	var queryBinder echo.DefaultBinder
	return func(c echo.Context) error {
		var req request
		if err := queryBinder.BindQueryParams(c, &req); err != nil {
			return err
		}
		if err := bind(c, &req); err != nil {
			return err
		}
		if req.Message == "" {
			req.Message = notifyDefaultMessage
		}
		ctx := c.Request().Context()
		if perRecipient != nil {
			if ok, retryAfter := perRecipient.Allow(ctx, strings.ToLower(req.Email)); !ok {
				return mw.TooManyRequests(c, retryAfter, "Too many notifications to this address.")
			}
		}
		job := tasks.NewJob(tasks.Email{To: req.Email, Subject: notifySubject, Body: req.Message})
		job.RequestID = logging.RequestID(ctx)

		if err := queue.Enqueue(ctx, job); err != nil {
			if tasks.TryLater(err) {
				// Nothing was queued: the client may retry. The cause is
				// logged with the request, not shown.
				c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(notifyRetryAfter))
				return echo.NewHTTPError(http.StatusServiceUnavailable).SetInternal(err)
			}
			return fmt.Errorf("enqueue notification: %w", err)
		}
		return c.JSON(http.StatusAccepted, message{Message: "Notification sent in background"})
	}
}
