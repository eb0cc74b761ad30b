package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestChatCheck(t *testing.T) {
	t0 := time.Now()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// session is one session of a client of role, from joined to ended;
	// resumed and missed are how it began.
	type session struct {
		joined, ended   int
		resumed, missed bool
	}
	client := func(role chatRole, sessions []session, got ...int) *chatClient {
		c := &chatClient{role: role, got: map[int]int{}}
		for i, s := range sessions {
			c.sessions = append(c.sessions, &chatSession{client: c, role: role, name: fmt.Sprint("s", i),
				joined: at(s.joined), ended: at(s.ended), resumed: s.resumed, missed: s.missed})
		}
		for _, seq := range got {
			c.got[seq]++
		}
		return c
	}
	always := []session{{joined: 0, ended: 100}}
	// The message is sent at 10 s, while a client with these sessions is
	// away.
	away := func(resumed, missed bool) []session {
		return []session{{joined: 0, ended: 9}, {joined: 12, ended: 100, resumed: resumed, missed: missed}}
	}
	tests := []struct {
		name          string
		clients       []*chatClient
		wantExpected  int
		wantDelivered int
		wantProblem   string
	}{
		{"AllDelivered", []*chatClient{client(roleSender, always, 0), client(roleReader, always, 0)}, 2, 2, ""},
		{"Missing", []*chatClient{client(roleSender, always, 0), client(roleReader, always)}, 2, 1, "never reached"},
		{"JoinedAfterTheMessage", []*chatClient{client(roleSender, always, 0), client(roleReader, []session{{joined: 20, ended: 100}})}, 1, 1, ""},
		{"LeftBeforeTheGraceWasOver", []*chatClient{client(roleSender, always, 0), client(roleReader, []session{{joined: 0, ended: 11}})}, 1, 1, ""},
		{"StallersAndVanishersOwedNothing", []*chatClient{
			client(roleSender, always, 0), client(roleStaller, always), client(roleVanisher, always),
		}, 1, 1, ""},
		{"RecoveredAfterAReconnect", []*chatClient{client(roleSender, always, 0), client(roleReader, away(true, false), 0)}, 2, 2, ""},
		{"NotRecovered", []*chatClient{client(roleSender, always, 0), client(roleReader, away(true, false))}, 2, 1, "never reached"},
		{"AwayWithoutResuming", []*chatClient{client(roleSender, always, 0), client(roleReader, away(false, false))}, 1, 1, ""},
		{"AwayAndMissed", []*chatClient{client(roleSender, always, 0), client(roleReader, away(true, true))}, 1, 1, ""},
		{"Duplicate", []*chatClient{client(roleSender, always, 0, 0)}, 1, 1, "arrived twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := &chatLoad{faults: newFaultLog(t0), users: tt.clients}
			for _, c := range tt.clients {
				ch.sessions = append(ch.sessions, c.sessions...)
			}
			ch.messages = []*chatMessage{{seq: 0, from: tt.clients[0].sessions[0], at: at(10)}}
			c := ch.check()
			if c.expected != tt.wantExpected || c.delivered != tt.wantDelivered {
				t.Errorf("delivered %d of %d, want %d of %d", c.delivered, c.expected, tt.wantDelivered, tt.wantExpected)
			}
			got := strings.Join(c.problems, "; ")
			if tt.wantProblem == "" && got != "" || !strings.Contains(got, tt.wantProblem) {
				t.Errorf("problems = %q, want %q", got, tt.wantProblem)
			}
		})
	}
}

func TestChatCheckExcusesRedisOutage(t *testing.T) {
	f := newFaultLog(time.Now())
	newClient := func(role chatRole) *chatClient {
		c := &chatClient{role: role, got: map[int]int{}}
		c.sessions = []*chatSession{{client: c, role: role, name: "s", joined: time.Now().Add(-time.Minute)}}
		return c
	}
	sender, reader := newClient(roleSender), newClient(roleReader)
	end := f.begin(faultRedis)
	ch := &chatLoad{faults: f, users: []*chatClient{sender, reader}, sessions: []*chatSession{sender.sessions[0], reader.sessions[0]}}
	ch.messages = []*chatMessage{{seq: 0, from: sender.sessions[0], at: time.Now()}}
	end()
	if c := ch.check(); c.judged != 0 || c.expected != 0 || len(c.problems) != 0 {
		t.Errorf("check = %+v, want the message sent during the outage excused", c)
	}
}

func TestRoleOf(t *testing.T) {
	counts := map[chatRole]int{}
	for i := range 200 {
		counts[roleOf(i, 10)]++
	}
	want := map[chatRole]int{roleSender: 10, roleStaller: 19, roleVanisher: 19, roleReader: 152}
	for role, n := range want {
		if counts[role] != n {
			t.Errorf("role %d: %d clients, want %d", role, counts[role], n)
		}
	}
}
