package redisqueue_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// replyDropper forwards connections to Redis; while dropping, every reply
// is thrown away, so commands are applied but their answers never come:
// the lost reply that makes an enqueue ambiguous.
type replyDropper struct {
	ln       net.Listener
	backend  string
	dropping atomic.Bool
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func newReplyDropper(t *testing.T, backend string) *replyDropper {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &replyDropper{ln: ln, backend: backend}
	p.wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", backend)
			if err != nil {
				_ = client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, client, server)
			p.mu.Unlock()
			p.wg.Go(func() { _, _ = io.Copy(server, client); _ = server.Close() })
			p.wg.Go(func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := server.Read(buf)
					if n > 0 && !p.dropping.Load() {
						_, _ = client.Write(buf[:n])
					}
					if err != nil {
						_ = client.Close()
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// TestEnqueueSettlesALostReply: an enqueue whose write Redis applied but
// whose reply was lost is settled before it answers: the stored job is
// taken back and Enqueue fails, so the request's 503 is true and nothing
// is sent.
func TestEnqueueSettlesALostReply(t *testing.T) {
	shared := newRedis(t)
	queue := taskstest.UniqueQueue(t, shared)
	proxy := newReplyDropper(t, shared.Options().Addr)
	rdb := redis.NewClient(&redis.Options{
		Addr: proxy.ln.Addr().String(), DB: shared.Options().DB,
		ContextTimeoutEnabled: true, ReadTimeout: 100 * time.Millisecond, MaxRetries: -1,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	cfg := testConfig(queue)
	cfg.EnqueueTimeout = 200 * time.Millisecond
	log, logs := taskstest.NewLogger()
	q := newQueue(t, rdb, cfg, nil, log, false) // no workers: the job stays pending
	// A first job, answered, registers the queue and loads the script, so
	// that the next enqueue is one command: the one whose reply is lost.
	taskstest.Enqueue(t, q, taskstest.Job("first@example.com"))
	job := taskstest.Job("alice@example.com")

	proxy.dropping.Store(true)
	time.AfterFunc(400*time.Millisecond, func() { proxy.dropping.Store(false) })
	err := q.Enqueue(t.Context(), job)
	if !errors.Is(err, tasks.ErrBackendDown) {
		t.Fatalf("Enqueue with its reply lost = %v, want ErrBackendDown", err)
	}
	_, err = asynq.NewInspectorFromRedisClient(shared).GetTaskInfo(queue, job.ID)
	if !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("the job refused with 503 is still in Redis (lookup: %v)", err)
	}
	if lines := logs.Lines(t, "may still be sent"); len(lines) != 0 {
		t.Errorf("warned that the job may be sent, though Redis answered in time: %v", lines)
	}
}

// TestEnqueueRefusedConnectionIsQuick: a Redis that refuses connections
// stored nothing, so the 503 comes at once, without settling.
func TestEnqueueRefusedConnectionIsQuick(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	log, _ := taskstest.NewLogger()
	q := newQueue(t, rdb, testConfig("refused"), nil, log, false)
	start := time.Now()
	if err := q.Enqueue(t.Context(), taskstest.Job("alice@example.com")); !errors.Is(err, tasks.ErrBackendDown) {
		t.Fatalf("Enqueue = %v, want ErrBackendDown", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a refused connection took %v to answer", took)
	}
}
