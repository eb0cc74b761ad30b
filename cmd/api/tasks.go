package main

// The background-tasks feature's wiring: the mailer, the queue in memory or
// on Redis, its shutdown and its metrics.

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/metrics"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/redisqueue"
)

// taskQueue is what run needs of a task backend: what the handlers need,
// and a lifecycle. tasks.Dispatcher and redisqueue.Queue both have it.
type taskQueue interface {
	handlers.TaskQueue
	Start() error
	Shutdown(ctx context.Context) error
	Stats(ctx context.Context) (tasks.Stats, error)
}

// startTasks builds the mailer and the queue the configuration asks for,
// on Redis when rdb (REDIS_URL) is set and in memory otherwise, and starts
// the workers. The queue uses rdb but does not own it: run closes it after
// the queue has drained.
func startTasks(ctx context.Context, cfg config, rdb *redis.Client, m *metrics.Metrics, log *slog.Logger) (taskQueue, error) {
	mail, mailerName, err := mailer.FromConfig(cfg.SMTP, log)
	if err != nil {
		return nil, err
	}

	var queue taskQueue
	backend := "memory"
	if rdb == nil {
		d, err := tasks.NewDispatcher(cfg.Tasks, mail, log)
		if err != nil {
			return nil, fmt.Errorf("task queue: %w", err)
		}
		queue = d
	} else {
		backend = "redis"
		q, err := redisqueue.New(rdb, redisqueue.Config{Tasks: cfg.Tasks}, mail, log)
		if err != nil {
			return nil, fmt.Errorf("task queue: %w", err)
		}
		queue = q
	}

	if err := queue.Start(); err != nil {
		return nil, fmt.Errorf("start task workers: %w", err)
	}
	taskMetrics(ctx, m, queue, log)
	log.Info("background tasks started", "queue", backend, "mailer", mailerName, "workers", cfg.Tasks.Workers)
	if cfg.SMTP == nil {
		log.Warn("SMTP_URL is not set: emails are written to the log instead of sent")
	}
	return queue, nil
}

// statsTimeout bounds one read of the task queue's figures during a scrape;
// with Redis it is a round trip.
const statsTimeout = 2 * time.Second

// taskMetrics exposes the task queue's figures, read once per scrape. Reads
// stop with ctx: once the service shuts down, so do they.
func taskMetrics(ctx context.Context, m *metrics.Metrics, q taskQueue, log *slog.Logger) {
	m.AddSource(func() []metrics.Stat {
		ctx, cancel := context.WithTimeout(ctx, statsTimeout)
		defer cancel()
		s, err := q.Stats(ctx)
		if err != nil {
			log.Warn("read task queue stats", "error", err)
			return nil
		}
		return []metrics.Stat{
			{Name: "tasks_queued", Help: "Jobs waiting to run.", Value: float64(s.Queued)},
			{Name: "tasks_running", Help: "Jobs in an attempt or waiting for their next one.", Value: float64(s.Running)},
			{Name: "tasks_attempts_total", Help: "Attempts started.", Counter: true, Value: float64(s.Attempts)},
			{Name: "tasks_failures_total", Help: "Attempts that failed, panics included.", Counter: true, Value: float64(s.Failures)},
			{Name: "tasks_retries_total", Help: "Failed attempts that will be tried again.", Counter: true, Value: float64(s.Retries)},
			{Name: "tasks_sent_total", Help: "Jobs whose email the mailer accepted.", Counter: true, Value: float64(s.Sent)},
			{Name: "tasks_gave_up_total", Help: "Jobs that failed their last attempt.", Counter: true, Value: float64(s.GaveUp)},
			{Name: "tasks_dropped_total", Help: "Jobs unfinished at the shutdown deadline (in-memory queue only).", Counter: true, Value: float64(s.Dropped)},
		}
	})
}
