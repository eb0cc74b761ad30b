package ws_test

import (
	"cmp"
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
	// Else b, joining while hub B still reads a's notice, would get it.
	eventually(t, "hub B to hand on a's join", func() bool { return hubB.Stats().Messages == 1 })
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

	// Each hub lists the members of both, soon: a join is written to the
	// broker at once, not at the next refresh (every 10 s).
	deadline := time.Now().Add(5 * time.Second)
	for _, hub := range []*ws.Server{hubA, hubB} {
		for {
			names, err := hub.Members(t.Context())
			if err == nil && fmt.Sprint(names) == "[a b]" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("members = %v, %v; want [a b] within 5 s", names, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestPublishBrokerFailures checks that each message reaches each client
// exactly once however the broker misbehaves.
func TestPublishBrokerFailures(t *testing.T) {
	errDown := errors.New("broker down")
	tests := []struct {
		name   string
		broker func() ws.Broker
		// wantErr is what Ready and Members return once the hub has
		// settled.
		wantErr error
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
			wantErr: ws.ErrBrokerUnavailable,
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
			eventually(t, "Ready to settle", func() bool { return errors.Is(hub.Ready(), tt.wantErr) })
			conn := joinChat(t, newServer(t, hub), "u")
			if _, err := hub.Members(t.Context()); !errors.Is(err, tt.wantErr) {
				t.Errorf("Members: got %v, want %v", err, tt.wantErr)
			}

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

// TestTailBacksOff: while the broker cannot be read, the hub waits longer
// after each failure, from 100 ms, rather than hammer it.
func TestTailBacksOff(t *testing.T) {
	reads := make(chan time.Time, 3)
	newHub(t, ws.Config{}, &memLog{fail: errors.New("broker down"), readAt: reads})
	var at []time.Time
	for range cap(reads) {
		select {
		case r := <-reads:
			at = append(at, r)
		case <-time.After(timeout):
			t.Fatalf("got %d reads of the broker, want %d", len(at), cap(reads))
		}
	}
	first, second := at[1].Sub(at[0]), at[2].Sub(at[1])
	if first < 100*time.Millisecond || second < 200*time.Millisecond {
		t.Errorf("waited %v, then %v between reads; want at least 100 ms, then twice that", first, second)
	}
}

// memLog is a ws.Broker in memory, for tests of several hubs without
// Redis. Its ids are "1-<n>"; it keeps every entry. fail fails every call,
// sinceErr only Since; twice appends every message twice. readAt, if not
// nil, gets the time of each Read while it has room, and membersSet a value
// for each SetMembers. sinceGate, if not nil, holds each Since until the
// channel it hands over is closed.
type memLog struct {
	fail, failAfterAppend, sinceErr error
	twice                           bool
	readAt                          chan time.Time
	membersSet                      chan struct{}
	sinceGate                       chan chan struct{}

	mu      sync.Mutex
	lines   []ws.Entry
	added   []time.Time // when each line was appended
	entries []ws.Entry  // lines and notices
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
			l.added = append(l.added, time.Now())
		}
	}
	close(l.grew)
	l.grew = make(chan struct{})
	return e.ID, l.failAfterAppend
}

// Read's cursor is the number of entries read.
func (l *memLog) Read(ctx context.Context, cursor string) ([]ws.Entry, string, error) {
	select {
	case l.readAt <- time.Now():
	default:
	}
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

// Since keeps no line appended before notBefore.
func (l *memLog) Since(ctx context.Context, id string, notBefore time.Time) ([]ws.Entry, bool, error) {
	if l.sinceGate != nil {
		release := make(chan struct{})
		l.sinceGate <- release
		select {
		case <-release:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	if err := cmp.Or(l.fail, l.sinceErr); err != nil {
		return nil, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var kept []ws.Entry
	found := false
	for i, e := range l.lines {
		switch {
		case l.added[i].Before(notBefore):
		case e.ID == id:
			kept, found = nil, true
		default:
			kept = append(kept, e)
		}
	}
	return kept, found, nil
}

func (l *memLog) SetMembers(_ context.Context, instance string, names []string, _ time.Duration) error {
	select {
	case l.membersSet <- struct{}{}:
	default:
	}
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
