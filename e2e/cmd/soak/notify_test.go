package main

import (
	"strings"
	"testing"
)

func TestNotifyCheck(t *testing.T) {
	l := newNotifyLoad("test")
	l.outcomes = map[int]notifyOutcome{0: notifyAccepted, 1: notifyAccepted, 2: notifyRefused, 3: notifyUnknown}
	mail := func(n int, id string) receivedMail {
		return receivedMail{To: recipient(n), MessageID: id, Body: l.message(n)}
	}
	tests := []struct {
		name        string
		mails       []receivedMail
		atLeastOnce bool
		wantOnce    int
		wantProblem string // empty: none
	}{
		{"ExactlyOnce", []receivedMail{mail(0, "a"), mail(1, "b")}, false, 2, ""},
		{"UnansweredMayArrive", []receivedMail{mail(0, "a"), mail(1, "b"), mail(3, "d")}, false, 2, ""},
		{"Missing", []receivedMail{mail(0, "a")}, false, 1, "#1 was never delivered"},
		{"Twice", []receivedMail{mail(0, "a"), mail(0, "a"), mail(1, "b")}, false, 1, "#0 was delivered 2 times"},
		{"TwiceAllowedWithRedis", []receivedMail{mail(0, "a"), mail(0, "a"), mail(1, "b")}, true, 1, ""},
		{"CopiesMustShareMessageID", []receivedMail{mail(0, "a"), mail(0, "x"), mail(1, "b")}, true, 1, "carry 2 Message-IDs"},
		{"RefusedButSent", []receivedMail{mail(0, "a"), mail(1, "b"), mail(2, "c")}, false, 2, "refused notification #2"},
		{"Stranger", []receivedMail{mail(0, "a"), mail(1, "b"), {To: "x@example.com"}}, false, 2, "no request asked for"},
		{"WrongBody", []receivedMail{mail(0, "a"), {To: recipient(1), MessageID: "b", Body: "other"}}, false, 2, "has body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := l.check(tt.mails, tt.atLeastOnce)
			if c.once != tt.wantOnce {
				t.Errorf("once = %d, want %d", c.once, tt.wantOnce)
			}
			if c.accepted != 2 || c.refused != 1 || c.unknown != 1 {
				t.Errorf("accepted, refused, unknown = %d, %d, %d; want 2, 1, 1", c.accepted, c.refused, c.unknown)
			}
			got := strings.Join(c.problems, "; ")
			if tt.wantProblem == "" && got != "" || !strings.Contains(got, tt.wantProblem) {
				t.Errorf("problems = %q, want %q", got, tt.wantProblem)
			}
		})
	}
}
