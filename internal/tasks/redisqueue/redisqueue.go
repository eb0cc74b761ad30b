// Package redisqueue is the durable task queue: jobs are kept in Redis
// through hibiken/asynq, so they survive a crash or a kill -9 of the process
// and are sent by whichever instance is up. It runs every attempt through
// tasks.Runner, as the in-memory Dispatcher does, so both send the same way.
//
// Enqueue stores the job in Redis before it returns, bounded by
// EnqueueTimeout; when Redis does not take it, Enqueue fails with
// tasks.ErrBackendDown and the request answers 503. A client that got its
// 202 can therefore count on its job being in Redis. When Redis may have
// applied the write though its reply never came, Enqueue asks Redis what
// became of the job before it answers (see settle): a job that is queued
// is taken back, and one already running counts as queued. Only a Redis
// gone for longer than that leaves the answer in doubt: then the request
// gets its 503, a warning says the job may still be sent, and it may.
//
// Delivery is at least once:
//   - The job ID is the asynq task ID, so enqueueing a job that is already
//     queued, or was sent less than Retention ago, stores nothing.
//   - One instance takes a task at a time (asynq leases it), so in the
//     normal path no two instances send the same email.
//   - A process killed while sending leaves its task leased; asynq hands it
//     to another instance once the lease runs out (about 30s), and the email
//     may arrive twice. Both copies carry the same Message-ID.
//   - Shutdown stops taking tasks and waits for the running ones until its
//     deadline; asynq puts any still unfinished back in Redis.
package redisqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/tasks"
)

// taskType names email jobs in Redis and in asynq's tools (asynqmon).
const taskType = "email:send"

// Timing that is not worth a setting.
const (
	// asynqTimeoutMargin lets the Runner's attempt timeout fire before
	// asynq's own, so the attempt's outcome is logged and counted by the
	// Runner instead of being cut off by asynq.
	asynqTimeoutMargin = 5 * time.Second
	// shutdownGrace is how long asynq waits for tasks still running after
	// Shutdown's deadline before it puts them back in Redis.
	shutdownGrace = time.Second
	// idlePoll is how often Shutdown checks whether running jobs finished:
	// asynq offers no call that waits for them with a deadline.
	idlePoll = 10 * time.Millisecond
)

// Queue is a task queue kept in Redis. An instance that never calls Start
// only enqueues; instances that call Start also send.
type Queue struct {
	cfg       Config
	rdb       redis.UniversalClient
	client    *asynq.Client
	inspector *asynq.Inspector
	runner    *tasks.Runner
	log       *slog.Logger

	// ctx is the parent of every attempt's context. Shutdown cancels it, with
	// cause tasks.ErrClosed, only when its deadline passes.
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	server *asynq.Server // nil until Start

	closed  atomic.Bool
	running atomic.Int64
}

// New returns a Queue on rdb that sends through m. rdb stays the caller's to
// close, after Shutdown.
func New(rdb redis.UniversalClient, cfg Config, m tasks.Mailer, log *slog.Logger) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Queue{
		cfg:       cfg,
		rdb:       rdb,
		client:    asynq.NewClientFromRedisClient(rdb),
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		runner:    tasks.NewRunner(m, log, cfg.Tasks.Timeout),
		log:       log,
		ctx:       ctx,
		cancel:    cancel,
	}, nil
}

// Start starts Config.Tasks.Workers workers that take jobs from Redis until
// Shutdown.
func (q *Queue) Start() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.server != nil || q.closed.Load() {
		return errors.New("redisqueue: already started or shut down")
	}
	tc := q.cfg.Tasks
	q.server = asynq.NewServerFromRedisClient(q.rdb, asynq.Config{
		Concurrency: tc.Workers,
		Queues:      map[string]int{q.cfg.Queue: 1},
		BaseContext: func() context.Context { return q.ctx },
		RetryDelayFunc: func(retried int, _ error, _ *asynq.Task) time.Duration {
			return tasks.Backoff(retried+1, tc.RetryDelay, tc.RetryMaxDelay)
		},
		// An attempt cut short by shutdown did nothing wrong: it must not use
		// up one of the job's attempts.
		IsFailure:                func(err error) bool { return !errors.Is(err, tasks.ErrClosed) },
		Logger:                   asynqLogger{q.log},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          shutdownGrace,
		TaskCheckInterval:        q.cfg.PollInterval,
		DelayedTaskCheckInterval: q.cfg.PollInterval,
	})
	if err := q.server.Start(asynq.HandlerFunc(q.handle)); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}
	return nil
}

// Enqueue stores job in Redis, with its ID as the task ID, and returns once
// Redis has it; workers of any instance may start it at once. ctx is the
// request's, bounded here by EnqueueTimeout; the job never sees it. Enqueue
// fails with tasks.ErrClosed once Shutdown began, with tasks.ErrBackendDown
// when Redis does not take the job, and with tasks.ErrInvalidJob when job
// cannot be sent as it is.
func (q *Queue) Enqueue(ctx context.Context, job tasks.Job) error {
	if err := job.Validate(); err != nil {
		return err
	}
	if q.closed.Load() {
		return tasks.ErrClosed
	}
	payload, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", job.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, q.cfg.EnqueueTimeout)
	defer cancel()
	tc := q.cfg.Tasks
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(taskType, payload),
		asynq.TaskID(job.ID),
		asynq.Queue(q.cfg.Queue),
		asynq.MaxRetry(tc.MaxAttempts-1),
		asynq.Timeout(tc.Timeout+asynqTimeoutMargin),
		asynq.Retention(q.cfg.Retention))
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		// Already queued, or sent within Retention: storing it again would
		// send it twice.
		q.log.DebugContext(ctx, "email job already enqueued", "job_id", job.ID, "request_id", job.RequestID)
		return nil
	case err != nil && maybeStored(err):
		switch queued, settleErr := q.settle(job.ID); {
		case settleErr != nil:
			q.log.WarnContext(ctx, "email job may still be sent: Redis did not say whether it stored it",
				"job_id", job.ID, "request_id", job.RequestID, "error", settleErr)
		case queued:
			return nil
		}
		return fmt.Errorf("enqueue job %s: %w: %w", job.ID, tasks.ErrBackendDown, err)
	case err != nil:
		return fmt.Errorf("enqueue job %s: %w: %w", job.ID, tasks.ErrBackendDown, err)
	}
	return nil
}

// maybeStored reports whether a failed enqueue may have reached Redis: any
// failure but one to connect, which sent nothing.
func maybeStored(err error) bool {
	var opErr *net.OpError
	return !errors.As(err, &opErr) || opErr.Op != "dial"
}

// settle finds out what became of a job whose enqueue went unanswered,
// asking Redis until it answers or settleFor passes, and makes the answer
// final: a job still waiting is deleted (queued false), one that has begun
// is left to run (queued true), and one Redis does not have was never
// stored (queued false). A job that began between the two questions is
// caught by DeleteTask's refusal to delete an active task.
func (q *Queue) settle(id string) (queued bool, err error) {
	deadline := time.Now().Add(settleFor * q.cfg.EnqueueTimeout)
	for {
		queued, err = q.settleOnce(id)
		if err == nil || time.Now().After(deadline) {
			return queued, err
		}
		time.Sleep(settleRetry)
	}
}

// How long settle keeps asking, in EnqueueTimeouts, and how often.
const (
	settleFor   = 4
	settleRetry = 50 * time.Millisecond
)

func (q *Queue) settleOnce(id string) (queued bool, err error) {
	info, err := q.inspector.GetTaskInfo(q.cfg.Queue, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up job %s: %w", id, err)
	}
	switch info.State {
	case asynq.TaskStatePending, asynq.TaskStateScheduled, asynq.TaskStateAggregating:
	default: // active, retry, completed, archived: an attempt was made
		return true, nil
	}
	switch err := q.inspector.DeleteTask(q.cfg.Queue, id); {
	case err == nil, errors.Is(err, asynq.ErrTaskNotFound):
		return false, nil
	case strings.Contains(err.Error(), "active state"):
		// asynq has no error value for it; TestSettle notices a change.
		return true, nil
	default:
		return false, fmt.Errorf("take back job %s: %w", id, err)
	}
}

// handle runs one attempt of the job in t; asynq schedules the retries.
func (q *Queue) handle(ctx context.Context, t *asynq.Task) error {
	// Counted first, so Shutdown's wait sees a job as early as it can. One
	// asynq handed over just before Stop but not yet here is still waited
	// for, or put back in Redis, by server.Shutdown.
	q.running.Add(1)
	defer q.running.Add(-1)
	var job tasks.Job
	if err := json.Unmarshal(t.Payload(), &job); err != nil {
		id, _ := asynq.GetTaskID(ctx)
		q.log.Error("email job unreadable, giving up", "job_id", id, "error", err)
		return fmt.Errorf("decode job %s: %w: %w", id, err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)

	err := q.runner.Attempt(ctx, job, retried+1, retried >= maxRetry)
	if errors.Is(err, tasks.ErrPermanent) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// Shutdown stops taking jobs and tasks, waits until this instance's
// running jobs finish or ctx is done, and then stops the workers. Jobs still
// running at the deadline are cancelled and put back in Redis for another
// instance; none is dropped. Shutdown does not close the Redis client.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.closed.Store(true)
	defer q.cancel(tasks.ErrClosed) // frees the context when all went well
	q.mu.Lock()
	server := q.server
	q.mu.Unlock()
	if server == nil {
		return nil
	}

	server.Stop() // no new tasks; running ones go on
	err := q.waitIdle(ctx)
	if err != nil {
		q.cancel(tasks.ErrClosed)
		q.log.Warn("task queue shutdown deadline passed, returning running jobs to Redis", "running", q.running.Load())
	}
	server.Shutdown() // returns at once when idle, or after shutdownGrace
	if err == nil {
		q.log.Info("task queue stopped, running jobs finished")
	}
	return err
}

// waitIdle returns nil once no job of this instance runs, or ctx's error.
func (q *Queue) waitIdle(ctx context.Context) error {
	tick := time.NewTicker(idlePoll)
	defer tick.Stop()
	for q.running.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("redisqueue: shutdown: %w", ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// Stats returns this instance's counters and, in Queued, the jobs waiting in
// Redis for any instance. It asks Redis, so it can fail; the counters are
// returned even then.
func (q *Queue) Stats(ctx context.Context) (tasks.Stats, error) {
	s := q.runner.Stats()
	s.Running = int(q.running.Load())

	// Inspector takes no context; ctx is checked so a caller that gave up
	// is not kept waiting on a second call.
	if err := ctx.Err(); err != nil {
		return s, err
	}
	info, err := q.inspector.GetQueueInfo(q.cfg.Queue)
	switch {
	case err != nil && strings.Contains(err.Error(), "does not exist"):
		// Nothing was ever enqueued. asynq answers that with an error of its
		// internal package, not ErrQueueNotFound; TestQueue_Stats notices a
		// change.
		return s, nil
	case err != nil:
		return s, fmt.Errorf("read queue %s: %w", q.cfg.Queue, err)
	}
	s.Queued = info.Pending + info.Scheduled + info.Retry
	return s, nil
}
