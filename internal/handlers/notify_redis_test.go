package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/files" // feature:files
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
		EnqueueTimeout: 500 * time.Millisecond,
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
// waitDrained waits until q has no job waiting in Redis and none running,
// so that no delivery, a duplicate or a refused job, can still come.
func waitDrained(t *testing.T, q *redisqueue.Queue) {
	t.Helper()
	taskstest.WaitFor(t, 10*time.Second, "the queue drained", func() bool {
		s, err := q.Stats(t.Context())
		return err == nil && s.Queued == 0 && s.Running == 0
	})
}

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

// TestNotify_RedisOutageDuringBurst cuts Redis off in the middle of a burst
// of notifications and brings it back. Every response must be 202 or 503;
// every job answered 202 must be delivered exactly once, and none answered
// 503: a write that reached Redis just before the cut, whose reply was cut
// off, is settled by Enqueue before the answer (see redisqueue's settle).
func TestNotify_RedisOutageDuringBurst(t *testing.T) {
	shared := testRedis(t)
	queue := taskstest.UniqueQueue(t, shared)
	proxy := newCutProxy(t, shared.Options().Addr)
	// The service's client honours context deadlines (see openRedis in
	// cmd/api), so EnqueueTimeout bounds every request.
	rdb := redis.NewClient(&redis.Options{
		Addr:                  proxy.Addr(),
		Username:              shared.Options().Username,
		Password:              shared.Options().Password,
		DB:                    shared.Options().DB,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = rdb.Close() })

	var mu sync.Mutex
	delivered := map[string]int{} // by recipient, one per request
	m := tasks.MailerFunc(func(_ context.Context, e tasks.Email) error {
		mu.Lock()
		defer mu.Unlock()
		delivered[e.To]++
		return nil
	})
	q := newRedisQueue(t, rdb, queue, m, true)
	s := newTaskServer(t, q)

	// Clients post until stop, each to an address of its own.
	var (
		next                atomic.Int64
		accepted, refused   sync.Map // recipient → struct{}
		nAccepted, nRefused atomic.Int64
		stop                = make(chan struct{})
		wg                  sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				to := fmt.Sprintf("user%d@example.com", next.Add(1))
				rec := postNotify(t, s, "/notify?email="+to, "", "")
				switch rec.Code {
				case http.StatusAccepted:
					accepted.Store(to, struct{}{})
					nAccepted.Add(1)
				case http.StatusServiceUnavailable:
					refused.Store(to, struct{}{})
					nRefused.Add(1)
				default:
					t.Errorf("POST /notify for %s = %d %s, want 202 or 503", to, rec.Code, rec.Body)
				}
			}
		})
	}
	const batch = 30 // accepted before the outage, and again after it
	taskstest.WaitFor(t, 10*time.Second, "notifications accepted before the outage", func() bool { return nAccepted.Load() >= batch })
	proxy.Cut()
	// Down longer than EnqueueTimeout, so requests meet both a Redis that
	// does not answer and one that refuses connections.
	time.Sleep(600 * time.Millisecond)
	proxy.Restore()
	again := nAccepted.Load() + batch
	taskstest.WaitFor(t, 10*time.Second, "notifications accepted after the outage", func() bool { return nAccepted.Load() >= again })
	close(stop)
	wg.Wait()

	if nRefused.Load() == 0 {
		t.Fatal("no request was answered 503: the outage did not happen during the burst")
	}
	t.Logf("%d accepted, %d refused", nAccepted.Load(), nRefused.Load())
	countOf := func(to string) int {
		mu.Lock()
		defer mu.Unlock()
		return delivered[to]
	}
	taskstest.WaitFor(t, 15*time.Second, "every accepted notification delivered", func() bool {
		all := true
		accepted.Range(func(to, _ any) bool {
			all = countOf(to.(string)) > 0
			return all
		})
		return all
	})
	waitDrained(t, q)

	accepted.Range(func(to, _ any) bool {
		if got := countOf(to.(string)); got != 1 {
			t.Errorf("accepted notification to %s delivered %d times, want once", to, got)
		}
		return true
	})
	refused.Range(func(to, _ any) bool {
		if got := countOf(to.(string)); got != 0 {
			t.Errorf("refused notification to %s delivered %d times, want never", to, got)
		}
		return true
	})
}

// TestNotify_RedisCutDuringConcurrentBurst sends 300 notifications at once
// and cuts Redis while they are in flight. Every one answered 202 must reach
// a real SMTP server exactly once, every other must be a 503 problem with
// Retry-After and never be sent; while Redis is down, readiness stays 200
// (reporting redis down) and the routes that never touch Redis (headers,
// the page, downloads) answer as usual.
func TestNotify_RedisCutDuringConcurrentBurst(t *testing.T) {
	shared := testRedis(t)
	queue := taskstest.UniqueQueue(t, shared)
	proxy := newCutProxy(t, shared.Options().Addr)
	rdb := redis.NewClient(&redis.Options{
		Addr:                  proxy.Addr(),
		Username:              shared.Options().Username,
		Password:              shared.Options().Password,
		DB:                    shared.Options().DB,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	mailServer := smtptest.NewServer(t, smtptest.Options{})
	q := newRedisQueue(t, rdb, queue, taskstest.SMTPMailer(t, mailServer), true)

	log, _ := taskstest.NewLogger()
	health := NewHealth(
		Check{Name: "storage", Func: func(context.Context) error { return nil }, Required: true},
		Check{Name: "redis", Func: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }})
	deps := Deps{Log: log, Health: health, Tasks: q, Static: pageFixture(t)}
	// feature:files begin
	store, err := files.NewStore(t.TempDir(), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deps.Files = store
	stored, err := store.Put(context.Background(), strings.NewReader("kept while Redis is down"), "kept.txt")
	if err != nil {
		t.Fatal(err)
	}
	// feature:files end
	s := &testServer{e: NewServer(testConfig(), deps), health: health}

	const n = 300
	var (
		answered            atomic.Int64
		nAccepted, nRefused atomic.Int64
		cut                 = make(chan struct{})
		start               = make(chan struct{})
		wg                  sync.WaitGroup
		status              [n]int
	)
	for i := range n {
		wg.Go(func() {
			<-start
			rec := postNotify(t, s, fmt.Sprintf("/notify?email=burst%d@example.com", i), "", "")
			status[i] = rec.Code
			switch rec.Code {
			case http.StatusAccepted:
				nAccepted.Add(1)
			case http.StatusServiceUnavailable:
				wantProblem(t, rec, http.StatusServiceUnavailable)
				if rec.Header().Get(echo.HeaderRetryAfter) == "" {
					t.Errorf("503 for burst%d has no Retry-After", i)
				}
				nRefused.Add(1)
			default:
				t.Errorf("POST /notify #%d = %d %s, want 202 or 503", i, rec.Code, rec.Body)
			}
			if answered.Add(1) == 10 {
				close(cut) // cut while the other 290 are in flight
			}
		})
	}
	close(start)
	<-cut
	proxy.Cut()
	wg.Wait()

	// Redis is down: only /notify may notice.
	rec := s.get(t, "/readyz")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"redis":"down"`) {
		t.Errorf("readyz with Redis down = %d %s, want 200 with redis down", rec.Code, rec.Body)
	}
	if rec := s.get(t, "/headers"); rec.Code != http.StatusOK {
		t.Errorf("headers with Redis down = %d", rec.Code)
	}
	if rec := s.get(t, "/"); rec.Code != http.StatusOK {
		t.Errorf("page with Redis down = %d", rec.Code)
	}
	// feature:files begin
	req := httptest.NewRequest(http.MethodGet, "/download/"+stored.ID, nil)
	req.Header.Set("Range", "bytes=0-3")
	if rec := s.do(t, req); rec.Code != http.StatusPartialContent || rec.Body.String() != "kept" {
		t.Errorf("ranged download with Redis down = %d %q, want 206 \"kept\"", rec.Code, rec.Body)
	}
	// feature:files end
	rec = postNotify(t, s, "/notify?email=during@example.com", "", "")
	wantProblem(t, rec, http.StatusServiceUnavailable)
	if rec.Header().Get(echo.HeaderRetryAfter) == "" {
		t.Error("503 while Redis is down has no Retry-After")
	}
	proxy.Restore()

	if nRefused.Load() == 0 || nAccepted.Load() == 0 {
		t.Fatalf("%d accepted, %d refused: the cut did not fall inside the burst", nAccepted.Load(), nRefused.Load())
	}
	t.Logf("%d accepted, %d refused", nAccepted.Load(), nRefused.Load())
	mailServer.WaitMessages(t, int(nAccepted.Load()), 20*time.Second)
	waitDrained(t, q)
	got := map[string]int{}
	for _, m := range mailServer.Messages() {
		for _, to := range m.To {
			got[to]++
		}
	}
	for i, code := range status {
		to := fmt.Sprintf("burst%d@example.com", i)
		switch {
		case code == http.StatusAccepted && got[to] != 1:
			t.Errorf("notification #%d answered 202 delivered %d times, want once", i, got[to])
		case code != http.StatusAccepted && got[to] != 0:
			// A reply that Redis sent but that came after EnqueueTimeout
			// is settled before the 503 (redisqueue's settle): the job is
			// taken back, so a 503 means nothing is sent.
			t.Errorf("notification #%d answered %d delivered %d times, want never", i, code, got[to])
		}
	}
}
