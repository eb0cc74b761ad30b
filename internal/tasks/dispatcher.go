package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Dispatcher is the in-process Queue: a bounded channel of jobs and a fixed
// set of worker goroutines that it starts and stops. Jobs live in memory only,
// so the ones still queued when the process dies are lost.
//
// Room is counted so that a job that was reserved always fits: Enqueue never
// blocks and never fails for lack of room (len(queue)+reserved <= QueueSize).
type Dispatcher struct {
	cfg    Config
	runner *Runner
	log    *slog.Logger
	queue  chan Job

	// ctx is the parent of every attempt's context. Shutdown cancels it, with
	// cause ErrClosed, only when its deadline passes.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // one per worker

	mu          sync.Mutex
	reserved    int    // room promised to batches and not yet filled
	enqueued    uint64 // jobs ever put on the queue
	started     bool
	closed      bool // Shutdown began: no new reservations
	queueClosed bool // closed and nothing reserved: the workers drain and leave
	aborted     bool // Shutdown returned: no worker will take another job

	running  atomic.Int64  // jobs taken off the queue and not finished
	finished atomic.Uint64 // jobs sent or given up
	dropped  atomic.Uint64
}

// NewDispatcher returns a Dispatcher that sends through m. It takes
// reservations at once; call Start to run jobs and Shutdown to stop.
func NewDispatcher(cfg Config, m Mailer, log *slog.Logger) (*Dispatcher, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Dispatcher{
		cfg:    cfg,
		runner: NewRunner(m, log, cfg.Timeout),
		log:    log,
		queue:  make(chan Job, cfg.QueueSize),
		ctx:    ctx,
		cancel: cancel,
	}, nil
}

// Start starts the workers. They run until Shutdown.
func (d *Dispatcher) Start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return errors.New("tasks: dispatcher already started or shut down")
	}
	d.started = true
	for range d.cfg.Workers {
		d.wg.Go(d.work)
	}
	return nil
}

// Reserve implements Queue. It never blocks, so ctx is unused.
func (d *Dispatcher) Reserve(_ context.Context, n int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return ErrClosed
	case len(d.queue)+d.reserved+n > cap(d.queue):
		return ErrQueueFull
	}
	d.reserved += n
	return nil
}

// Enqueue implements Queue.
func (d *Dispatcher) Enqueue(jobs []Job) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reserved -= len(jobs)
	defer d.closeQueueWhenSettled()

	if d.aborted {
		// Shutdown returned before this batch was committed: no worker is
		// left to run it.
		d.dropped.Add(uint64(len(jobs)))
		for _, job := range jobs {
			d.log.Error("email job dropped: queue shut down before commit", "job_id", job.ID, "request_id", job.RequestID)
		}
		return fmt.Errorf("enqueue %d jobs: %w", len(jobs), ErrClosed)
	}
	for _, job := range jobs {
		d.queue <- job // never blocks: Reserve kept room for it
	}
	d.enqueued += uint64(len(jobs))
	return nil
}

// Release implements Queue.
func (d *Dispatcher) Release(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reserved -= n
	d.closeQueueWhenSettled()
}

// closeQueueWhenSettled closes the queue once Shutdown began and no batch
// holds room any more, so that the workers drain what is left and return.
// The caller holds d.mu, which makes this the only place that closes the
// queue and keeps Enqueue from sending on a closed channel.
func (d *Dispatcher) closeQueueWhenSettled() {
	if d.closed && d.reserved == 0 && !d.queueClosed {
		d.queueClosed = true
		close(d.queue)
	}
}

// work runs jobs until the queue is closed and empty, or Shutdown's deadline
// passes.
func (d *Dispatcher) work() {
	for {
		select {
		case <-d.ctx.Done():
			return
		case job, ok := <-d.queue:
			if !ok || d.ctx.Err() != nil {
				return
			}
			d.running.Add(1)
			d.process(job)
			d.running.Add(-1)
		}
	}
}

// process tries job until it is sent, given up, or the shutdown deadline
// passes. The worker waits out the backoff itself: a failing mail server then
// slows intake until the queue fills and requests get 503, instead of retries
// piling up unseen.
func (d *Dispatcher) process(job Job) {
	for attempt := 1; ; attempt++ {
		final := attempt >= d.cfg.MaxAttempts
		err := d.runner.Attempt(d.ctx, job, attempt, final)
		if err == nil || final || errors.Is(err, ErrPermanent) {
			d.finished.Add(1)
			return
		}
		if d.ctx.Err() != nil {
			return // Shutdown counts it as dropped
		}
		wait := time.NewTimer(Backoff(attempt, d.cfg.RetryDelay, d.cfg.RetryMaxDelay))
		select {
		case <-wait.C:
		case <-d.ctx.Done():
			wait.Stop()
			return
		}
	}
}

// Shutdown stops taking reservations, then waits until every job queued or
// still reserved has been sent or given up, or until ctx is done. In the
// latter case it cancels the running attempts, logs how many jobs were
// dropped and returns without waiting further, as http.Server.Shutdown does;
// the workers leave as soon as their mailer returns.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.closeQueueWhenSettled()
	d.mu.Unlock()

	idle := make(chan struct{})
	go func() { // ends when the workers do, which the deadline below forces
		d.wg.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-ctx.Done():
	}
	// Stops the workers if the deadline passed; frees the context otherwise.
	d.cancel(ErrClosed)

	d.mu.Lock()
	again := d.aborted
	d.aborted = true
	// A job is dropped when it was enqueued and has not finished; one still
	// running may yet be sent. Jobs reserved but not yet committed are
	// counted, and logged one by one, if their Commit comes later.
	dropped := d.enqueued - d.finished.Load()
	reserved := d.reserved
	d.mu.Unlock()

	if dropped == 0 && reserved == 0 {
		d.log.Info("task queue drained")
		return nil
	}
	if !again {
		d.dropped.Add(dropped)
	}
	d.log.Error("task queue shut down with jobs unfinished", "dropped", dropped, "awaiting_commit", reserved)
	cause := ctx.Err()
	if cause == nil {
		cause = errors.New("workers never started")
	}
	return fmt.Errorf("tasks: shutdown: %d jobs dropped, %d awaiting commit: %w", dropped, reserved, cause)
}

// Stats returns a snapshot of the counters. It never fails; the signature
// matches the Redis backend's.
func (d *Dispatcher) Stats(context.Context) (Stats, error) {
	s := d.runner.Stats()
	s.Queued = len(d.queue)
	s.Running = int(d.running.Load())
	s.Dropped = d.dropped.Load()
	return s, nil
}
