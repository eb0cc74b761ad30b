package ws_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"example.com/echotemplate/internal/ws"
)

func TestMain(m *testing.M) {
	// The benchmarks run their WebSocket clients in a child process made
	// from this test binary; see fleet_test.go.
	if os.Getenv(fleetEnv) != "" {
		os.Exit(runFleet())
	}
	goleak.VerifyTestMain(m)
}

// timeout bounds every wait in the tests. It is generous because the suite
// runs under -race on two cores; a passing test never waits for it.
const timeout = 10 * time.Second

// newHub starts a server that is shut down when the test ends.
func newHub(t *testing.T, cfg ws.Config, broker ws.Broker) *ws.Server {
	t.Helper()
	hub, err := ws.NewServer(cfg, broker, discard())
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
	return hub
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newServer serves hub at /ws and /chat the way an HTTP layer would: the
// hub's errors become status codes. It returns the ws:// base URL.
func newServer(t *testing.T, hub *ws.Server) string {
	t.Helper()
	srv := httptest.NewServer(handler(hub))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func handler(hub *ws.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, hub.ServeEcho(w, r, clientIP(r)))
	})
	mux.HandleFunc("GET /chat", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, hub.ServeChat(w, r, clientIP(r), chatRequest(r)))
	})
	return mux
}

// chatRequest is what r asks of the chat, as an HTTP layer reads it.
func chatRequest(r *http.Request) ws.ChatRequest {
	q := r.URL.Query()
	return ws.ChatRequest{Name: q.Get("name"), Format: q.Get("format"), LastID: q.Get("last_id")}
}

// clientIP is the host of r's peer, as an HTTP layer without proxies sees it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// writeError answers an error of ServeEcho or ServeChat with its status.
func writeError(w http.ResponseWriter, err error) {
	switch {
	case err == nil, errors.Is(err, ws.ErrHandshake):
		// Upgraded, or the Upgrader has answered already.
	case errors.Is(err, ws.ErrNotWebSocket), errors.Is(err, ws.ErrInvalidName),
		errors.Is(err, ws.ErrInvalidFormat), errors.Is(err, ws.ErrInvalidLastID):
		http.Error(w, "bad request", http.StatusBadRequest)
	case errors.Is(err, ws.ErrTooManyFromAddr):
		http.Error(w, "too many", http.StatusTooManyRequests)
	case errors.Is(err, ws.ErrOriginNotAllowed):
		http.Error(w, "forbidden", http.StatusForbidden)
	case errors.Is(err, ws.ErrTooManyConnections), errors.Is(err, ws.ErrShuttingDown):
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	default:
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// dial opens a WebSocket that is closed when the test ends.
func dial(t *testing.T, url string, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dialStatus tries to open a WebSocket and returns the HTTP status of the
// handshake response: 101 on success.
func dialStatus(t *testing.T, url string, header http.Header) int {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err == nil {
		conn.Close()
	}
	if resp == nil {
		t.Fatalf("dial %s: no response: %v", url, err)
	}
	return resp.StatusCode
}

// joinChat opens a chat connection as name and waits for its own join
// notice, after which it receives every message broadcast.
func joinChat(t *testing.T, baseURL, name string) *websocket.Conn {
	t.Helper()
	conn := dial(t, baseURL+"/chat?name="+name, nil)
	expect(t, conn, name+" joined")
	return conn
}

func send(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

// read returns the next text message.
func read(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	typ, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("read: got message type %d, want text", typ)
	}
	return string(msg)
}

// expect reads the next messages and checks they are want, in order.
func expect(t *testing.T, conn *websocket.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := read(t, conn); got != w {
			t.Fatalf("got message %q, want %q", got, w)
		}
	}
}

// expectClose reads until the connection ends, checks that it ended with a
// close frame carrying code and returns the frame's reason.
func expectClose(t *testing.T, conn *websocket.Conn, code int) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended with %v, want close code %d", err, code)
		}
		if ce.Code != code {
			t.Fatalf("got close code %d (%q), want %d", ce.Code, ce.Text, code)
		}
		return ce.Text
	}
}

// eventually polls cond until it holds or the test times out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
