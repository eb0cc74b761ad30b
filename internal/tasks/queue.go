package tasks

import (
	"context"
	"errors"
)

// Errors a Queue returns when it cannot take a job now. An HTTP layer
// answers each with 503 and Retry-After (see TryLater).
var (
	// ErrQueueFull means the in-process queue has no room left.
	ErrQueueFull = errors.New("tasks: queue full")
	// ErrClosed means the queue is shutting down and takes no new jobs.
	ErrClosed = errors.New("tasks: queue closed")
	// ErrBackendDown means the queue's store (Redis) cannot be reached.
	ErrBackendDown = errors.New("tasks: queue backend unreachable")
)

// TryLater reports whether err means the queue cannot take a job now but may
// soon: an HTTP layer answers it with 503 and a Retry-After header.
func TryLater(err error) bool {
	return errors.Is(err, ErrQueueFull) || errors.Is(err, ErrClosed) || errors.Is(err, ErrBackendDown)
}

// Queue takes jobs in two steps, so that a request learns whether its jobs
// fit before it answers, yet nothing is sent unless the request succeeds.
// Dispatcher and redisqueue.Queue implement it; Batch is its only caller.
type Queue interface {
	// Reserve makes room for n more jobs, or fails with ErrQueueFull,
	// ErrClosed or ErrBackendDown. ctx is the request's: it bounds the
	// reservation only and never reaches a job.
	Reserve(ctx context.Context, n int) error
	// Enqueue hands over jobs whose room was reserved. It does not wait for
	// them to run. When it fails, the queue has already logged every lost job
	// with its id and counted it in Stats.Dropped.
	Enqueue(jobs []Job) error
	// Release gives back the room of n reserved jobs that will not come.
	Release(n int)
}

// Stats is a snapshot of a queue's counters, for metrics. Counters cover
// this process since start; Queued may cover every instance (Redis).
type Stats struct {
	Queued   int    // jobs waiting to run
	Running  int    // jobs in an attempt or waiting for their next one
	Attempts uint64 // attempts started
	Failures uint64 // attempts that failed, panics included
	Panics   uint64 // attempts that panicked
	Retries  uint64 // failed attempts that will be tried again
	Sent     uint64 // jobs whose email was accepted by the mailer
	GaveUp   uint64 // jobs that failed their last attempt
	Dropped  uint64 // jobs lost: unfinished at the shutdown deadline, or not enqueued after the response
}
