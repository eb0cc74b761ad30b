package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"example.com/echotemplate/internal/logging"

	"github.com/redis/go-redis/v9"
)

// redisStartTimeout bounds the PING that checks REDIS_URL at start: long
// enough for a Redis across a network, short enough that a wrong address
// fails the start at once.
const redisStartTimeout = 5 * time.Second

// openRedis returns the one Redis client of the service, which the task
// queue and the chat share, or nil when REDIS_URL is not set. A Redis that
// cannot be reached fails the start with a clear message, rather than a
// service that answers every POST /notify with 503. run closes the client
// last, after everything that uses it has stopped.
func openRedis(ctx context.Context, opts *redis.Options, log *slog.Logger) (*redis.Client, error) {
	if opts == nil {
		return nil, nil
	}
	// go-redis has one logger for the whole process, which by default
	// writes plain text to stderr ("redis: ... failed to dial") while Redis
	// is down; through slog those lines are JSON like every other.
	redis.SetLogger(logging.Printf{Log: log, Prefix: "redis client: "})
	// Without this, go-redis ignores a context's deadline once a command is
	// on the wire and waits ReadTimeout (3s) for a Redis that does not
	// answer; with it, the task queue's EnqueueTimeout bounds how long
	// POST /notify waits for its 503.
	opts.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, redisStartTimeout)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("reach Redis at %s (REDIS_URL): %w", opts.Addr, err)
	}
	return rdb, nil
}
