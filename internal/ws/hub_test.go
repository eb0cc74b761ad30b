package ws_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"example.com/echotemplate/internal/ws"
)

func TestHubBroadcast(t *testing.T) {
	hub := newHub(t, ws.Config{}, nil)
	url := newServer(t, hub)

	// Each client sees its own join notice and those of later clients.
	const n = 5
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = joinChat(t, url, fmt.Sprintf("u%d", i))
	}
	for i, conn := range conns {
		for j := i + 1; j < n; j++ {
			expect(t, conn, fmt.Sprintf("u%d joined", j))
		}
	}

	send(t, conns[2], "hi all")
	for _, conn := range conns {
		expect(t, conn, "u2 said: hi all")
	}

	conns[4].Close()
	for _, conn := range conns[:4] {
		expect(t, conn, "u4 left")
	}
	// Five joins, a line and a leave, queued 1+2+3+4+5, 5 and 4 times.
	eventually(t, "the counters", func() bool {
		s := hub.Stats()
		return s.Messages == 7 && s.Deliveries == 24
	})
}

func TestHubDefaultName(t *testing.T) {
	url := newServer(t, newHub(t, ws.Config{}, nil))
	conn := dial(t, url+"/chat", nil)
	expect(t, conn, "User joined")
	send(t, conn, "hello")
	expect(t, conn, "User said: hello")
}

// TestHubSlowClient stalls one client while large messages are broadcast:
// the others receive every message and the stalled one is dropped.
func TestHubSlowClient(t *testing.T) {
	hub := newHub(t, ws.Config{SendBuffer: 64}, nil)
	// Small socket buffers make the stalled client fill up after a few
	// messages instead of after megabytes held by the kernel.
	srv := httptest.NewUnstartedServer(handler(hub))
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	stalled := joinChat(t, url, "stalled")
	const readers, messages, size = 2, 2000, 16 << 10
	var (
		received = make([]chan int, readers)
		wg       sync.WaitGroup
	)
	for i := range readers {
		conn := joinChat(t, url, fmt.Sprintf("r%d", i))
		received[i] = make(chan int, messages)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(received[i])
			_ = conn.SetReadDeadline(time.Now().Add(2 * timeout))
			for n := 0; n < messages; {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					return
				}
				if len(msg) == size {
					n++
					received[i] <- n
				}
			}
		}()
	}

	start := time.Now()
	payload := strings.Repeat("x", size)
	ctx := context.Background()
	progress := make([]int, readers)
	for m := 1; m <= messages; m++ {
		// Stay at most 32 messages ahead of the readers (SendBuffer is 64),
		// so a reader on a busy CPU is never mistaken for a stalled one.
		for i := range readers {
			for progress[i] < m-32 {
				n, ok := <-received[i]
				if !ok {
					t.Fatalf("reader %d stopped after %d messages", i, progress[i])
				}
				progress[i] = n
			}
		}
		if err := hub.Broadcast(ctx, payload); err != nil {
			t.Fatalf("Broadcast: %v", err)
		}
	}
	wg.Wait()
	for i := range readers {
		for n := range received[i] {
			progress[i] = n
		}
		if progress[i] != messages {
			t.Errorf("reader %d got %d messages, want %d", i, progress[i], messages)
		}
	}
	t.Logf("%d readers got %d messages of %d KiB in %v", readers, messages, size>>10, time.Since(start))

	if got := hub.Stats().Dropped; got != 1 {
		t.Errorf("got %d dropped clients, want 1", got)
	}
	// The stalled client, once it reads again, gets what the kernel still
	// held, not its queue, then the close frame that says why it was
	// dropped.
	held := 0
	_ = stalled.SetReadDeadline(time.Now().Add(timeout))
	for {
		_, msg, err := stalled.ReadMessage()
		if err == nil {
			if len(msg) == size {
				held++
			}
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater {
			t.Fatalf("stalled client ended with %v, want close 1013", err)
		}
		if got, want := ce.Text, "too slow to keep up"; got != want {
			t.Errorf("got close reason %q, want %q", got, want)
		}
		break
	}
	if held >= 64 {
		t.Errorf("stalled client got %d messages before its close frame, want fewer than its queue of 64", held)
	}
}

// smallBufferListener shrinks the kernel send buffer of every accepted
// connection.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetWriteBuffer(32 << 10)
	}
	return conn, err
}

func TestHubShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	hub, err := ws.NewServer(ws.Config{}, nil, discard())
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	srv := httptest.NewServer(handler(hub))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	var conns []*websocket.Conn
	for range 3 {
		conns = append(conns, dial(t, url+"/ws", nil), joinChat(t, url, "User"))
	}
	// Read while the hub shuts down, as browsers do, so each close frame is
	// answered at once.
	ended := make(chan error, len(conns))
	for _, conn := range conns {
		go func() {
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					ended <- err
					return
				}
			}
		}()
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hub.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range conns {
		if err := <-ended; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("connection ended with %v, want close 1001", err)
		}
	}

	if got := hub.Stats().Connections; got != 0 {
		t.Errorf("got %d connections after Shutdown, want 0", got)
	}
	if got, want := dialStatus(t, url+"/ws", nil), 503; got != want {
		t.Errorf("dial after Shutdown: got status %d, want %d", got, want)
	}
	if err := hub.Ready(); !errors.Is(err, ws.ErrShuttingDown) {
		t.Errorf("Ready after Shutdown: got %v, want ErrShuttingDown", err)
	}
	if err := hub.Broadcast(ctx, "late"); !errors.Is(err, ws.ErrShuttingDown) {
		t.Errorf("Broadcast after Shutdown: got %v, want ErrShuttingDown", err)
	}
	if err := hub.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	srv.Close()
}

// TestHubShutdownTimeout gives Shutdown less time than a silent client takes
// to time out: it closes the connection abruptly and still leaves no
// goroutine behind.
func TestHubShutdownTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	hub, err := ws.NewServer(ws.Config{}, nil, discard())
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	srv := httptest.NewServer(handler(hub))
	defer srv.Close()
	// After one echo, which shows the connection is served, this client
	// reads no more, so it never answers the close frame.
	conn := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	send(t, conn, "hi")
	expect(t, conn, "Echo: hi")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := hub.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: got %v, want a deadline error", err)
	}
	// Closed at the deadline, not once the silent client's close grace
	// period of a second has passed.
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Shutdown took %v, want it to return soon after its deadline of 50ms", took)
	}
	if got := hub.Stats().Connections; got != 0 {
		t.Errorf("got %d connections after Shutdown, want 0", got)
	}
	srv.Close()
}

// TestHubChurn connects and disconnects 200 clients while messages are
// broadcast; run it with -race.
func TestHubChurn(t *testing.T) {
	hub := newHub(t, ws.Config{}, nil)
	url := newServer(t, hub)

	ctx, stop := context.WithCancel(context.Background())
	broadcasting := make(chan struct{})
	go func() {
		defer close(broadcasting)
		for i := 0; ctx.Err() == nil; i++ {
			_ = hub.Broadcast(ctx, fmt.Sprintf("tick %d", i))
			time.Sleep(time.Millisecond)
		}
	}()

	const workers, perWorker = 20, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				path := "/chat?name=c" + fmt.Sprint(w*perWorker+i)
				if i%3 == 0 {
					path = "/ws"
				}
				conn, _, err := websocket.DefaultDialer.Dial(url+path, nil)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				_ = conn.SetReadDeadline(time.Now().Add(timeout))
				if path == "/ws" {
					_ = conn.WriteMessage(websocket.TextMessage, []byte("x"))
				}
				// Being dropped as too slow is a fine outcome on a busy CPU.
				if _, _, err := conn.ReadMessage(); err != nil &&
					!websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
					t.Errorf("read: %v", err)
				}
				conn.Close()
			}
		}()
	}
	wg.Wait()
	stop()
	<-broadcasting

	eventually(t, "every connection to end", func() bool { return hub.Stats().Connections == 0 })
}

func TestHubRateLimit(t *testing.T) {
	// A burst of 5, then one message per 10 s: the flood hits the limit at
	// its sixth message however slowly the test runs.
	hub := newHub(t, ws.Config{MessageRate: 0.1, MessageBurst: 5}, nil)
	url := newServer(t, hub)
	calm := joinChat(t, url, "calm")
	flood := joinChat(t, url, "flood")
	expect(t, calm, "flood joined")

	for i := 0; i < 100; i++ {
		if err := flood.WriteMessage(websocket.TextMessage, []byte("spam")); err != nil {
			break // the server closed the connection
		}
	}
	expectClose(t, flood, websocket.ClosePolicyViolation)
	if got := hub.Stats().RateLimited; got != 1 {
		t.Errorf("got %d rate-limited connections, want 1", got)
	}

	// The calm client saw at most the burst, then carries on.
	spam := 0
	for {
		msg := read(t, calm)
		if msg == "flood said: spam" {
			spam++
			continue
		}
		if msg != "flood left" {
			t.Fatalf("got %q, want spam or the leave notice", msg)
		}
		break
	}
	if spam > 5 {
		t.Errorf("calm client got %d spam messages, want at most the burst of 5", spam)
	}
	send(t, calm, "still here")
	expect(t, calm, "calm said: still here")
}

// TestNoticesFitATinyQueue: notices are skipped only for a half-full queue,
// so even with a one-message queue a newcomer hears its own join, and chat
// lines still arrive.
func TestNoticesFitATinyQueue(t *testing.T) {
	url := newServer(t, newHub(t, ws.Config{SendBuffer: 1}, nil))
	ann := dial(t, url+"/chat?name=Ann", nil)
	expect(t, ann, "Ann joined")
	if err := ann.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	expect(t, ann, "Ann said: hi")
}
