package handlers

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/redisqueue"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// testRedis returns a client for the test Redis (see testenv.Redis).
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb, _ := testenv.Redis(t, 0)
	return rdb
}

// downRedis returns a client for an address where nothing listens.
func downRedis(t testing.TB) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newRedisQueue returns a Redis queue named queue that sends through m,
// shut down when the test ends; start says whether its workers run.
func newRedisQueue(t testing.TB, rdb redis.UniversalClient, queue string, m tasks.Mailer, start bool) *redisqueue.Queue {
	t.Helper()
	log, _ := taskstest.NewLogger()
	q, err := redisqueue.New(rdb, redisqueue.Config{
		Tasks:          quickTasks,
		Queue:          queue,
		PollInterval:   50 * time.Millisecond,
		ReserveTimeout: 500 * time.Millisecond,
	}, m, log)
	if err != nil {
		t.Fatalf("redisqueue.New: %v", err)
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

// TestNotify_Redis runs two instances on one Redis queue. Notifications
// accepted by either are each delivered once, by whichever instance took
// them. What happens when an instance is killed, and that no two instances
// send the same job, is tested in package redisqueue
// (TestQueue_JobSurvivesKilledProcess, TestQueue_TwoInstancesSendEachJobOnce).
func TestNotify_Redis(t *testing.T) {
	rdb := testRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)
	server := smtptest.NewServer(t, smtptest.Options{})
	m := taskstest.SMTPMailer(t, server)
	instances := []*testServer{
		newTaskServer(t, newRedisQueue(t, rdb, queue, m, true)),
		newTaskServer(t, newRedisQueue(t, rdb, queue, m, true)),
	}

	const n = 10
	for i := range n {
		to := fmt.Sprintf("user%d@example.com", i)
		wantAccepted(t, postNotify(t, instances[i%2], "/notify?email="+to, "", ""))
	}
	for i := range n {
		waitForRecipient(t, server, fmt.Sprintf("user%d@example.com", i))
	}
	for _, msg := range server.Messages() {
		if got := server.Count(msg.MessageID); got != 1 {
			t.Errorf("Message-ID %s arrived %d times, want once", msg.MessageID, got)
		}
	}
	if got := server.Len(); got != n {
		t.Errorf("server got %d messages, want %d", got, n)
	}
}
