package ws_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

// TestClientKeepalive shows that a peer which answers pings stays connected
// past PongWait while one that does not is dropped.
func TestClientKeepalive(t *testing.T) {
	const pongWait = 500 * time.Millisecond
	hub := newHub(t, ws.Config{PongWait: pongWait}, nil)
	url := newServer(t, hub)

	// gorilla answers pings while a read is in progress, so the live client
	// keeps reading in the background and the dead one never reads.
	live := dial(t, url+"/ws", nil)
	replies := make(chan string)
	go func() {
		defer close(replies)
		for {
			_, msg, err := live.ReadMessage()
			if err != nil {
				return
			}
			replies <- string(msg)
		}
	}()
	dial(t, url+"/ws", nil)

	eventually(t, "the silent client to be dropped", func() bool { return hub.Stats().Connections == 1 })
	time.Sleep(2 * pongWait)
	send(t, live, "ping?")
	if got, want := <-replies, "Echo: ping?"; got != want {
		t.Errorf("live client got %q, want %q", got, want)
	}
	live.Close()
	for range replies {
	}
}

// TestClientEchoNeverReads floods an echo connection that never reads its
// replies: it stalls only itself and still ends cleanly.
func TestClientEchoNeverReads(t *testing.T) {
	hub := newHub(t, ws.Config{MessageRate: 1e6, MessageBurst: 1e6, WriteWait: 500 * time.Millisecond}, nil)
	url := newServer(t, hub)
	stuck := dial(t, url+"/ws", nil)
	other := dial(t, url+"/ws", nil)

	// Large messages fill the socket buffers and the send buffer quickly.
	msg := make([]byte, 4000)
	for i := range msg {
		msg[i] = 'x'
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_ = stuck.SetWriteDeadline(time.Now().Add(timeout))
			if err := stuck.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		}
	}()

	send(t, other, "fine")
	expect(t, other, "Echo: fine")

	// The stuck connection is closed by its write deadline.
	<-done
	eventually(t, "the stuck connection to end", func() bool { return hub.Stats().Connections == 1 })
}

// TestClientRepliesBeforeClose: a client that sends messages and closes at
// once, as `echo hi | websocat` does, still gets every reply, then the
// server's answer to its close frame.
func TestClientRepliesBeforeClose(t *testing.T) {
	url := newServer(t, newHub(t, ws.Config{}, nil))
	for _, path := range []string{"/ws", "/chat?name=Ann"} {
		t.Run(path, func(t *testing.T) {
			conn := dial(t, url+path, nil)
			var want []string
			if path != "/ws" {
				expect(t, conn, "Ann joined")
			}
			for _, m := range []string{"one", "two", "three"} {
				send(t, conn, m)
				if path == "/ws" {
					want = append(want, "Echo: "+m)
				} else {
					want = append(want, "Ann said: "+m)
				}
			}
			bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			if err := conn.WriteControl(websocket.CloseMessage, bye, time.Now().Add(timeout)); err != nil {
				t.Fatal(err)
			}
			expect(t, conn, want...)
			expectClose(t, conn, websocket.CloseNormalClosure)
		})
	}
}
