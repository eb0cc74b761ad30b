package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"example.com/echotemplate/internal/logging"
)

// ErrPermanent marks a send failure that a retry cannot fix, such as an SMTP
// 5xx reply. Mailers wrap it (fmt.Errorf("...: %w: %w", ErrPermanent, err));
// the job is then given up at once instead of retried.
var ErrPermanent = errors.New("tasks: permanent failure")

// Mailer sends one email. Send must return when ctx is done: ctx carries the
// attempt's deadline and is cancelled when a shutdown runs out of time.
// Package mailer holds the implementations.
type Mailer interface {
	Send(ctx context.Context, e Email) error
}

// MailerFunc adapts a function to Mailer.
type MailerFunc func(ctx context.Context, e Email) error

// Send calls f(ctx, e).
func (f MailerFunc) Send(ctx context.Context, e Email) error { return f(ctx, e) }

// Runner runs one attempt of a job. Both backends hand every attempt to it,
// so email is sent, logged and counted by the same code whichever backend
// holds the queue. Deciding whether and when to retry is the backend's.
type Runner struct {
	mailer  Mailer
	log     *slog.Logger
	timeout time.Duration

	attempts, failures, retries, sent, gaveUp atomic.Uint64
}

// NewRunner returns a Runner that sends through m, logs to log and gives each
// attempt at most timeout.
func NewRunner(m Mailer, log *slog.Logger, timeout time.Duration) *Runner {
	return &Runner{mailer: m, log: log, timeout: timeout}
}

// Attempt sends job once. ctx is the backend's, never a request's; the
// attempt gets a child of it carrying job.RequestID and the timeout.
// attempt counts from 1, and final says no retry follows a failure: it picks
// the log line and the counters. A panic in the mailer is recovered and
// returned as an error. A backend that cancels ctx with cause ErrClosed (its
// shutdown ran out of time) gets an error wrapping ErrClosed, not counted as
// a failure, since the job itself did nothing wrong.
func (r *Runner) Attempt(ctx context.Context, job Job, attempt int, final bool) error {
	r.attempts.Add(1)
	log := r.log.With("job_id", job.ID, "attempt", attempt) // ctx adds request_id

	ctx, cancel := context.WithTimeout(logging.WithRequestID(ctx, job.RequestID), r.timeout)
	defer cancel()
	start := time.Now()
	err := r.send(ctx, log, job)

	switch {
	case err == nil:
		r.sent.Add(1)
		// "done", not "sent": the mailer may be the log one, which sends nothing.
		log.InfoContext(ctx, "email job done", "duration", time.Since(start))
		return nil
	case errors.Is(context.Cause(ctx), ErrClosed):
		log.WarnContext(ctx, "email attempt interrupted by shutdown", "error", err)
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	r.failures.Add(1)
	if final || errors.Is(err, ErrPermanent) {
		r.gaveUp.Add(1)
		log.ErrorContext(ctx, "email job failed, giving up", "error", err)
		return err
	}
	r.retries.Add(1)
	log.WarnContext(ctx, "email attempt failed, will retry", "error", err)
	return err
}

// send calls the mailer, turning a panic into an error. A job's panic must
// not end the process: it runs on a worker goroutine, where no HTTP recover
// middleware reaches.
func (r *Runner) send(ctx context.Context, log *slog.Logger, job Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "email job panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("tasks: job panicked: %v", p)
		}
	}()
	return r.mailer.Send(ctx, job.Email)
}

// Stats returns the attempt counters. Backends fill in the rest.
func (r *Runner) Stats() Stats {
	return Stats{
		Attempts: r.attempts.Load(),
		Failures: r.failures.Load(),
		Retries:  r.retries.Load(),
		Sent:     r.sent.Load(),
		GaveUp:   r.gaveUp.Load(),
	}
}
