package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/redisqueue"
)

// redisStartTimeout bounds the PING that checks REDIS_URL at start: long
// enough for a Redis across a network, short enough that a wrong address
// fails the start at once.
const redisStartTimeout = 5 * time.Second

// taskQueue is what run needs of a task backend; tasks.Dispatcher and
// redisqueue.Queue both have it.
type taskQueue interface {
	tasks.Queue
	Start() error
	Shutdown(ctx context.Context) error
	Stats(ctx context.Context) (tasks.Stats, error)
}

// backgroundTasks is the running task queue with the Redis client under it,
// which it outlives: the queue drains before Redis closes.
type backgroundTasks struct {
	queue taskQueue
	redis *redis.Client // nil with the in-process queue
}

// startTasks builds the mailer and the queue the configuration asks for,
// Redis when REDIS_URL is set and memory otherwise, and starts the workers.
func startTasks(ctx context.Context, cfg config, log *slog.Logger) (*backgroundTasks, error) {
	var m tasks.Mailer = mailer.NewLog(log)
	mailerName := "log"
	if cfg.SMTP != nil {
		sm, err := mailer.NewSMTP(*cfg.SMTP)
		if err != nil {
			return nil, fmt.Errorf("SMTP mailer: %w", err)
		}
		m, mailerName = sm, "smtp"
	}

	bg := &backgroundTasks{}
	backend := "memory"
	if cfg.Redis == nil {
		d, err := tasks.NewDispatcher(cfg.Tasks, m, log)
		if err != nil {
			return nil, fmt.Errorf("task queue: %w", err)
		}
		bg.queue = d
	} else {
		backend = "redis"
		bg.redis = redis.NewClient(cfg.Redis)
		// A Redis that cannot be reached fails the start with a clear
		// message, rather than a service that answers every POST /notify
		// with 503.
		pingCtx, cancel := context.WithTimeout(ctx, redisStartTimeout)
		defer cancel()
		if err := bg.redis.Ping(pingCtx).Err(); err != nil {
			_ = bg.redis.Close()
			return nil, fmt.Errorf("reach Redis at %s (REDIS_URL): %w", cfg.Redis.Addr, err)
		}
		q, err := redisqueue.New(bg.redis, redisqueue.Config{Tasks: cfg.Tasks}, m, log)
		if err != nil {
			_ = bg.redis.Close()
			return nil, fmt.Errorf("task queue: %w", err)
		}
		bg.queue = q
	}

	if err := bg.queue.Start(); err != nil {
		if bg.redis != nil {
			_ = bg.redis.Close()
		}
		return nil, fmt.Errorf("start task workers: %w", err)
	}
	log.Info("background tasks started", "queue", backend, "mailer", mailerName, "workers", cfg.Tasks.Workers)
	if cfg.SMTP == nil {
		log.Warn("SMTP_URL is not set: emails are written to the log instead of sent")
	}
	return bg, nil
}

// checks returns the readiness checks of the task backend: with Redis, a
// PING, named "redis".
func (bg *backgroundTasks) checks() []handlers.Check {
	if bg.redis == nil {
		return nil
	}
	return []handlers.Check{{Name: "redis", Func: func(ctx context.Context) error {
		return bg.redis.Ping(ctx).Err()
	}}}
}

// shutdown drains the queue until ctx is done (the queue logs what it
// dropped), then closes Redis.
func (bg *backgroundTasks) shutdown(ctx context.Context) error {
	err := bg.queue.Shutdown(ctx)
	if err != nil {
		err = fmt.Errorf("drain tasks: %w", err)
	}
	if bg.redis != nil {
		if cerr := bg.redis.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close redis: %w", cerr))
		}
	}
	return err
}
