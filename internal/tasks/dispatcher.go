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

// Dispatcher is the in-memory queue: a bounded channel of jobs and a fixed
// set of worker goroutines that it starts and stops. Jobs live in memory only,
// so the ones still queued when the process dies are lost.
type Dispatcher struct {
	cfg    Config
	runner *Runner
	log    *slog.Logger

	// ctx is the parent of every attempt's context. Shutdown cancels it, with
	// cause ErrClosed, only when its deadline passes.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // one per worker

	// mu keeps a send from racing the close of queue: Enqueue sends only
	// while closed is false, and Shutdown closes queue as it sets closed.
	mu       sync.Mutex
	queue    chan Job
	started  bool
	closed   bool
	enqueued uint64 // jobs ever put on the queue; final once closed

	running  atomic.Int64  // jobs taken off the queue and not finished
	finished atomic.Uint64 // jobs sent or given up
	dropped  atomic.Uint64
}

// NewDispatcher returns a Dispatcher that sends through m. It takes jobs at
// once; call Start to run them and Shutdown to stop.
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

// Enqueue puts job on the queue without waiting. It fails with ErrQueueFull
// when the queue has no room, with ErrClosed once Shutdown began, and with
// ErrInvalidJob when job cannot be sent as it is. ctx is unused, since
// nothing here waits; the job never sees it.
func (d *Dispatcher) Enqueue(_ context.Context, job Job) error {
	if err := job.Validate(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	select {
	case d.queue <- job:
		d.enqueued++
		return nil
	default:
		return ErrQueueFull
	}
}

// work runs jobs until the queue is closed and empty, or Shutdown's deadline
// passes.
func (d *Dispatcher) work() {
	for job := range d.queue {
		if d.ctx.Err() != nil {
			return
		}
		d.running.Add(1)
		d.process(job)
		d.running.Add(-1)
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

// Shutdown stops taking jobs, then waits until every queued job has been sent
// or given up, or until ctx is done. In the latter case it cancels the
// running attempts, logs how many jobs were dropped and returns without
// waiting further, as http.Server.Shutdown does; the workers leave as soon as
// their mailer returns.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	first := !d.closed
	if first {
		d.closed = true
		close(d.queue) // the workers drain what is left and return
	}
	enqueued := d.enqueued
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

	// A job is dropped when it was enqueued and has not finished; one still
	// running may yet be sent.
	dropped := enqueued - d.finished.Load()
	if dropped == 0 {
		d.log.Info("task queue drained")
		return nil
	}
	if first {
		d.dropped.Add(dropped)
	}
	d.log.Error("task queue shut down with jobs unfinished", "dropped", dropped)
	cause := ctx.Err()
	if cause == nil {
		cause = errors.New("workers never started")
	}
	return fmt.Errorf("tasks: shutdown: %d jobs dropped: %w", dropped, cause)
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
