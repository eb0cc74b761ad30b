package ws_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

// resumeSetup starts a hub on log with a talker T in the chat, has a JSON
// client J see the line "m0" and leave, and returns the server's URL, the
// talker and m0's id.
func resumeSetup(t *testing.T, cfg ws.Config, log *memLog) (*ws.Server, string, *websocket.Conn, string) {
	t.Helper()
	hub := newHub(t, cfg, log)
	eventually(t, "the broker", func() bool { return hub.Ready() == nil })
	url := newServer(t, hub)
	talker := joinChat(t, url, "T")
	j := dial(t, url+"/chat?format=json&name=J", nil)
	readJSON(t, j) // J joined
	expect(t, talker, "J joined")
	broadcast(t, hub, talker, "m0")
	last := readJSON(t, j)
	if last.Text != "m0" || last.ID == "" {
		t.Fatalf("got %+v, want m0 with an id", last)
	}
	j.Close()
	expect(t, talker, "J left")
	return hub, url, talker, last.ID
}

// broadcast sends each line to every chat client and returns once the
// talker got it, so the hub has handled it.
func broadcast(t *testing.T, hub *ws.Server, talker *websocket.Conn, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if err := hub.Broadcast(t.Context(), line); err != nil {
			t.Fatalf("Broadcast: %v", err)
		}
		expect(t, talker, line)
	}
}

// TestChatResumeFromBroker: with a broker, a client that resumes gets the
// lines the log kept after its last one, at most History of them (after
// the missed notice when there were more), then the live ones; when the
// log cannot be read it gets the missed notice and the live lines.
func TestChatResumeFromBroker(t *testing.T) {
	const missed = "Some messages were missed."
	tests := []struct {
		name     string
		sinceErr error
		say      []string
		want     []string
	}{
		{"Kept", nil, []string{"m1", "m2"}, []string{"m1", "m2"}},
		{"MoreThanHistory", nil, []string{"m1", "m2", "m3", "m4"}, []string{missed, "m3", "m4"}},
		{"ReplayFails", errors.New("broker down"), []string{"m1"}, []string{missed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := newMemLog()
			log.sinceErr = tt.sinceErr
			hub, url, talker, lastID := resumeSetup(t, ws.Config{History: 2}, log)
			broadcast(t, hub, talker, tt.say...)

			k := dial(t, url+"/chat?name=K&last_id="+lastID, nil)
			expect(t, k, append(tt.want, "K joined")...)
			expect(t, talker, "K joined")
			broadcast(t, hub, talker, "live")
			expect(t, k, "live")
		})
	}
}

// TestChatResumeWhileLinesArrive: lines that arrive while a resuming
// client's replay is read are held for it; those the replay also holds
// are sent once, in the log's order.
func TestChatResumeWhileLinesArrive(t *testing.T) {
	log := newMemLog()
	log.sinceGate = make(chan chan struct{})
	hub, url, talker, lastID := resumeSetup(t, ws.Config{History: 2, PublishTimeout: timeout}, log)

	k := dial(t, url+"/chat?name=K&last_id="+lastID, nil)
	var release chan struct{}
	select {
	case release = <-log.sinceGate:
	case <-time.After(timeout):
		t.Fatal("the replay was never read")
	}
	// K is in the hub, waiting for its replay: these are held for it, and
	// the replay, read after them, has them too.
	broadcast(t, hub, talker, "m1", "m2")
	close(release)

	expect(t, k, "m1", "m2", "K joined")
	expect(t, talker, "K joined")
	broadcast(t, hub, talker, "m3")
	expect(t, k, "m3")
}
