package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitStatus polls url until it answers want or the deadline passes.
func waitStatus(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered %d", url, want)
}

func TestRunServesAndShutsDownCleanly(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-http-addr", addr}, env("SHUTDOWN_DELAY", "300ms", "LOG_FORMAT", "text", "STORAGE_DIR", t.TempDir()), &stdout, io.Discard)
	}()

	base := "http://" + addr
	waitStatus(t, base+"/healthz", http.StatusOK)
	waitStatus(t, base+"/readyz", http.StatusOK)
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(ready), `"storage":"ok"`) {
		t.Errorf("readyz = %s, want the storage check", ready)
	}
	resp, err = http.Get(base + "/headers")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Process-Time") == "" || resp.Header.Get("X-Request-ID") == "" {
		t.Errorf("headers = %v, want X-Process-Time and X-Request-ID", resp.Header)
	}

	cancel()
	// During SHUTDOWN_DELAY the server still answers, but no longer ready.
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil after a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(stdout.String(), "stopped") {
		t.Errorf("log lacks the final line:\n%s", stdout.String())
	}
}

func TestRunReportsBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"-http-addr", ln.Addr().String()}, env("STORAGE_DIR", t.TempDir()), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Errorf("run = %v, want a listen error naming the address", err)
	}
}

// TestRunStopsOnUnusableDirs: a storage or static directory that cannot be
// used stops the start, with a message naming the setting.
func TestRunStopsOnUnusableDirs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		// A path below a regular file cannot be created, even by root.
		{"StorageUnwritable", []string{"STORAGE_DIR", filepath.Join(file, "uploads")}, "STORAGE_DIR"},
		{"StaticMissing", []string{"STORAGE_DIR", t.TempDir(), "STATIC_DIR", filepath.Join(file, "web")}, "STATIC_DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), []string{"-http-addr", freeAddr(t)}, env(tt.env...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	err := run(context.Background(), nil, env("SHUTDOWN_TIMEOUT", "soon"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT") {
		t.Errorf("run = %v, want a config error naming SHUTDOWN_TIMEOUT", err)
	}
}

func TestRunHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, env(), io.Discard, &stderr); err != nil {
		t.Fatalf("run -h = %v, want nil", err)
	}
	for _, name := range []string{"-http-addr", "HTTP_ADDR", "-cors-allow-origins"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("usage lacks %s", name)
		}
	}
}

// TestRunClosesWebSockets: on shutdown every WebSocket is told 1001 (Going
// Away), which http.Server.Shutdown does not do for them, and run still
// returns nil.
func TestRunClosesWebSockets(t *testing.T) {
	svc := startService(t)
	echo := dialWS(t, svc.base+"/ws")
	sendWS(t, echo, "hi")
	expectWS(t, echo, "Echo: hi")
	chat := dialWS(t, svc.base+"/chat?name=Ann")
	expectWS(t, chat, "Ann joined")

	if err := svc.stop(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
	for _, conn := range []*websocket.Conn{echo, chat} {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("read after shutdown = %v, want close 1001", err)
		}
	}
}

// TestRunChatAcrossInstances runs two instances on one Redis, as two
// replicas behind a load balancer would: each message reaches every client
// of both, once.
func TestRunChatAcrossInstances(t *testing.T) {
	settings := []string{"REDIS_URL", testRedisURL(t), "WS_REDIS_CHANNEL", "test:chat:" + rand.Text()}
	a, b := startService(t, settings...), startService(t, settings...)

	resp, err := http.Get(a.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(ready), `"chat":"ok"`) || !strings.Contains(string(ready), `"redis":"ok"`) {
		t.Errorf("readyz = %s, want the chat and redis checks", ready)
	}

	ann := dialWS(t, a.base+"/chat?name=Ann")
	expectWS(t, ann, "Ann joined")
	bob := dialWS(t, b.base+"/chat?name=Bob")
	expectWS(t, bob, "Bob joined")
	expectWS(t, ann, "Bob joined")

	// A second copy of a message would arrive before the next one, which
	// travels the same way.
	sendWS(t, ann, "hello from A")
	expectWS(t, ann, "Ann said: hello from A")
	expectWS(t, bob, "Ann said: hello from A")
	sendWS(t, bob, "hello from B")
	expectWS(t, ann, "Bob said: hello from B")
	expectWS(t, bob, "Bob said: hello from B")

	// An instance that stops still tells the others who left.
	if err := a.stop(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
	expectWS(t, bob, "Ann left")
}

// dialWS opens a WebSocket to an http:// URL of the service.
func dialWS(t *testing.T, httpURL string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(httpURL, "http"), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", httpURL, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func sendWS(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

// expectWS reads the next messages and checks they are want, in order.
func expectWS(t *testing.T, conn *websocket.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (want %q)", err, w)
		}
		if got := string(msg); got != w {
			t.Fatalf("got message %q, want %q", got, w)
		}
	}
}

func TestRunServesMetricsOnOwnListener(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-http-addr", addr, "-metrics-addr", metricsAddr},
			env("STORAGE_DIR", t.TempDir()), io.Discard, io.Discard)
	}()
	waitStatus(t, "http://"+addr+"/healthz", http.StatusOK)
	waitStatus(t, "http://"+metricsAddr+"/metrics", http.StatusOK)
	waitStatus(t, "http://"+addr+"/metrics", http.StatusNotFound)

	for range 2 {
		resp, err := http.Post("http://"+addr+"/notify?email=a@example.com", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// The log mailer sends at once; the scrape sees the jobs and requests.
	deadline := time.Now().Add(5 * time.Second)
	for want := []string{
		`app_tasks_sent_total 2`,
		`app_http_requests_total{method="POST",route="/notify",status="202"} 2`,
		`app_ws_connections 0`,
	}; ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s", missing)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
}
