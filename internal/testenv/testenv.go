// Package testenv is where tests ask for the parts a machine may lack, such
// as Redis or a browser. It holds the project's one rule about them: a
// missing part skips the test, with the reason, on a developer's machine,
// and fails it in CI (CI=true), where every test must run.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Missing skips t because a part it needs is missing, or fails it when
// CI=true.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true, where no test may be skipped", msg)
	}
	t.Skipf("skipping: %s", msg)
}

// Redis returns a client for database db of the Redis at REDIS_URL
// (default redis://127.0.0.1:6379), and the URL it used; the client closes
// when the test ends. An unreachable Redis is Missing.
func Redis(t testing.TB, db int) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/" + strconv.Itoa(db)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		Missing(t, "Redis at %s is unreachable (start it or set REDIS_URL): %v", opts.Addr, err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, url
}

// Exclusive makes t, across every process on this Redis, the one test that
// holds name until it ends; others wait their turn. It is for tests whose
// state in Redis no key can keep apart, such as a task queue whose workers
// take any job in it: run by two processes at once (make test beside a
// copy's tests, or a mutation tester) they would take each other's jobs.
func Exclusive(t testing.TB, rdb *redis.Client, name string) {
	t.Helper()
	const hold = 2 * time.Minute // longer than any such test; a crashed holder lets go
	key := "echotemplate:test:exclusive:" + name
	token := strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(os.Getpid())
	ctx := context.Background()
	for deadline := time.Now().Add(hold); ; time.Sleep(50 * time.Millisecond) {
		ok, err := rdb.SetNX(ctx, key, token, hold).Result()
		if err != nil {
			t.Fatalf("testenv: take %s: %v", key, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: %s still held by another test after %v", key, hold)
		}
	}
	t.Cleanup(func() {
		// Only our own hold: after a timeout it may be another test's.
		release := redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)
		_ = release.Run(ctx, rdb, []string{key}, token).Err()
	})
}

// Buffer is a bytes.Buffer that a server's goroutines may write to while
// the test reads it, as a logger's destination does.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
