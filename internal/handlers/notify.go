package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/tasks"
)

// The email POST /notify sends. The tutorial's job prints "Hello, user!";
// here that is the default body, and the subject is fixed, so a client
// chooses no header but the recipient.
const (
	notifySubject        = "Notification"
	notifyDefaultMessage = "Hello, user!"
)

// handleNotify is the tutorial's background task: it answers 202 at once
// and the email goes out after the response, on the task queue's workers.
// The job is only added here; taskBatch, which must wrap this route, hands
// it to the queue once the response is committed, and drops it if the
// request fails.
//
// The recipient comes from the query string (the tutorial's
// POST /notify?email=a@example.com), a JSON body or a form; a body field
// wins over the same query parameter.
func handleNotify() echo.HandlerFunc {
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
		job := tasks.NewJob(tasks.Email{To: req.Email, Subject: notifySubject, Body: req.Message})
		// A full or unreachable queue fails here, before anything is
		// written; taskBatch answers it with 503 and Retry-After.
		if err := tasks.Add(c.Request().Context(), job); err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, message{Message: "Notification sent in background"})
	}
}
