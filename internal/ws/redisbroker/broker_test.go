package redisbroker_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"example.com/echotemplate/internal/ws"
	"example.com/echotemplate/internal/ws/redisbroker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	redisAddr = "127.0.0.1:6379"
	timeout   = 10 * time.Second
)

// TestBrokerTwoHubs runs two hubs, as two instances would, on one Redis
// channel: a message sent on either reaches every client of both, once.
func TestBrokerTwoHubs(t *testing.T) {
	channel := testChannel(t)
	hubA := newHub(t, redisbroker.New(newRedis(t, ""), channel), nil)
	hubB := newHub(t, redisbroker.New(newRedis(t, ""), channel), nil)
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)

	a1 := joinChat(t, urlA, "a1")
	a2 := joinChat(t, urlA, "a2")
	expect(t, a1, "a2 joined")
	b1 := joinChat(t, urlB, "b1")
	expect(t, a1, "b1 joined")
	expect(t, a2, "b1 joined")
	all := []*websocket.Conn{a1, a2, b1}

	// A copy would arrive before the next message, which takes the same path.
	send(t, a1, "from A")
	for _, conn := range all {
		expect(t, conn, "a1 said: from A")
	}
	send(t, b1, "from B")
	for _, conn := range all {
		expect(t, conn, "b1 said: from B")
	}
}

// TestBrokerRecovers kills the hub's Redis connections: chat within the
// instance goes on, and the subscription comes back and carries messages
// between the hubs again.
func TestBrokerRecovers(t *testing.T) {
	channel := testChannel(t)
	name := "ws-test-" + rand.Text()
	// The hub logs a warning when its subscription goes down; at that moment
	// its readiness must say so.
	var watched atomic.Pointer[ws.Server]
	readyWhenWarned := make(chan error, 1)
	onWarn := func() {
		if hub := watched.Load(); hub != nil {
			select {
			case readyWhenWarned <- hub.Ready():
			default:
			}
		}
	}
	hubA := newHub(t, redisbroker.New(newRedis(t, name), channel), onWarn)
	watched.Store(hubA)
	hubB := newHub(t, redisbroker.New(newRedis(t, ""), channel), nil)
	a := joinChat(t, newServer(t, hubA), "a")
	b := joinChat(t, newServer(t, hubB), "b")
	expect(t, a, "b joined")

	admin := newRedis(t, "")
	killed := killClients(t, admin, name)
	if killed == 0 {
		t.Fatalf("no Redis connection named %s to kill", name)
	}
	select {
	case err := <-readyWhenWarned:
		if !errors.Is(err, ws.ErrBrokerUnavailable) {
			t.Errorf("Ready while the subscription is down: got %v, want ErrBrokerUnavailable", err)
		}
	case <-time.After(timeout):
		t.Fatal("hub A did not notice the killed subscription")
	}

	// Local chat does not wait for the subscription. Redis itself is up, so
	// the publish reaches hub B as well.
	send(t, a, "during")
	expect(t, a, "a said: during")
	expect(t, b, "a said: during")

	eventually(t, "hub A to subscribe again", func() bool { return hubA.Ready() == nil })
	send(t, b, "after")
	expect(t, a, "b said: after")
	expect(t, b, "b said: after")
}

// TestBrokerRedisDown needs no Redis: against a closed port, Subscribe and
// Publish fail promptly with errors that say what failed.
func TestBrokerRedisDown(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	b := redisbroker.New(client, "unused")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	err := b.Subscribe(ctx, func() { t.Error("ready called without Redis") }, func([]byte) {})
	if err == nil || !strings.Contains(err.Error(), "redisbroker: subscribe") {
		t.Errorf("Subscribe: got %v, want a subscribe error", err)
	}
	if err := b.Publish(ctx, []byte("x")); err == nil || !strings.Contains(err.Error(), "redisbroker: publish") {
		t.Errorf("Publish: got %v, want a publish error", err)
	}
}

// newRedis connects to the test Redis, skipping the test when it is not
// there, unless CI=true. name, when set, names the client's connections.
func newRedis(t *testing.T, name string) *redis.Client {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: redisAddr, ClientName: name})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		testenv.Missing(t, "Redis at %s is unreachable: %v", redisAddr, err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// testChannel is unique per run, so parallel runs on one Redis do not mix.
func testChannel(t *testing.T) string {
	return "echotemplate:test:" + t.Name() + ":" + rand.Text()
}

// killClients closes every Redis connection named name and returns how many.
func killClients(t *testing.T, admin *redis.Client, name string) int {
	t.Helper()
	ctx := context.Background()
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		fields := strings.Fields(line)
		var id string
		named := false
		for _, f := range fields {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			}
			named = named || f == "name="+name
		}
		if named && id != "" {
			if err := admin.ClientKillByFilter(ctx, "ID", id).Err(); err != nil {
				t.Fatalf("CLIENT KILL ID %s: %v", id, err)
			}
			killed++
		}
	}
	return killed
}

// newHub starts a hub on broker, waits until its subscription is up, and
// shuts it down when the test ends. onWarn, if not nil, is called whenever
// the hub logs a warning.
func newHub(t *testing.T, broker ws.Broker, onWarn func()) *ws.Server {
	t.Helper()
	hub, err := ws.NewServer(ws.Config{}, broker, slog.New(warnHandler(onWarn)))
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	eventually(t, "the Redis subscription", func() bool { return hub.Ready() == nil })
	return hub
}

func newServer(t *testing.T, hub *ws.Server) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := hub.ServeChat(w, r, r.RemoteAddr, ws.ChatRequest{Name: r.URL.Query().Get("name")}); err != nil && !errors.Is(err, ws.ErrHandshake) {
			http.Error(w, "refused", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func joinChat(t *testing.T, url, name string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url+"/chat?name="+name, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	expect(t, conn, name+" joined")
	return conn
}

func send(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

// expect reads the next messages and checks they are want, in order.
func expect(t *testing.T, conn *websocket.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		_ = conn.SetReadDeadline(time.Now().Add(timeout))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (want %q)", err, w)
		}
		if got := string(msg); got != w {
			t.Fatalf("got message %q, want %q", got, w)
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// warnHandler is a slog.Handler that discards records and calls its function
// for each warning or error.
type warnHandler func()

func (h warnHandler) Enabled(context.Context, slog.Level) bool { return h != nil }

func (h warnHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h()
	}
	return nil
}

func (h warnHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h warnHandler) WithGroup(string) slog.Handler      { return h }
