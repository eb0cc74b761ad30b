package ws_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

// chatJSON is a message of ?format=json.
type chatJSON struct {
	ID     string    `json:"id"`
	From   string    `json:"from"`
	Text   string    `json:"text"`
	Time   time.Time `json:"time"`
	Missed bool      `json:"missed"`
}

func readJSON(t *testing.T, conn *websocket.Conn) chatJSON {
	t.Helper()
	var m chatJSON
	if err := json.Unmarshal([]byte(read(t, conn)), &m); err != nil {
		t.Fatalf("message is not JSON: %v", err)
	}
	return m
}

// TestChatJSON: with ?format=json a chat line carries an id, the sender, the
// text and the time; a notice has no id; text clients see the same lines as
// text.
func TestChatJSON(t *testing.T) {
	url := newServer(t, newHub(t, ws.Config{}, nil))
	j := dial(t, url+"/chat?name=Jo&format=json", nil)
	if got := readJSON(t, j); got.ID != "" || got.From != "" || got.Text != "Jo joined" {
		t.Fatalf("join notice = %+v, want no id, no sender, text %q", got, "Jo joined")
	}
	plain := joinChat(t, url, "Al")
	readJSON(t, j) // Al joined

	send(t, plain, "hi")
	expect(t, plain, "Al said: hi")
	got := readJSON(t, j)
	if got.ID == "" || got.From != "Al" || got.Text != "hi" || time.Since(got.Time) > timeout {
		t.Errorf("chat line = %+v, want an id, from Al, text hi, a recent time", got)
	}
}

// TestChatResume: a client that reconnects with ?last_id= gets the lines it
// missed, then live ones; one whose last id is no longer kept gets a missed
// notice and the lines kept.
func TestChatResume(t *testing.T) {
	const history = 5
	url := newServer(t, newHub(t, ws.Config{History: history}, nil))
	talker := joinChat(t, url, "T")
	say := func(from, to int) {
		for i := from; i < to; i++ {
			send(t, talker, fmt.Sprint("m", i))
			expect(t, talker, fmt.Sprint("T said: m", i))
		}
	}
	j := dial(t, url+"/chat?format=json&name=J", nil)
	readJSON(t, j) // J joined
	expect(t, talker, "J joined")
	say(0, 2)
	// J's last line is the oldest one kept.
	last := readJSON(t, j) // m0
	readJSON(t, j)         // m1
	j.Close()
	expect(t, talker, "J left")
	say(2, 4)

	t.Run("Kept", func(t *testing.T) {
		conn := dial(t, url+"/chat?format=json&name=J&last_id="+last.ID, nil)
		for _, want := range []string{"m1", "m2", "m3"} {
			if got := readJSON(t, conn); got.Text != want || got.Missed {
				t.Fatalf("replayed %+v, want %q", got, want)
			}
		}
		if got := readJSON(t, conn); got.Text != "J joined" {
			t.Fatalf("after the replay got %+v, want the join notice", got)
		}
		expect(t, talker, "J joined")
		say(4, 5)
		if got := readJSON(t, conn); got.Text != "m4" {
			t.Errorf("live message %+v, want m4", got)
		}
		conn.Close()
		expect(t, talker, "J left")
	})
	t.Run("Gone", func(t *testing.T) {
		say(5, 5+history)
		conn := dial(t, url+"/chat?name=J&last_id="+last.ID, nil)
		expect(t, conn, "Some messages were missed.")
		for i := 5; i < 5+history; i++ {
			expect(t, conn, fmt.Sprint("T said: m", i))
		}
		expect(t, conn, "J joined")
	})
	t.Run("Invalid", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			want  int
		}{
			{"format=xml", 400},
			{"last_id=" + strings.Repeat("1", 65), 400},
			{"last_id=" + strings.Repeat("1", 64), 101}, // no such line, but an id's length
		} {
			if got := dialStatus(t, url+"/chat?"+tt.query, nil); got != tt.want {
				t.Errorf("%s: got status %d, want %d", tt.query, got, tt.want)
			}
		}
	})
}

// TestChatMembers lists the names in the chat, each once.
func TestChatMembers(t *testing.T) {
	hub := newHub(t, ws.Config{}, nil)
	url := newServer(t, hub)
	joinChat(t, url, "Bo")
	joinChat(t, url, "Al")
	joinChat(t, url, "Bo")
	dial(t, url+"/ws", nil) // echo clients are not in the chat
	got, err := hub.Members(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[Al Bo]" {
		t.Errorf("members = %v, want [Al Bo]", got)
	}
}

// TestChatResumeExpired: lines older than HistoryTTL are not replayed; the
// client is told it missed some.
func TestChatResumeExpired(t *testing.T) {
	url := newServer(t, newHub(t, ws.Config{HistoryTTL: 50 * time.Millisecond}, nil))
	j := dial(t, url+"/chat?format=json&name=J", nil)
	readJSON(t, j) // J joined
	send(t, j, "old")
	last := readJSON(t, j)
	j.Close()
	time.Sleep(100 * time.Millisecond)

	conn := dial(t, url+"/chat?format=json&name=J&last_id="+last.ID, nil)
	if got := readJSON(t, conn); !got.Missed {
		t.Fatalf("got %+v, want the missed notice", got)
	}
	// Next come notices (the old connection's leave may be among them),
	// never the expired line.
	if got := readJSON(t, conn); got.ID != "" {
		t.Errorf("got %+v, want no replay", got)
	}
}
