package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

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
	_, redisURL := testRedis(t)
	settings := []string{"REDIS_URL", redisURL, "CHAT_REDIS_KEY", "test:chat:" + rand.Text()}
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

	// Each instance lists who is on both.
	for _, svc := range []*runningService{a, b} {
		want := `{"members":["Ann","Bob"]}`
		got := members(t, svc)
		// The other instance's names are written there a moment after
		// they change.
		for deadline := time.Now().Add(5 * time.Second); got != want && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			got = members(t, svc)
		}
		if got != want {
			t.Errorf("members = %s, want %s", got, want)
		}
	}

	// An instance that stops still tells the others who left.
	if err := a.stop(); err != nil {
		t.Fatalf("run returned %v, want nil", err)
	}
	expectWS(t, bob, "Ann left")
}

// TestRunChatResumesOnOtherInstance: a client leaves instance A, five lines
// are sent, and it returns on instance B with the id of the last line it
// saw: it gets exactly those five, in order, then the live ones.
func TestRunChatResumesOnOtherInstance(t *testing.T) {
	_, redisURL := testRedis(t)
	settings := []string{"REDIS_URL", redisURL, "CHAT_REDIS_KEY", "test:chat:" + rand.Text()}
	a, b := startService(t, settings...), startService(t, settings...)
	ann := dialWS(t, a.base+"/chat?name=Ann")
	expectWS(t, ann, "Ann joined")
	jo := dialWS(t, a.base+"/chat?name=Jo&format=json")
	expectWS(t, ann, "Jo joined")
	sendWS(t, ann, "before")
	expectWS(t, ann, "Ann said: before")
	var last struct{ ID, Text string }
	for last.Text != "before" {
		_ = jo.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := jo.ReadJSON(&last); err != nil {
			t.Fatal(err)
		}
	}
	jo.Close()
	expectWS(t, ann, "Jo left")
	for i := range 5 {
		sendWS(t, ann, fmt.Sprint("m", i))
		expectWS(t, ann, fmt.Sprint("Ann said: m", i))
	}

	back := dialWS(t, b.base+"/chat?name=Jo&last_id="+last.ID)
	for i := range 5 {
		expectWS(t, back, fmt.Sprint("Ann said: m", i))
	}
	sendWS(t, ann, "live")
	// Then the live line, after Jo's own join. Notices are not replayed and
	// carry no place in the history, so one that instance b had not yet
	// handed on when Jo came back (Jo's leaving, on a) may arrive too.
	joined := false
	for {
		_ = back.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := back.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (want %q)", err, "Ann said: live")
		}
		switch got := string(msg); {
		case got == "Ann said: live":
			if !joined {
				t.Error("the live line came before Jo's join notice")
			}
			return
		case got == "Jo joined":
			joined = true
		case strings.Contains(got, " said: "):
			t.Fatalf("got line %q, want only %q after the replay", got, "Ann said: live")
		}
	}
}

// members returns the body of GET /chat/members.
func members(t *testing.T, svc *runningService) string {
	t.Helper()
	resp, err := http.Get(svc.base + "/chat/members")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(body))
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
