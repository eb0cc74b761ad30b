package tasks_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// quickConfig keeps retries fast enough for tests.
var quickConfig = tasks.Config{Workers: 2, QueueSize: 100, MaxAttempts: 3, Timeout: 5 * time.Second, RetryDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond}

// newDispatcher returns a Dispatcher that is shut down when the test ends.
// start says whether its workers run.
func newDispatcher(t testing.TB, cfg tasks.Config, m tasks.Mailer, log *slog.Logger, start bool) *tasks.Dispatcher {
	t.Helper()
	d, err := tasks.NewDispatcher(cfg, m, log)
	if err != nil {
		t.Fatalf("NewDispatcher: %v", err)
	}
	if start {
		if err := d.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	return d
}

// shutdown shuts d down within timeout and fails the test on error.
func shutdown(t testing.TB, d *tasks.Dispatcher, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// stats returns d's stats or fails the test.
func stats(t testing.TB, d *tasks.Dispatcher) tasks.Stats {
	t.Helper()
	s, err := d.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

// recorder is a Mailer that keeps what it was asked to send.
type recorder struct {
	mu   sync.Mutex
	sent []tasks.Email
	ids  []string // RequestID of each job's context
}

func (r *recorder) Send(ctx context.Context, e tasks.Email) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, e)
	r.ids = append(r.ids, logging.RequestID(ctx))
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

func TestDispatcher_EnqueueRefuses(t *testing.T) {
	invalid := taskstest.Job("a@example.com")
	invalid.Subject = "Hi\r\nBcc: x@example.com"

	tests := []struct {
		name         string
		prepare      func(t *testing.T, d *tasks.Dispatcher)
		job          tasks.Job
		want         error
		wantTryLater bool
	}{
		{"QueueFull", func(t *testing.T, d *tasks.Dispatcher) {
			// No workers run, so the two jobs stay and fill the queue.
			taskstest.Enqueue(t, d, taskstest.Job("a@example.com"), taskstest.Job("b@example.com"))
		}, taskstest.Job("c@example.com"), tasks.ErrQueueFull, true},
		{"Closed", func(t *testing.T, d *tasks.Dispatcher) {
			shutdown(t, d, time.Second)
		}, taskstest.Job("a@example.com"), tasks.ErrClosed, true},
		{"InvalidJob", func(*testing.T, *tasks.Dispatcher) {}, invalid, tasks.ErrInvalidJob, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, _ := taskstest.NewLogger()
			cfg := quickConfig
			cfg.QueueSize = 2
			d := newDispatcher(t, cfg, &recorder{}, log, false)
			tt.prepare(t, d)
			queued := stats(t, d).Queued

			err := d.Enqueue(t.Context(), tt.job)
			if !errors.Is(err, tt.want) {
				t.Errorf("Enqueue error = %v, want %v", err, tt.want)
			}
			if got := tasks.TryLater(err); got != tt.wantTryLater {
				t.Errorf("TryLater(%v) = %v, want %v", err, got, tt.wantTryLater)
			}
			if got := stats(t, d).Queued; got != queued {
				t.Errorf("Queued = %d after a refused job, want %d", got, queued)
			}
		})
	}
}

func TestDispatcher_JobOutlivesRequestContext(t *testing.T) {
	log, _ := taskstest.NewLogger()
	m := &recorder{}
	d := newDispatcher(t, quickConfig, m, log, false)

	// The request ends, and its context with it, before any worker runs.
	reqCtx, endRequest := context.WithCancel(context.Background())
	job := taskstest.Job("a@example.com")
	job.RequestID = "req-42"
	if err := d.Enqueue(reqCtx, job); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	endRequest()
	if err := d.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	shutdown(t, d, 5*time.Second)

	if m.count() != 1 {
		t.Fatalf("sent %d emails, want 1", m.count())
	}
	if m.ids[0] != "req-42" {
		t.Errorf("RequestID in job context = %q, want req-42", m.ids[0])
	}
}

func TestDispatcher_RetriesUntilSent(t *testing.T) {
	log, _ := taskstest.NewLogger()
	var calls atomic.Int32
	m := tasks.MailerFunc(func(context.Context, tasks.Email) error {
		if calls.Add(1) < 3 {
			return errors.New("451 try later")
		}
		return nil
	})
	cfg := quickConfig
	cfg.MaxAttempts = 5
	d := newDispatcher(t, cfg, m, log, true)

	taskstest.Enqueue(t, d, taskstest.Job("a@example.com"))
	shutdown(t, d, 5*time.Second)

	got := stats(t, d)
	want := tasks.Stats{Attempts: 3, Failures: 2, Retries: 2, Sent: 1}
	if got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestDispatcher_PanicIsAFailureAndWorkerSurvives(t *testing.T) {
	log, logs := taskstest.NewLogger()
	panicky := taskstest.Job("panic@example.com")
	m := tasks.MailerFunc(func(_ context.Context, e tasks.Email) error {
		if e.ID == panicky.ID {
			panic("mailer bug")
		}
		return nil
	})
	cfg := quickConfig
	cfg.Workers, cfg.MaxAttempts = 1, 1 // the one worker must survive to send the second job
	d := newDispatcher(t, cfg, m, log, true)

	taskstest.Enqueue(t, d, panicky, taskstest.Job("b@example.com"))
	shutdown(t, d, 5*time.Second)

	got := stats(t, d)
	if got.Failures != 1 || got.GaveUp != 1 || got.Sent != 1 {
		t.Errorf("Stats = %+v, want 1 failure, 1 given up, 1 sent", got)
	}
	if n := len(logs.Lines(t, "email job panicked")); n != 1 {
		t.Errorf("got %d panic log lines, want 1", n)
	}
}

// TestDispatcher_EnqueueRacingShutdown: requests still being served while
// the queue shuts down either get their job queued, and then sent, or are
// refused; none is lost and none sends on the closed channel (-race).
func TestDispatcher_EnqueueRacingShutdown(t *testing.T) {
	log, _ := taskstest.NewLogger()
	m := &recorder{}
	d := newDispatcher(t, quickConfig, m, log, true)

	// Each sender enqueues until it is told the queue closed.
	const senders = 8
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				err := d.Enqueue(t.Context(), taskstest.Job("a@example.com"))
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, tasks.ErrClosed):
					return
				case !errors.Is(err, tasks.ErrQueueFull):
					t.Errorf("Enqueue error = %v, want nil, ErrQueueFull or ErrClosed", err)
					return
				}
			}
		})
	}
	taskstest.WaitFor(t, 5*time.Second, "some jobs accepted", func() bool { return accepted.Load() >= 20 })
	shutdown(t, d, 10*time.Second)
	wg.Wait()

	if got, want := m.count(), int(accepted.Load()); got != want {
		t.Errorf("sent %d emails, want one per accepted job (%d)", got, want)
	}
}

func TestDispatcher_ShutdownWithoutStartDropsQueued(t *testing.T) {
	log, logs := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, &recorder{}, log, false)
	taskstest.Enqueue(t, d, taskstest.Job("a@example.com"), taskstest.Job("b@example.com"))

	if err := d.Shutdown(t.Context()); err == nil {
		t.Fatal("Shutdown succeeded with jobs never run, want an error")
	}
	if got := stats(t, d).Dropped; got != 2 {
		t.Errorf("Dropped = %d, want 2", got)
	}
	if n := len(logs.Lines(t, "unfinished")); n != 1 {
		t.Errorf("got %d shutdown log lines, want 1", n)
	}
}

func BenchmarkDispatcher_Enqueue(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	noop := tasks.MailerFunc(func(context.Context, tasks.Email) error { return nil })
	// Room for every job, so the benchmark measures intake, not 503s.
	d := newDispatcher(b, tasks.Config{QueueSize: 1 << 20}, noop, log, true)
	job := taskstest.Job("a@example.com")

	b.ReportAllocs()
	for b.Loop() {
		if err := d.Enqueue(context.Background(), job); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

func BenchmarkDispatcher_EnqueueParallel(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	noop := tasks.MailerFunc(func(context.Context, tasks.Email) error { return nil })
	d := newDispatcher(b, tasks.Config{QueueSize: 1 << 20}, noop, log, true)
	job := taskstest.Job("a@example.com")

	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := d.Enqueue(context.Background(), job); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
