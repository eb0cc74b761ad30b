package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/testenv"
	"example.com/echotemplate/internal/ws"
)

// wsServer is the whole HTTP surface with a real hub, wired as run wires it.
type wsServer struct {
	*testServer
	hub  *ws.Server
	logs *testenv.Buffer
	url  string // ws://127.0.0.1:port of a real server on s.e
}

func newWSServer(t *testing.T, hubCfg ws.Config) *wsServer {
	t.Helper()
	logs := &testenv.Buffer{}
	log, err := logging.New(logs, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	hubCfg.UpgradeError = UpgradeError
	hub, err := ws.NewServer(hubCfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	health := NewHealth()
	e := NewServer(testConfig(), Deps{Log: log, Health: health, WebSockets: hub})
	srv := httptest.NewServer(e)
	// Cleanups run last-in first-out: the hub closes its connections before
	// the server waits for its own.
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
	})
	return &wsServer{
		testServer: &testServer{e: e, health: health},
		hub:        hub,
		logs:       logs,
		url:        "ws" + strings.TrimPrefix(srv.URL, "http"),
	}
}

// dial opens a WebSocket to path and returns it with the 101 response.
func (s *wsServer) dial(t *testing.T, path string) (*websocket.Conn, *http.Response) {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(s.url+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, resp
}

// upgradeRequest is a valid WebSocket handshake request for target.
func upgradeRequest(target string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	return r
}

func wsSend(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

// wsExpect reads the next messages and checks they are want, in order.
func wsExpect(t *testing.T, conn *websocket.Conn, want ...string) {
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

func TestWebSocketEcho(t *testing.T) {
	s := newWSServer(t, ws.Config{})
	conn, resp := s.dial(t, "/ws")
	if resp.Header.Get(echo.HeaderXRequestID) == "" {
		t.Errorf("101 headers = %v, want the X-Request-ID the middleware set", resp.Header)
	}
	for _, m := range []string{"hello", "<img src=x onerror=alert(1)>"} {
		wsSend(t, conn, m)
		wsExpect(t, conn, "Echo: "+m)
	}
	// The upgrade is logged as what the client got: 101, not Echo's default 200.
	waitForLog(t, s.logs, `"path":"/ws","route":"/ws","status":101`)
}

func TestWebSocketChat(t *testing.T) {
	s := newWSServer(t, ws.Config{})
	ann, _ := s.dial(t, "/chat?name=Ann")
	wsExpect(t, ann, "Ann joined")
	plain, _ := s.dial(t, "/chat")
	wsExpect(t, ann, "User joined")
	wsExpect(t, plain, "User joined")

	wsSend(t, plain, "hi")
	wsExpect(t, ann, "User said: hi")
	wsExpect(t, plain, "User said: hi")
	wsSend(t, ann, "hello")
	wsExpect(t, plain, "Ann said: hello")
}

// TestWebSocketRefusals: every refusal comes before the upgrade and is
// answered as problem+json, as the spec describes it.
func TestWebSocketRefusals(t *testing.T) {
	s := newWSServer(t, ws.Config{})
	withHeader := func(r *http.Request, key, value string) *http.Request {
		r.Header.Set(key, value)
		return r
	}
	tests := []struct {
		name       string
		req        *http.Request
		status     int
		wantHeader string // a header the answer must carry
	}{
		{"PlainGET", httptest.NewRequest(http.MethodGet, "/ws", nil), http.StatusBadRequest, ""},
		{"PlainGETChat", httptest.NewRequest(http.MethodGet, "/chat", nil), http.StatusBadRequest, ""},
		{"ForeignOrigin", withHeader(upgradeRequest("/chat"), "Origin", "http://evil.example"), http.StatusForbidden, ""},
		{"LookAlikeOrigin", withHeader(upgradeRequest("/ws"), "Origin", "http://localhost:8080.evil.example"), http.StatusForbidden, ""},
		{"BadVersion", withHeader(upgradeRequest("/ws"), "Sec-WebSocket-Version", "8"), http.StatusBadRequest, "Sec-WebSocket-Version"},
		{"BadKey", withHeader(upgradeRequest("/chat"), "Sec-WebSocket-Key", "short"), http.StatusBadRequest, "Sec-WebSocket-Version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, tt.req)
			wantProblem(t, rec, tt.status)
			if tt.wantHeader != "" && rec.Header().Get(tt.wantHeader) == "" {
				t.Errorf("headers = %v, want %s", rec.Header(), tt.wantHeader)
			}
		})
	}
	if got := s.hub.Stats().Connections; got != 0 {
		t.Errorf("connections after refusals = %d, want 0", got)
	}
}

func TestWebSocketInvalidName(t *testing.T) {
	s := newWSServer(t, ws.Config{})
	for _, name := range []string{"<img src=x>", "Bob said: hi", strings.Repeat("n", ws.MaxNameRunes+1)} {
		t.Run(name, func(t *testing.T) {
			rec := s.do(t, upgradeRequest("/chat?name="+strings.ReplaceAll(name, " ", "+")))
			p := wantProblem(t, rec, http.StatusUnprocessableEntity)
			if len(p.Errors) != 1 || p.Errors[0].Field != "name" {
				t.Errorf("errors = %+v, want one for the field name", p.Errors)
			}
		})
	}
}

func TestWebSocketUnavailable(t *testing.T) {
	t.Run("TooManyConnections", func(t *testing.T) {
		s := newWSServer(t, ws.Config{MaxConnections: 1})
		s.dial(t, "/ws")
		rec := s.do(t, upgradeRequest("/ws"))
		wantProblem(t, rec, http.StatusServiceUnavailable)
		if rec.Header().Get(echo.HeaderRetryAfter) == "" {
			t.Errorf("headers = %v, want Retry-After", rec.Header())
		}
	})
	t.Run("TooManyFromOneAddress", func(t *testing.T) {
		s := newWSServer(t, ws.Config{MaxConnectionsPerIP: 1})
		s.dial(t, "/ws")
		// The cap holds before the upgrade: the answer is problem+json.
		conn, resp, err := websocket.DefaultDialer.Dial(s.url+"/chat", nil)
		if err == nil {
			conn.Close()
			t.Fatal("a second connection from the same address was upgraded")
		}
		rec := recorded(t, resp)
		wantProblem(t, rec, http.StatusTooManyRequests)
		if rec.Header().Get(echo.HeaderRetryAfter) == "" {
			t.Errorf("headers = %v, want Retry-After", rec.Header())
		}
	})
	t.Run("ShuttingDown", func(t *testing.T) {
		s := newWSServer(t, ws.Config{})
		chat, _ := s.dial(t, "/chat")
		wsExpect(t, chat, "User joined")
		echoConn, _ := s.dial(t, "/ws")
		wsSend(t, echoConn, "hi")
		wsExpect(t, echoConn, "Echo: hi")
		// Read while the hub shuts down, as browsers do, so each close
		// frame is answered at once.
		ended := make(chan error, 2)
		for _, conn := range []*websocket.Conn{chat, echoConn} {
			go func() {
				_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, _, err := conn.ReadMessage()
				ended <- err
			}()
		}
		if err := s.hub.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The open connections were told the server is going away.
		for range 2 {
			if err := <-ended; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Errorf("read after shutdown = %v, want close 1001", err)
			}
		}
		rec := s.do(t, upgradeRequest("/chat"))
		wantProblem(t, rec, http.StatusServiceUnavailable)
		if rec.Header().Get(echo.HeaderRetryAfter) == "" {
			t.Errorf("headers = %v, want Retry-After", rec.Header())
		}
	})
}

// TestChatMembers: GET /chat/members lists the names in the chat, as the
// spec says (s.get checks the answer against api/openapi.yaml).
func TestChatMembers(t *testing.T) {
	s := newWSServer(t, ws.Config{})
	conn, _ := s.dial(t, "/chat?name=Ann")
	wsExpect(t, conn, "Ann joined")
	rec := s.get(t, "/chat/members")
	if got, want := strings.TrimSpace(rec.Body.String()), `{"members":["Ann"]}`; rec.Code != http.StatusOK || got != want {
		t.Errorf("got %d %s, want 200 %s", rec.Code, got, want)
	}
}

// TestChatMembersBrokerDown: while the chat cannot ask Redis who is on the
// other instances, GET /chat/members answers 503 with Retry-After, and the
// operator's log has the cause.
func TestChatMembersBrokerDown(t *testing.T) {
	s := newServerWith(t, testConfig(), Deps{WebSockets: membersFunc(func(context.Context) ([]string, error) {
		return nil, fmt.Errorf("%w: redis: connection refused", ws.ErrBrokerUnavailable)
	})})
	rec := s.get(t, "/chat/members")
	wantProblem(t, rec, http.StatusServiceUnavailable)
	if rec.Header().Get(echo.HeaderRetryAfter) == "" {
		t.Errorf("headers = %v, want Retry-After", rec.Header())
	}
	if !strings.Contains(s.logs.String(), "connection refused") {
		t.Errorf("log = %s, want the cause", s.logs.String())
	}
}

// membersFunc is a WebSockets whose Members is the function itself; it
// serves no connection.
type membersFunc func(context.Context) ([]string, error)

func (f membersFunc) Members(ctx context.Context) ([]string, error) { return f(ctx) }

func (membersFunc) ServeEcho(http.ResponseWriter, *http.Request, string) error {
	return ws.ErrShuttingDown
}

func (membersFunc) ServeChat(http.ResponseWriter, *http.Request, string, ws.ChatRequest) error {
	return ws.ErrShuttingDown
}

func TestWebSocketInvalidFormat(t *testing.T) {
	s := newWSServer(t, ws.Config{})
	rec := s.do(t, upgradeRequest("/chat?format=xml"))
	p := wantProblem(t, rec, http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || p.Errors[0].Field != "format" {
		t.Errorf("errors = %+v, want one for the field format", p.Errors)
	}
}

// recorded copies a refused handshake's response into a recorder, for
// wantProblem.
func recorded(t *testing.T, resp *http.Response) *httptest.ResponseRecorder {
	t.Helper()
	if resp == nil {
		t.Fatal("no response to the handshake")
	}
	defer resp.Body.Close()
	rec := httptest.NewRecorder()
	maps.Copy(rec.Header(), resp.Header)
	rec.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(rec, resp.Body); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestWebSocketSlowChatClient: a chat client that stops reading is closed
// with 1013 (Try Again Later) once its queue is full, and its connection
// really ends: the server closes it after the close handshake.
func TestWebSocketSlowChatClient(t *testing.T) {
	s := newWSServer(t, ws.Config{SendBuffer: 4})
	slow, _ := s.dial(t, "/chat?name=slow")
	wsExpect(t, slow, "slow joined")

	// Large lines fill the kernel's socket buffers, then the queue.
	line := strings.Repeat("x", 64<<10)
	for i := 0; s.hub.Stats().Dropped == 0; i++ {
		if i == 10_000 {
			t.Fatal("the client that does not read was never dropped")
		}
		if err := s.hub.Broadcast(context.Background(), line); err != nil {
			t.Fatal(err)
		}
	}

	// Reading again, the client gets what was on its way, then the close.
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	var err error
	for err == nil {
		_, _, err = slow.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
		t.Fatalf("slow client ended with %v, want close 1013", err)
	}
	// gorilla answered the close frame; the server then closes the TCP
	// connection itself, well before this test's own deadline.
	raw := slow.NetConn()
	_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, raw); err != nil {
		t.Errorf("after the close handshake: %v, want the server to close the connection", err)
	}
	for deadline := time.Now().Add(5 * time.Second); s.hub.Stats().Connections != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("got %d connections, want 0", s.hub.Stats().Connections)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUpgradeErrorOutsideRoutes: the hook still answers a request that did
// not come through the routes, though not as problem+json.
func TestUpgradeErrorOutsideRoutes(t *testing.T) {
	rec := httptest.NewRecorder()
	UpgradeError(rec, httptest.NewRequest(http.MethodGet, "/elsewhere", nil), http.StatusBadRequest, nil)
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("got %d %v, want 400 with Sec-WebSocket-Version: 13", rec.Code, rec.Header())
	}
}

// waitForLog waits until logs has a line containing want.
func waitForLog(t *testing.T, logs *testenv.Buffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(logs.String(), want) {
			return
		}
	}
	t.Fatalf("no log line with %s in:\n%s", want, logs.String())
}
