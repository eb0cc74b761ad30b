// Package taskstest holds helpers for tests of package tasks, its backends
// and the code that uses them: a log buffer to assert on, enqueueing that
// fails the test, and an SMTP mailer aimed at an smtptest server.
package taskstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/logging"
)

// LogBuffer collects JSON log lines. Workers write while tests read, so it
// is safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// NewLogger returns the service's debug-level JSON logger (request ids from
// the context included), writing into a LogBuffer.
func NewLogger() (*slog.Logger, *LogBuffer) {
	buf := &LogBuffer{}
	log, err := logging.New(buf, "json", slog.LevelDebug)
	if err != nil {
		panic(err) // "json" is a known format
	}
	return log, buf
}

// Write implements io.Writer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Lines returns the records whose message contains msg, decoded.
func (b *LogBuffer) Lines(t testing.TB, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var found []map[string]any
	for line := range strings.Lines(b.buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if s, _ := rec["msg"].(string); strings.Contains(s, msg) {
			found = append(found, rec)
		}
	}
	return found
}

// Enqueue does for jobs what successful requests do: it hands each to q,
// with the request id "req-test" unless it has one, and fails the test if q
// refuses one.
func Enqueue(t testing.TB, q interface {
	Enqueue(context.Context, tasks.Job) error
}, jobs ...tasks.Job) {
	t.Helper()
	for _, job := range jobs {
		if job.RequestID == "" {
			job.RequestID = "req-test"
		}
		if err := q.Enqueue(context.Background(), job); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
}

// Job returns a valid job with a fresh ID, addressed to to.
func Job(to string) tasks.Job {
	return tasks.NewJob(tasks.Email{To: to, Subject: "Notification", Body: "Something happened."})
}

// SMTPMailer returns an SMTP mailer that sends to server as
// noreply@example.com, so Message-IDs end in "@example.com".
func SMTPMailer(t testing.TB, server *smtptest.Server) *mailer.SMTP {
	t.Helper()
	cfg, err := mailer.ParseSMTPURL(server.URL("", ""))
	if err != nil {
		t.Fatalf("ParseSMTPURL: %v", err)
	}
	cfg.From = "noreply@example.com"
	cfg.TLSConfig = server.ClientTLSConfig()
	m, err := mailer.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return m
}

// WaitFor polls cond until it holds, or fails the test after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// UniqueQueue returns an asynq queue name no other test run uses, and
// deletes the queue with everything asynq keeps for it when the test ends.
// Call it before starting queues on it, so that their cleanups, registered
// later, shut them down first.
func UniqueQueue(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	name := "test-" + strings.ToLower(rand.Text()[:12])
	t.Cleanup(func() {
		// DeleteQueue forgets the queue; the scan removes what it leaves
		// behind (counters, retained tasks).
		_ = asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(name, true)
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "asynq:{"+name+"}:*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return name
}
