package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/mailer"
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
func startTasks(cfg config, rdb *redis.Client, log *slog.Logger) (taskQueue, error) {
	var m tasks.Mailer = mailer.NewLog(log)
	mailerName := "log"
	if cfg.SMTP != nil {
		sm, err := mailer.NewSMTP(*cfg.SMTP)
		if err != nil {
			return nil, fmt.Errorf("SMTP mailer: %w", err)
		}
		m, mailerName = sm, "smtp"
	}

	var queue taskQueue
	backend := "memory"
	if rdb == nil {
		d, err := tasks.NewDispatcher(cfg.Tasks, m, log)
		if err != nil {
			return nil, fmt.Errorf("task queue: %w", err)
		}
		queue = d
	} else {
		backend = "redis"
		q, err := redisqueue.New(rdb, redisqueue.Config{Tasks: cfg.Tasks}, m, log)
		if err != nil {
			return nil, fmt.Errorf("task queue: %w", err)
		}
		queue = q
	}

	if err := queue.Start(); err != nil {
		return nil, fmt.Errorf("start task workers: %w", err)
	}
	log.Info("background tasks started", "queue", backend, "mailer", mailerName, "workers", cfg.Tasks.Workers)
	if cfg.SMTP == nil {
		log.Warn("SMTP_URL is not set: emails are written to the log instead of sent")
	}
	return queue, nil
}

// drainTasks lets the queue finish its jobs until ctx is done; the queue
// logs what it dropped.
func drainTasks(ctx context.Context, queue taskQueue) error {
	if err := queue.Shutdown(ctx); err != nil {
		return fmt.Errorf("drain tasks: %w", err)
	}
	return nil
}
