package ws_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"
	"example.com/echotemplate/internal/ws"
)

// TestPresenceWarnsOnce: while the broker refuses the members, the hub warns
// once, not at every change; at Shutdown it warns that they were not
// removed.
func TestPresenceWarnsOnce(t *testing.T) {
	var logs testenv.Buffer
	broker := &memLog{fail: errors.New("broker down"), membersSet: make(chan struct{}, 3)}
	hub, err := ws.NewServer(ws.Config{}, broker, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	url := newServer(t, hub)
	for _, name := range []string{"a", "b"} {
		conn := dial(t, url+"/chat?name="+name, nil)
		select {
		case <-broker.membersSet:
		case <-time.After(timeout):
			t.Fatalf("the members were not written after %s joined", name)
		}
		conn.Close()
	}
	eventually(t, "the clients to leave", func() bool { return hub.Stats().Connections == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for msg, want := range map[string]int{
		"chat members not written to the broker":   1,
		"chat members not removed from the broker": 1,
	} {
		if got := strings.Count(logs.String(), msg); got != want {
			t.Errorf("logged %q %d times, want %d:\n%s", msg, got, want, logs.String())
		}
	}
}
