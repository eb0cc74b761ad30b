package redisbroker_test

import (
	"context"
	"net"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/testenv"
	"example.com/echotemplate/internal/ws"
	"example.com/echotemplate/internal/ws/redisbroker"
)

// TestBrokerRedisRestart stops the Redis two instances share and starts it
// again, as an operator or a crash would: meanwhile each instance's clients
// still hear one another; once Redis is back, every line reaches every
// client of both exactly once, and a client resumes on the other instance
// from the stream Redis saved.
func TestBrokerRedisRestart(t *testing.T) {
	srv := startRedisServer(t)
	key := testKey(t)
	hubA := newHub(t, ws.Config{}, redisbroker.New(srv.client(t), key, 100), nil)
	hubB := newHub(t, ws.Config{}, redisbroker.New(srv.client(t), key, 100), nil)
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)
	a := joinChat(t, urlA, "a")
	b := dialJSON(t, urlB, "b", "")
	expect(t, a, "b joined")
	send(t, a, "before")
	expect(t, a, "a said: before")
	before := readLine(t, b)

	srv.stop(t)
	send(t, a, "during")
	expect(t, a, "a said: during") // delivered directly, without Redis
	srv.start(t)
	for _, hub := range []*ws.Server{hubA, hubB} {
		eventually(t, "the hubs to read Redis again", func() bool { return hub.Ready() == nil })
	}

	send(t, a, "after")
	expect(t, a, "a said: after")
	if got := readLine(t, b); got.Text != "after" {
		t.Fatalf("b got %+v, want the line after", got)
	}
	b.Close()
	expect(t, a, "b left")
	send(t, a, "while b is away")
	expect(t, a, "a said: while b is away")

	back := dialJSON(t, urlA, "b", before.ID)
	for _, want := range []string{"after", "while b is away", "b joined"} {
		if got := readJSON(t, back); got.Text != want || got.Missed {
			t.Fatalf("resumed and got %+v, want %q", got, want)
		}
	}
	send(t, a, "live")
	if got := readJSON(t, back); got.Text != "live" {
		t.Fatalf("got %+v, want the live line once", got)
	}
}

// redisServer is a redis-server of the test's own, which it may stop and
// start again on the same port with the data it saved.
type redisServer struct {
	addr, dir string
	cmd       *exec.Cmd
}

// startRedisServer starts redis-server on a free port, skipping the test
// when there is none, unless CI=true.
func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		testenv.Missing(t, "redis-server is not installed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &redisServer{addr: addr, dir: t.TempDir()}
	s.start(t)
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	return s
}

func (s *redisServer) start(t *testing.T) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--save", "", "--appendonly", "no")
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	admin := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer admin.Close()
	eventually(t, "redis-server to answer", func() bool {
		return admin.Ping(context.Background()).Err() == nil
	})
}

// stop saves the data and stops the server, as SHUTDOWN SAVE does.
func (s *redisServer) stop(t *testing.T) {
	t.Helper()
	admin := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer admin.Close()
	_ = admin.ShutdownSave(context.Background()).Err() // the connection ends with it
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	s.cmd = nil
}

// client connects to the server, as the service does (see cmd/api).
func (s *redisServer) client(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}
