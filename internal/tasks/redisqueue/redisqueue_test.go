package redisqueue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/redisqueue"
	"example.com/echotemplate/internal/tasks/taskstest"
)

func TestQueue_DeliversJob(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	server := smtptest.NewServer(t, smtptest.Options{})
	log, _ := taskstest.NewLogger()
	q := newQueue(t, rdb, testConfig(queue), taskstest.SMTPMailer(t, server), log, true)
	job := taskstest.Job("alice@example.com")

	taskstest.Enqueue(t, q, job)

	got := server.WaitMessages(t, 1, 5*time.Second)[0]
	if want := job.ID + "@example.com"; got.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", got.MessageID, want)
	}
	if len(got.To) != 1 || got.To[0] != job.To || got.Subject != job.Subject || got.Body != job.Body {
		t.Errorf("got message to %v, subject %q, body %q; want %s, %q, %q", got.To, got.Subject, got.Body, job.To, job.Subject, job.Body)
	}
	taskstest.WaitFor(t, 5*time.Second, "Stats.Sent = 1", func() bool {
		s, err := q.Stats(t.Context())
		return err == nil && s.Sent == 1 && s.Queued == 0
	})
}

func TestQueue_TwoInstancesSendEachJobOnce(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	// A slow server keeps one instance's workers busy, so the other takes
	// jobs too and the two really compete.
	server := smtptest.NewServer(t, smtptest.Options{Delay: 20 * time.Millisecond})
	log, _ := taskstest.NewLogger()
	m := taskstest.SMTPMailer(t, server)
	a := newQueue(t, rdb, testConfig(queue), m, log, true)
	b := newQueue(t, rdb, testConfig(queue), m, log, true)

	const n = 20
	for range n {
		// Both instances enqueue the same job: its ID dedupes the second.
		job := taskstest.Job("alice@example.com")
		taskstest.Enqueue(t, a, job)
		taskstest.Enqueue(t, b, job)
	}

	server.WaitMessages(t, n, 10*time.Second)
	waitDrained(t, rdb, queue) // a duplicate job would have been sent by now
	msgs := server.Messages()
	if len(msgs) != n {
		t.Errorf("server got %d messages, want %d", len(msgs), n)
	}
	for _, msg := range msgs {
		if c := server.Count(msg.MessageID); c != 1 {
			t.Errorf("Message-ID %s sent %d times, want once", msg.MessageID, c)
		}
	}
	statsA, _ := a.Stats(t.Context())
	statsB, _ := b.Stats(t.Context())
	if got := statsA.Sent + statsB.Sent; got != n {
		t.Errorf("instances sent %d + %d emails, want %d in all", statsA.Sent, statsB.Sent, n)
	}
	t.Logf("instance a sent %d, instance b sent %d", statsA.Sent, statsB.Sent)
}

func TestQueue_FailingServerIsRetriedThenGivenUp(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	server := smtptest.NewServer(t, smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.TempFail }})
	log, logs := taskstest.NewLogger()
	cfg := testConfig(queue)
	q := newQueue(t, rdb, cfg, taskstest.SMTPMailer(t, server), log, true)
	job := taskstest.Job("alice@example.com")

	taskstest.Enqueue(t, q, job)

	taskstest.WaitFor(t, 10*time.Second, "a 'giving up' log line", func() bool { return len(logs.Lines(t, "giving up")) > 0 })
	waitDrained(t, rdb, queue) // an extra attempt would have been made by now
	if got, want := server.Attempts(), cfg.Tasks.MaxAttempts; got != want {
		t.Errorf("server saw %d attempts, want %d", got, want)
	}
	line := logs.Lines(t, "giving up")[0]
	if got := line["job_id"]; got != job.ID {
		t.Errorf("log job_id = %v, want %q", got, job.ID)
	}
	// The line names the last attempt, counted from 1 (JSON numbers decode
	// as float64).
	if got, want := line["attempt"], float64(cfg.Tasks.MaxAttempts); got != want {
		t.Errorf("log attempt = %v, want %v", got, want)
	}
}

// TestQueue_PermanentRefusalIsNotRetried: a 5xx reply is tried once,
// logged once with the reason, and never again, however many attempts the
// job had left.
func TestQueue_PermanentRefusalIsNotRetried(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	server := smtptest.NewServer(t, smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.PermFail }})
	log, logs := taskstest.NewLogger()
	q := newQueue(t, rdb, testConfig(queue), taskstest.SMTPMailer(t, server), log, true)

	taskstest.Enqueue(t, q, taskstest.Job("alice@example.com"))

	taskstest.WaitFor(t, 10*time.Second, "a 'giving up' log line", func() bool { return len(logs.Lines(t, "giving up")) > 0 })
	waitDrained(t, rdb, queue) // a retry would have been made by now
	if got := server.Attempts(); got != 1 {
		t.Errorf("server saw %d attempts of a permanently refused email, want 1", got)
	}
	lines := logs.Lines(t, "giving up")
	if len(lines) != 1 || !strings.Contains(fmt.Sprint(lines[0]["error"]), "550") {
		t.Errorf("giving-up lines %v; want one, with the server's 550", lines)
	}
	if n := len(logs.Lines(t, "will retry")); n != 0 {
		t.Errorf("%d 'will retry' lines for a permanent refusal", n)
	}
}

func TestQueue_EnqueueStoresJobBeforeReturning(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	log, _ := taskstest.NewLogger()
	q := newQueue(t, rdb, testConfig(queue), tasks.MailerFunc(nil), log, false)
	job := taskstest.Job("alice@example.com")

	taskstest.Enqueue(t, q, job)

	info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(queue, job.ID)
	if err != nil {
		t.Fatalf("job %s is not in Redis after Enqueue returned: %v", job.ID, err)
	}
	if info.State != asynq.TaskStatePending {
		t.Errorf("task state = %v, want pending", info.State)
	}
	// asynq counts retries, the Runner attempts; and asynq's timeout must
	// come after the Runner's, which logs and counts the attempt.
	cfg := testConfig(queue).Tasks
	if info.MaxRetry != cfg.MaxAttempts-1 {
		t.Errorf("task MaxRetry = %d, want %d for %d attempts", info.MaxRetry, cfg.MaxAttempts-1, cfg.MaxAttempts)
	}
	if info.Timeout <= cfg.Timeout || info.Timeout > cfg.Timeout+time.Minute {
		t.Errorf("task Timeout = %v, want a few seconds more than the Runner's %v", info.Timeout, cfg.Timeout)
	}
}

func TestQueue_EnqueueRefuses(t *testing.T) {
	// Nothing listens on port 1: every command fails at once.
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	invalid := taskstest.Job("alice@example.com")
	invalid.To = "alice@example.com\r\nBcc: bob@example.com"

	tests := []struct {
		name         string
		queue        func(t *testing.T) *redisqueue.Queue
		job          tasks.Job
		want         error
		wantTryLater bool
	}{
		{"RedisDown", func(t *testing.T) *redisqueue.Queue {
			log, _ := taskstest.NewLogger()
			return newQueue(t, down, testConfig("unused"), tasks.MailerFunc(nil), log, false)
		}, taskstest.Job("alice@example.com"), tasks.ErrBackendDown, true},
		{"RedisClientClosed", func(t *testing.T) *redisqueue.Queue {
			closed := redis.NewClient(&redis.Options{Addr: newRedis(t).Options().Addr})
			_ = closed.Close()
			log, _ := taskstest.NewLogger()
			return newQueue(t, closed, testConfig("unused"), tasks.MailerFunc(nil), log, false)
		}, taskstest.Job("alice@example.com"), tasks.ErrBackendDown, true},
		{"ShutDown", func(t *testing.T) *redisqueue.Queue {
			log, _ := taskstest.NewLogger()
			q := newQueue(t, newRedis(t), testConfig("unused"), tasks.MailerFunc(nil), log, false)
			if err := q.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			return q
		}, taskstest.Job("alice@example.com"), tasks.ErrClosed, true},
		{"InvalidJob", func(t *testing.T) *redisqueue.Queue {
			log, _ := taskstest.NewLogger()
			return newQueue(t, down, testConfig("unused"), tasks.MailerFunc(nil), log, false)
		}, invalid, tasks.ErrInvalidJob, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.queue(t).Enqueue(t.Context(), tt.job)
			if !errors.Is(err, tt.want) {
				t.Errorf("Enqueue error = %v, want %v", err, tt.want)
			}
			if got := tasks.TryLater(err); got != tt.wantTryLater {
				t.Errorf("TryLater(%v) = %v, want %v", err, got, tt.wantTryLater)
			}
		})
	}
}

func TestQueue_ShutdownWaitsForRunningJob(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	server := smtptest.NewServer(t, smtptest.Options{Delay: 300 * time.Millisecond})
	log, logs := taskstest.NewLogger()
	q := newQueue(t, rdb, testConfig(queue), taskstest.SMTPMailer(t, server), log, true)

	taskstest.Enqueue(t, q, taskstest.Job("alice@example.com"))
	taskstest.WaitFor(t, 5*time.Second, "the server to see the message", func() bool { return server.Attempts() == 1 })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := q.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if stopped, late := logs.Lines(t, "task queue stopped, running jobs finished"), logs.Lines(t, "task queue shutdown deadline passed, returning running jobs to Redis"); len(stopped) != 1 || len(late) != 0 {
		t.Errorf("logged %d 'stopped' and %d 'deadline passed' lines, want one and none", len(stopped), len(late))
	}

	if got := server.Len(); got != 1 {
		t.Errorf("server got %d messages before Shutdown returned, want 1", got)
	}
	if err := q.Enqueue(t.Context(), taskstest.Job("alice@example.com")); !errors.Is(err, tasks.ErrClosed) {
		t.Errorf("Enqueue after Shutdown: error = %v, want ErrClosed", err)
	}
}

func TestQueue_ShutdownDeadlineLeavesJobInRedis(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	log, logs := taskstest.NewLogger()
	started := make(chan struct{}, 1)
	blocking := tasks.MailerFunc(func(ctx context.Context, _ tasks.Email) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	first := newQueue(t, rdb, testConfig(queue), blocking, log, true)
	job := taskstest.Job("alice@example.com")
	taskstest.Enqueue(t, first, job)
	<-started

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := first.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown succeeded with a job running past its deadline, want an error")
	}
	late := logs.Lines(t, "task queue shutdown deadline passed, returning running jobs to Redis")
	if stopped := logs.Lines(t, "task queue stopped, running jobs finished"); len(late) != 1 || late[0]["running"] != float64(1) || len(stopped) != 0 {
		t.Errorf("logged %v as 'deadline passed' and %d 'stopped' lines, want one with running 1, and none", late, len(stopped))
	}

	// The interrupted job is back in Redis and another instance sends it.
	server := smtptest.NewServer(t, smtptest.Options{})
	newQueue(t, rdb, testConfig(queue), taskstest.SMTPMailer(t, server), log, true)
	got := server.WaitMessages(t, 1, 10*time.Second)[0]
	if want := job.ID + "@example.com"; got.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", got.MessageID, want)
	}
}

func TestNew_InvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  redisqueue.Config
	}{
		{"NegativeWorkers", redisqueue.Config{Tasks: tasks.Config{Workers: -1}}},
		{"NegativePollInterval", redisqueue.Config{PollInterval: -time.Second}},
		{"NegativeEnqueueTimeout", redisqueue.Config{EnqueueTimeout: -time.Second}},
		{"NegativeRetention", redisqueue.Config{Retention: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := redisqueue.New(nil, tt.cfg, nil, slog.New(slog.DiscardHandler)); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

// TestQueue_Stats: Queued counts the jobs waiting in Redis, pending or
// waiting for a retry, zero before any was enqueued; a caller that gave up
// gets its context's error.
func TestQueue_Stats(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	log, _ := taskstest.NewLogger()
	q := newQueue(t, rdb, testConfig(queue), tasks.MailerFunc(nil), log, false)

	if s, err := q.Stats(t.Context()); err != nil || s.Queued != 0 {
		t.Errorf("before any job: Stats = %+v, %v; want 0 queued, no error", s, err)
	}
	taskstest.Enqueue(t, q, taskstest.Job("alice@example.com"))
	taskstest.Enqueue(t, q, taskstest.Job("bob@example.com"))
	if s, err := q.Stats(t.Context()); err != nil || s.Queued != 2 {
		t.Errorf("after two jobs: Stats = %+v, %v; want 2 queued, no error", s, err)
	}
	// A job waiting for its retry is queued too.
	retrying := taskstest.UniqueQueue(t, rdb)
	cfg := testConfig(retrying)
	cfg.Tasks.RetryDelay, cfg.Tasks.RetryMaxDelay = time.Hour, time.Hour
	failing := tasks.MailerFunc(func(context.Context, tasks.Email) error { return errors.New("try again later") })
	r := newQueue(t, rdb, cfg, failing, log, true)
	taskstest.Enqueue(t, r, taskstest.Job("carol@example.com"))
	taskstest.WaitFor(t, 10*time.Second, "one job queued for its retry", func() bool {
		s, err := r.Stats(t.Context())
		return err == nil && s.Retries == 1 && s.Running == 0 && s.Queued == 1
	})

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := q.Stats(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("with a cancelled context: Stats error = %v, want context.Canceled", err)
	}
}
