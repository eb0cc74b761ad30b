package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/internal/tasks/redisqueue"

	"github.com/hibiken/asynq"

	"example.com/echotemplate/internal/mailer/smtptest"
)

// notify posts the tutorial's POST /notify?email=to and fails the test
// unless it is accepted.
func (s *runningService) notify(t *testing.T, to string) {
	t.Helper()
	if status, body := s.tryNotify(t, to); status != http.StatusAccepted {
		t.Fatalf("POST /notify = %d %s, want 202", status, body)
	}
}

// tryNotify sends POST /notify to to and returns the status and body.
func (s *runningService) tryNotify(t *testing.T, to string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(s.base+"/notify?email="+to, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, body
}

// TestRunDeliversAcceptedNotificationsBeforeReturning: every notification
// accepted before the shutdown is sent before run returns.
func TestRunDeliversAcceptedNotificationsBeforeReturning(t *testing.T) {
	const n = 50
	// Slow enough that most of the 50 are still queued at the shutdown.
	server := smtptest.NewServer(t, smtptest.Options{Delay: 20 * time.Millisecond})
	svc := startService(t, "SMTP_URL", server.URL("", ""), "TASK_WORKERS", "2", "SHUTDOWN_TIMEOUT", "20s")

	for i := range n {
		svc.notify(t, fmt.Sprintf("user%d@example.com", i))
	}
	if err := svc.stop(); err != nil {
		t.Fatalf("run returned %v, want nil after a clean shutdown; log:\n%s", err, svc.logs)
	}
	if got := server.Len(); got != n {
		t.Errorf("%d emails delivered when run returned, want %d", got, n)
	}
	if !strings.Contains(svc.logs.String(), "task queue drained") {
		t.Errorf("log lacks the drain line:\n%s", svc.logs)
	}
	if strings.Contains(svc.logs.String(), "SMTP_URL is not set") {
		t.Errorf("log warns of a missing SMTP_URL, which is set:\n%s", svc.logs)
	}
}

// TestRunLogsDroppedNotifications: with a deadline too short to send them,
// run says how many jobs it dropped and fails.
func TestRunLogsDroppedNotifications(t *testing.T) {
	const n = 50
	server := smtptest.NewServer(t, smtptest.Options{Delay: time.Second})
	svc := startService(t, "SMTP_URL", server.URL("", ""), "TASK_WORKERS", "1", "TASK_TIMEOUT", "3s", "SHUTDOWN_TIMEOUT", "200ms")

	for i := range n {
		svc.notify(t, fmt.Sprintf("user%d@example.com", i))
	}
	err := svc.stop()
	if err == nil || !strings.Contains(err.Error(), "dropped") {
		t.Errorf("run returned %v, want an error saying jobs were dropped", err)
	}
	m := regexp.MustCompile(`task queue shut down with jobs unfinished.* dropped=(\d+)`).FindStringSubmatch(svc.logs.String())
	if m == nil {
		t.Fatalf("log lacks the dropped count:\n%s", svc.logs)
	}
	// The worker gets through at most one email before the deadline.
	if dropped, _ := strconv.Atoi(m[1]); dropped < n-1 {
		t.Errorf("dropped = %d, want at least %d", dropped, n-1)
	}
}

// TestRunRefusesUnreachableRedis: a wrong REDIS_URL stops the start.
func TestRunRefusesUnreachableRedis(t *testing.T) {
	closed := freeAddr(t) // nothing listens there any more
	err := run(context.Background(), []string{"-http-addr", freeAddr(t)},
		env("REDIS_URL", "redis://:s3cret@"+closed+"/0", "STORAGE_DIR", t.TempDir()), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("run = %v, want an error naming REDIS_URL without its password", err)
	}
}

// testRedisURL returns the URL of testRedis, with the tasks left in the
// service's queue by an earlier run removed before and after the test.
func testRedisURL(t *testing.T) string {
	t.Helper()
	rdb, url := testRedis(t)
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	_ = inspector.DeleteQueue(redisqueue.DefaultConfig.Queue, true)
	t.Cleanup(func() { _ = inspector.DeleteQueue(redisqueue.DefaultConfig.Queue, true) })
	return url
}

// TestRunRedis runs two instances on one Redis. A notification accepted by
// either is sent once, by whichever took it, and the instances share the
// count of notifications per recipient. Crashes and duplicate sends are
// tested in package redisqueue.
func TestRunRedis(t *testing.T) {
	redisURL := testRedisURL(t)
	server := smtptest.NewServer(t, smtptest.Options{})
	// The counts live in Redis for their whole period, so every run has
	// recipients of its own, and the count per client address (always
	// 127.0.0.1 here, and shared with every other run) is off.
	run := strings.ToLower(rand.Text()[:10])
	settings := []string{"REDIS_URL", redisURL, "SMTP_URL", server.URL("", ""),
		"RATE_LIMIT_PER_MINUTE", "0", "NOTIFY_PER_RECIPIENT_PER_HOUR", "1"}
	instances := []*runningService{startService(t, settings...), startService(t, settings...)}

	resp, err := http.Get(instances[0].base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(ready), `"redis":"ok"`) {
		t.Errorf("readyz = %s, want the redis check", ready)
	}

	const n = 10
	for i := range n {
		instances[i%2].notify(t, fmt.Sprintf("user%d-%s@example.com", i, run))
	}
	// user0 got its one notification of the hour through instance 0.
	if status, body := instances[1].tryNotify(t, fmt.Sprintf("user0-%s@example.com", run)); status != http.StatusTooManyRequests {
		t.Errorf("a second notification to user0 through the other instance: %d %s, want 429", status, body)
	}
	server.WaitMessages(t, n, 15*time.Second)
	// The queue's figures are read from Redis at each scrape.
	if body := getBody(t, instances[0].base+"/metrics"); !strings.Contains(body, "app_tasks_queued 0") {
		t.Errorf("/metrics lacks app_tasks_queued 0:\n%s", body)
	}
	for _, svc := range instances {
		if err := svc.stop(); err != nil {
			t.Errorf("run returned %v, want nil", err)
		}
	}
	for _, msg := range server.Messages() {
		if got := server.Count(msg.MessageID); got != 1 {
			t.Errorf("Message-ID %s arrived %d times, want once", msg.MessageID, got)
		}
	}
	if got := server.Len(); got != n {
		t.Errorf("server got %d emails, want %d", got, n)
	}
}
