package tasks

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Errors that mean the batch is used wrongly: bugs, answered with 500.
var (
	// ErrNoBatch means the context holds no batch: the middleware that
	// creates one is missing from the route.
	ErrNoBatch = errors.New("tasks: no batch in context")
	// ErrBatchDone means Add was called after Commit or Discard.
	ErrBatchDone = errors.New("tasks: batch already committed or discarded")
)

// Batch collects the jobs one request adds. Room for each job is reserved in
// the queue when it is added; the jobs reach the queue only on Commit.
// A Batch is safe for concurrent use.
type Batch struct {
	queue     Queue
	requestID string

	mu   sync.Mutex
	jobs []Job
	done bool // Commit or Discard ran: the reservations are settled
}

// NewBatch returns an empty batch for the request named requestID.
func NewBatch(q Queue, requestID string) *Batch {
	return &Batch{queue: q, requestID: requestID}
}

// Add reserves room for job and keeps it until Commit. It fails with an error
// for which TryLater is true when the queue cannot take it now, with
// ErrInvalidJob when job cannot be sent as it is, and with ErrBatchDone after
// Commit or Discard. ctx bounds the reservation only; the job never sees it.
func (b *Batch) Add(ctx context.Context, job Job) error {
	if err := job.Validate(); err != nil {
		return err
	}
	if job.RequestID == "" {
		job.RequestID = b.requestID
	}

	// The lock is held across Reserve so that a concurrent Commit or Discard
	// cannot settle the batch between a reservation and its job being kept.
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return ErrBatchDone
	}
	if err := b.queue.Reserve(ctx, 1); err != nil {
		return fmt.Errorf("reserve room for job %s: %w", job.ID, err)
	}
	b.jobs = append(b.jobs, job)
	return nil
}

// Commit hands the batch's jobs to the queue. Call it once the handler has
// returned nil and the response is committed with a status below 400.
// A failure has already been logged with each job id and counted by the
// queue; it is returned for callers that react to it. Commit and Discard
// settle a batch once: later calls do nothing.
func (b *Batch) Commit() error {
	b.mu.Lock()
	jobs := b.jobs
	already := b.done
	b.jobs, b.done = nil, true
	b.mu.Unlock()

	if already || len(jobs) == 0 {
		return nil
	}
	return b.queue.Enqueue(jobs)
}

// Discard gives back the batch's reservations and sends nothing. Call it when
// the handler failed or panicked; it does nothing after Commit, so it is safe
// to defer.
func (b *Batch) Discard() {
	b.mu.Lock()
	n := len(b.jobs)
	already := b.done
	b.jobs, b.done = nil, true
	b.mu.Unlock()

	if !already && n > 0 {
		b.queue.Release(n)
	}
}

// batchKey is the context key for a request's Batch.
type batchKey struct{}

// WithBatch returns a copy of ctx that carries b, for Add to find.
func WithBatch(ctx context.Context, b *Batch) context.Context {
	return context.WithValue(ctx, batchKey{}, b)
}

// Add adds job to the batch in ctx (see Batch.Add), or fails with ErrNoBatch.
func Add(ctx context.Context, job Job) error {
	b, ok := ctx.Value(batchKey{}).(*Batch)
	if !ok {
		return ErrNoBatch
	}
	return b.Add(ctx, job)
}
