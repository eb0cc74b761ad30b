package redisqueue_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/redisqueue"
)

// newRedis returns a client for the test Redis (see testenv.Redis).
func newRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb, _ := testenv.Redis(t, 0)
	return rdb
}

// testConfig returns a config for queue with quick polling and retries.
func testConfig(queue string) redisqueue.Config {
	return redisqueue.Config{
		Tasks:        tasks.Config{Workers: 2, MaxAttempts: 3, Timeout: 5 * time.Second, RetryDelay: 10 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond},
		Queue:        queue,
		PollInterval: 50 * time.Millisecond,
	}
}

// newQueue returns a Queue that is shut down when the test ends; start says
// whether it runs workers or only enqueues.
func newQueue(t testing.TB, rdb redis.UniversalClient, cfg redisqueue.Config, m tasks.Mailer, log *slog.Logger, start bool) *redisqueue.Queue {
	t.Helper()
	q, err := redisqueue.New(rdb, cfg, m, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if start {
		if err := q.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Shutdown(ctx)
	})
	return q
}
