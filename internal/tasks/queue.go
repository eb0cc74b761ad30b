package tasks

import "errors"

// Errors a backend's Enqueue returns when it cannot take a job now. An HTTP
// layer answers each with 503 and Retry-After (see TryLater).
var (
	// ErrQueueFull means the in-memory queue has no room left.
	ErrQueueFull = errors.New("tasks: queue full")
	// ErrClosed means the queue is shutting down and takes no new jobs.
	ErrClosed = errors.New("tasks: queue closed")
	// ErrBackendDown means the queue's store (Redis) did not take the job.
	ErrBackendDown = errors.New("tasks: queue backend unreachable")
)

// TryLater reports whether err means the queue cannot take a job now but may
// soon: an HTTP layer answers it with 503 and a Retry-After header.
func TryLater(err error) bool {
	return errors.Is(err, ErrQueueFull) || errors.Is(err, ErrClosed) || errors.Is(err, ErrBackendDown)
}

// Stats is a snapshot of a queue's counters, for metrics. Counters cover
// this process since start; Queued may cover every instance (Redis).
type Stats struct {
	Queued   int    // jobs waiting to run
	Running  int    // jobs in an attempt or waiting for their next one
	Attempts uint64 // attempts started
	Failures uint64 // attempts that failed, panics included
	Retries  uint64 // failed attempts that will be tried again
	Sent     uint64 // jobs whose email was accepted by the mailer
	GaveUp   uint64 // jobs that failed their last attempt
	Dropped  uint64 // jobs unfinished at the shutdown deadline (memory only: Redis keeps them)
}
