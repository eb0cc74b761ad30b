package ws_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

// Frames as a client sends them (RFC 6455, section 5.2): masked, with a
// zero mask so the payload reads as it is.
var (
	pingFrame          = []byte{0x89, 0x80, 0, 0, 0, 0}
	fragmentStartFrame = []byte{0x01, 0x81, 0, 0, 0, 0, 'x'} // text, FIN=0
	emptyFragmentFrame = []byte{0x00, 0x80, 0, 0, 0, 0}      // continuation, FIN=0
)

// flood writes frame over conn's raw connection, after any prefix, as fast
// as it can until a write fails.
func flood(conn *websocket.Conn, prefix, frame []byte) {
	batch := append(bytes.Clone(prefix), bytes.Repeat(frame, 4096/len(frame))...)
	raw := conn.NetConn()
	for {
		_ = raw.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := raw.Write(batch); err != nil {
			return
		}
		batch = batch[len(prefix):]
		prefix = nil
	}
}

// TestBudget floods a connection with frames that are not messages: each
// flood is closed with 1008 within a second, and the server goes on serving.
func TestBudget(t *testing.T) {
	cfg := ws.Config{MaxControlFrames: 50, MaxFragments: 200, MaxBytes: 64 << 10}
	big := bytes.Repeat([]byte("x"), 4000)
	tests := []struct {
		name          string
		prefix, frame []byte
		wantReason    string
	}{
		{"PingFlood", nil, pingFrame, "too many control frames"},
		{"EmptyFragmentFlood", fragmentStartFrame, emptyFragmentFrame, "too many fragments"},
		// Messages within the rate but over the byte budget: 20 of 4 KB
		// pass the burst, not the 64 KiB.
		{"ByteFlood", nil, nil, "too many bytes"},
	}
	for _, tt := range tests {
		for _, path := range []string{"/ws", "/chat"} {
			t.Run(tt.name+path, func(t *testing.T) {
				hub := newHub(t, cfg, nil)
				url := newServer(t, hub)
				conn := dial(t, url+path, nil)
				start := time.Now()
				if tt.frame == nil {
					go func() {
						err := error(nil)
						for err == nil {
							err = conn.WriteMessage(websocket.TextMessage, big)
						}
					}()
				} else {
					go flood(conn, tt.prefix, tt.frame)
				}
				if got := expectClose(t, conn, websocket.ClosePolicyViolation); got != tt.wantReason {
					t.Errorf("got close reason %q, want %q", got, tt.wantReason)
				}
				if took := time.Since(start); took > time.Second {
					t.Errorf("the flood was closed after %v, want within a second", took)
				}
				// The flood stops, as a client's does once it is closed, so
				// the server need not wait out its close grace period.
				conn.Close()
				if got := hub.Stats().RateLimited; got != 1 {
					t.Errorf("got %d connections closed for their budget, want 1", got)
				}
				eventually(t, "the connection to end", func() bool { return hub.Stats().Connections == 0 })
				fresh := dial(t, url+"/ws", nil)
				send(t, fresh, "still there")
				expect(t, fresh, "Echo: still there")
			})
		}
	}
}

// TestBudgetWindow: a peer that spreads its pings over windows stays
// connected.
func TestBudgetWindow(t *testing.T) {
	hub := newHub(t, ws.Config{MaxControlFrames: 3, BudgetWindow: 100 * time.Millisecond}, nil)
	conn := dial(t, newServer(t, hub)+"/ws", nil)
	for range 10 {
		if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(timeout)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	send(t, conn, "alive")
	// The pongs are handled inside the read; the echo comes next.
	expect(t, conn, "Echo: alive")
}

// TestBudgetWholeMessages: a message sent in one frame is no fragment, so a
// peer well within its message rate is never closed for fragments.
func TestBudgetWholeMessages(t *testing.T) {
	hub := newHub(t, ws.Config{MaxFragments: 2}, nil)
	conn := dial(t, newServer(t, hub)+"/ws", nil)
	for i := range 5 {
		send(t, conn, fmt.Sprint(i))
		expect(t, conn, fmt.Sprint("Echo: ", i))
	}
}

// TestBudgetAtTheLimit: a peer may send exactly its budget in a window.
func TestBudgetAtTheLimit(t *testing.T) {
	tests := []struct {
		name string
		cfg  ws.Config
		send func(conn *websocket.Conn) error
		want string
	}{
		{"ControlFrames", ws.Config{MaxControlFrames: 3}, func(conn *websocket.Conn) error {
			for range 3 {
				if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(timeout)); err != nil {
					return err
				}
			}
			return conn.WriteMessage(websocket.TextMessage, []byte("x"))
		}, "Echo: x"},
		// "abc" in three frames: a text frame and two continuations.
		{"Fragments", ws.Config{MaxFragments: 3}, func(conn *websocket.Conn) error {
			_, err := conn.NetConn().Write([]byte{
				0x01, 0x81, 0, 0, 0, 0, 'a',
				0x00, 0x81, 0, 0, 0, 0, 'b',
				0x80, 0x81, 0, 0, 0, 0, 'c',
			})
			return err
		}, "Echo: abc"},
		// A masked frame of 10 bytes is 16 bytes long.
		{"Bytes", ws.Config{MaxBytes: 16}, func(conn *websocket.Conn) error {
			return conn.WriteMessage(websocket.TextMessage, []byte("0123456789"))
		}, "Echo: 0123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.BudgetWindow = time.Hour
			conn := dial(t, newServer(t, newHub(t, tt.cfg, nil))+"/ws", nil)
			if err := tt.send(conn); err != nil {
				t.Fatal(err)
			}
			expect(t, conn, tt.want)
		})
	}
}

// TestConnectionsPerAddr: a client address holds at most
// MaxConnectionsPerIP connections; one that ends frees its slot.
func TestConnectionsPerAddr(t *testing.T) {
	hub := newHub(t, ws.Config{MaxConnectionsPerIP: 2}, nil)
	url := newServer(t, hub)
	first := dial(t, url+"/ws", nil)
	dial(t, url+"/chat", nil)
	if got, want := dialStatus(t, url+"/ws", nil), 429; got != want {
		t.Fatalf("third connection: got status %d, want %d", got, want)
	}
	first.Close()
	eventually(t, "the slot to be released", func() bool { return hub.Stats().Connections < 2 })
	dial(t, url+"/ws", nil)
	if got, want := dialStatus(t, url+"/ws", nil), 429; got != want {
		t.Errorf("after a close and a new connection: got status %d, want %d", got, want)
	}
}
