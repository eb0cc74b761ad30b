package ws_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

func TestPublishAcrossHubs(t *testing.T) {
	log := newMemLog()
	hubA := newHub(t, ws.Config{}, log)
	hubB := newHub(t, ws.Config{}, log)
	for _, hub := range []*ws.Server{hubA, hubB} {
		eventually(t, "the broker", func() bool { return hub.Ready() == nil })
	}
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)

	a := joinChat(t, urlA, "a")
	b := joinChat(t, urlB, "b")
	expect(t, a, "b joined")

	// Each message reaches each client once: a copy would arrive before the
	// next message, which takes the same path.
	send(t, a, "hi")
	for _, conn := range []*websocket.Conn{a, b} {
		expect(t, conn, "a said: hi")
	}
	send(t, b, "bye")
	for _, conn := range []*websocket.Conn{a, b} {
		expect(t, conn, "b said: bye")
	}
}

// TestPublishBrokerFailures checks that each message reaches each client
// exactly once however the broker misbehaves.
func TestPublishBrokerFailures(t *testing.T) {
	errDown := errors.New("broker down")
	tests := []struct {
		name      string
		broker    func() ws.Broker
		wantReady error
	}{
		{
			name:   "Healthy",
			broker: func() ws.Broker { return newMemLog() },
		},
		{
			// Nothing works: messages go to this hub's clients directly.
			name: "Down",
			broker: func() ws.Broker {
				return &memLog{fail: errDown}
			},
			wantReady: ws.ErrBrokerUnavailable,
		},
		{
			// Append takes the message but reports a failure, like a
			// timeout after Redis received it: the hub delivers it
			// directly, and drops the copy it reads from the log.
			name: "AppendFailsAfterTaking",
			broker: func() ws.Broker {
				l := newMemLog()
				l.failAfterAppend = errDown
				return l
			},
		},
		{
			// The Redis client retried an append whose reply was lost, so
			// the log holds each message twice: the copy is dropped.
			name: "AppendedTwice",
			broker: func() ws.Broker {
				l := newMemLog()
				l.twice = true
				return l
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, ws.Config{}, tt.broker())
			eventually(t, "Ready to settle", func() bool { return errors.Is(hub.Ready(), tt.wantReady) })
			conn := joinChat(t, newServer(t, hub), "u")

			send(t, conn, "one")
			send(t, conn, "two")
			expect(t, conn, "u said: one", "u said: two")
			// A third message after the first two shows no copy came.
			if err := hub.Broadcast(context.Background(), "three"); err != nil {
				t.Fatal(err)
			}
			expect(t, conn, "three")
			if got, want := hub.Stats().Messages, int64(4); got != want {
				t.Errorf("got %d messages fanned out, want %d (join, one, two, three)", got, want)
			}
		})
	}
}

// memLog is a ws.Broker in memory, for tests of several hubs without
// Redis. Its ids are "1-<n>"; it keeps every entry. fail fails every call;
// twice appends every message twice.
type memLog struct {
	fail, failAfterAppend error
	twice                 bool

	mu      sync.Mutex
	lines   []ws.Entry
	entries []ws.Entry // lines and notices
	grew    chan struct{}
	members map[string][]string
}

func newMemLog() *memLog {
	return &memLog{grew: make(chan struct{}), members: make(map[string][]string)}
}

func (l *memLog) Append(_ context.Context, msg []byte, notice bool) (string, error) {
	if l.fail != nil {
		return "", l.fail
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	copies := 1
	if l.twice {
		copies = 2
	}
	var e ws.Entry
	for range copies {
		e = ws.Entry{ID: fmt.Sprintf("1-%d", len(l.entries)+1), Msg: msg}
		l.entries = append(l.entries, e)
		if !notice {
			l.lines = append(l.lines, e)
		}
	}
	close(l.grew)
	l.grew = make(chan struct{})
	return e.ID, l.failAfterAppend
}

// Read's cursor is the number of entries read.
func (l *memLog) Read(ctx context.Context, cursor string) ([]ws.Entry, string, error) {
	if l.fail != nil {
		return nil, "", l.fail
	}
	l.mu.Lock()
	n := len(l.entries)
	if cursor != "" {
		n, _ = strconv.Atoi(cursor)
	}
	entries, grew := l.entries[n:], l.grew
	l.mu.Unlock()
	if len(entries) == 0 && cursor != "" {
		select {
		case <-grew:
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	return entries, fmt.Sprint(n + len(entries)), nil
}

func (l *memLog) Since(_ context.Context, id string, _ time.Time) ([]ws.Entry, bool, error) {
	if l.fail != nil {
		return nil, false, l.fail
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.lines {
		if e.ID == id {
			return l.lines[i+1:], true, nil
		}
	}
	return l.lines, false, nil
}

func (l *memLog) SetMembers(_ context.Context, instance string, names []string, _ time.Duration) error {
	if l.fail != nil {
		return l.fail
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.members[instance] = names
	return nil
}

func (l *memLog) Members(_ context.Context, except string) ([]string, error) {
	if l.fail != nil {
		return nil, l.fail
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var names []string
	for instance, n := range l.members {
		if instance != except {
			names = append(names, n...)
		}
	}
	return names, nil
}
