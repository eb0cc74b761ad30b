package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

func TestRunner_AttemptGivesJobItsOwnContext(t *testing.T) {
	log, _ := taskstest.NewLogger()
	var gotRequestID string
	var gotDeadline bool
	r := tasks.NewRunner(tasks.MailerFunc(func(ctx context.Context, _ tasks.Email) error {
		gotRequestID = logging.RequestID(ctx)
		_, gotDeadline = ctx.Deadline()
		return ctx.Err()
	}), log, time.Minute)
	job := taskstest.Job("a@example.com")
	job.RequestID = "req-1"

	if err := r.Attempt(context.Background(), job, 1, true); err != nil {
		t.Fatalf("Attempt: %v", err)
	}
	if gotRequestID != "req-1" {
		t.Errorf("RequestID(ctx) = %q, want req-1", gotRequestID)
	}
	if !gotDeadline {
		t.Error("job context has no deadline, want the attempt timeout")
	}
}

func TestRunner_Attempt(t *testing.T) {
	tests := []struct {
		name     string
		send     func(context.Context) error
		final    bool
		cancel   error // cause the backend cancels its context with before the attempt
		wantErr  bool
		wantLog  string
		wantStat tasks.Stats
	}{
		{
			name:     "Sent",
			send:     func(context.Context) error { return nil },
			wantLog:  "email job done",
			wantStat: tasks.Stats{Attempts: 1, Sent: 1},
		},
		{
			name:     "FailedWillRetry",
			send:     func(context.Context) error { return errors.New("451 try later") },
			wantErr:  true,
			wantLog:  "email attempt failed, will retry",
			wantStat: tasks.Stats{Attempts: 1, Failures: 1, Retries: 1},
		},
		{
			name:     "FailedLastAttempt",
			send:     func(context.Context) error { return errors.New("451 try later") },
			final:    true,
			wantErr:  true,
			wantLog:  "email job failed, giving up",
			wantStat: tasks.Stats{Attempts: 1, Failures: 1, GaveUp: 1},
		},
		{
			name:     "PermanentGivesUpAtOnce",
			send:     func(context.Context) error { return fmt.Errorf("550: %w", tasks.ErrPermanent) },
			wantErr:  true,
			wantLog:  "email job failed, giving up",
			wantStat: tasks.Stats{Attempts: 1, Failures: 1, GaveUp: 1},
		},
		{
			name:     "PanicIsAFailure",
			send:     func(context.Context) error { panic("mailer bug") },
			wantErr:  true,
			wantLog:  "email job panicked",
			wantStat: tasks.Stats{Attempts: 1, Failures: 1, Retries: 1},
		},
		{
			name: "TimeoutIsAFailure",
			send: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			wantErr:  true,
			wantLog:  "email attempt failed, will retry",
			wantStat: tasks.Stats{Attempts: 1, Failures: 1, Retries: 1},
		},
		{
			name: "ShutdownIsNotAFailure",
			send: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			cancel:   tasks.ErrClosed,
			wantErr:  true,
			wantLog:  "interrupted by shutdown",
			wantStat: tasks.Stats{Attempts: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, logs := taskstest.NewLogger()
			r := tasks.NewRunner(tasks.MailerFunc(func(ctx context.Context, _ tasks.Email) error {
				return tt.send(ctx)
			}), log, 50*time.Millisecond)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tt.cancel != nil {
				cancel(tt.cancel)
			}
			job := taskstest.Job("a@example.com")

			err := r.Attempt(ctx, job, 1, tt.final)

			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("Attempt error = %v, want error: %v", err, tt.wantErr)
			}
			if tt.cancel != nil && !errors.Is(err, tt.cancel) {
				t.Errorf("Attempt error = %v, want it to wrap %v", err, tt.cancel)
			}
			if got := r.Stats(); got != tt.wantStat {
				t.Errorf("Stats = %+v, want %+v", got, tt.wantStat)
			}
			lines := logs.Lines(t, tt.wantLog)
			if len(lines) != 1 {
				t.Fatalf("got %d log lines %q, want 1", len(lines), tt.wantLog)
			}
			if got := lines[0]["job_id"]; got != job.ID {
				t.Errorf("log job_id = %v, want %q", got, job.ID)
			}
		})
	}
}
