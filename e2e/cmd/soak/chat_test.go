package main

import (
	"strings"
	"testing"
	"time"
)

func TestChatCheck(t *testing.T) {
	t0 := time.Now()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	session := func(name string, role chatRole, joined, ended int, got ...int) *chatSession {
		s := &chatSession{role: role, name: name, joined: at(joined), ended: at(ended), got: map[int]int{}}
		for _, seq := range got {
			s.got[seq]++
		}
		return s
	}
	tests := []struct {
		name          string
		sessions      []*chatSession
		wantExpected  int
		wantDelivered int
		wantProblem   string
	}{
		{"AllDelivered", []*chatSession{
			session("sender", roleSender, 0, 100, 0),
			session("reader", roleReader, 0, 100, 0),
		}, 2, 2, ""},
		{"Missing", []*chatSession{
			session("sender", roleSender, 0, 100, 0),
			session("reader", roleReader, 0, 100),
		}, 2, 1, "never reached reader"},
		{"JoinedAfterTheMessage", []*chatSession{
			session("sender", roleSender, 0, 100, 0),
			session("late", roleReader, 20, 100),
		}, 1, 1, ""},
		{"LeftBeforeTheGraceWasOver", []*chatSession{
			session("sender", roleSender, 0, 100, 0),
			session("gone", roleReader, 0, 11),
		}, 1, 1, ""},
		{"StallersAndVanishersOwedNothing", []*chatSession{
			session("sender", roleSender, 0, 100, 0),
			session("stall", roleStaller, 0, 100),
			session("vanish", roleVanisher, 0, 100),
		}, 1, 1, ""},
		{"Duplicate", []*chatSession{
			session("sender", roleSender, 0, 100, 0, 0),
		}, 1, 1, "arrived twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := &chatLoad{faults: newFaultLog(t0), sessions: tt.sessions}
			ch.messages = []*chatMessage{{seq: 0, from: tt.sessions[0], at: at(10)}}
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
	sender := &chatSession{role: roleSender, name: "s", joined: time.Now().Add(-time.Minute), got: map[int]int{}}
	reader := &chatSession{role: roleReader, name: "r", joined: time.Now().Add(-time.Minute), got: map[int]int{}}
	end := f.begin(faultRedis)
	ch := &chatLoad{faults: f, sessions: []*chatSession{sender, reader}}
	ch.messages = []*chatMessage{{seq: 0, from: sender, at: time.Now()}}
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
