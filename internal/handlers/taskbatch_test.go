package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// TestTaskBatch_SendsOnlyAfterSuccess adds a job in a test-only handler
// that then ends in each way a request can end. Only a committed response
// below 400 may send it; every other end must give the job's room back.
func TestTaskBatch_SendsOnlyAfterSuccess(t *testing.T) {
	tests := []struct {
		name       string
		end        func(c echo.Context) error
		wantStatus int
		wantSent   int
	}{
		{"Accepted", func(c echo.Context) error { return c.JSON(http.StatusAccepted, message{Message: "ok"}) }, http.StatusAccepted, 1},
		// Echo's Response().After never runs for a response without a body.
		{"NoContent", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, http.StatusNoContent, 1},
		{"ErrorAfterAdd", func(echo.Context) error { return errors.New("database down") }, http.StatusInternalServerError, 0},
		{"HTTPErrorAfterAdd", func(echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "Taken.") }, http.StatusConflict, 0},
		{"ErrorStatusWritten", func(c echo.Context) error { return c.JSON(http.StatusConflict, message{Message: "taken"}) }, http.StatusConflict, 0},
		{"ErrorAfterWrite", func(c echo.Context) error {
			_ = c.NoContent(http.StatusAccepted)
			return errors.New("failed after answering")
		}, http.StatusAccepted, 0},
		{"Panic", func(echo.Context) error { panic("handler bug") }, http.StatusInternalServerError, 0},
		// Nothing committed: net/http answers an empty 200 on its own, but
		// the handler never said it succeeded.
		{"NothingWritten", func(echo.Context) error { return nil }, http.StatusOK, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := smtptest.NewServer(t, smtptest.Options{})
			cfg := quickTasks
			cfg.QueueSize = 1
			d, _ := newDispatcher(t, cfg, taskstest.SMTPMailer(t, server), true)
			s := newTaskServer(t, d)
			s.e.POST("/test/job", func(c echo.Context) error {
				if err := tasks.Add(c.Request().Context(), taskstest.Job("alice@example.com")); err != nil {
					return err
				}
				return tt.end(c)
			}, taskBatch(d))

			rec := httptest.NewRecorder()
			s.e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/test/job", nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantSent == 0 {
				// The queue holds one job: the room must have been given back.
				if err := d.Reserve(context.Background(), 1); err != nil {
					t.Errorf("Reserve after a failed request = %v, want the job's room given back", err)
				} else {
					d.Release(1)
				}
			}
			drain(t, d)
			if got := server.Len(); got != tt.wantSent {
				t.Errorf("server got %d emails, want %d", got, tt.wantSent)
			}
		})
	}
}

// TestTaskBatch_NoQueue: a route that adds jobs without a queue is a wiring
// bug; it answers 500 instead of accepting work it cannot do.
func TestTaskBatch_NoQueue(t *testing.T) {
	s := newTestServer(t, testConfig()) // Deps.Tasks is nil
	rec := postNotify(t, s, "/notify?email=alice@example.com", "", "")
	wantProblem(t, rec, http.StatusInternalServerError)
}
