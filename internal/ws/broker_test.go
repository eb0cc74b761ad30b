package ws

import "testing"

// TestLogPos: entries are ordered by their milliseconds, then by their
// sequence number within one millisecond.
func TestLogPos(t *testing.T) {
	tests := []struct {
		p, q string
		want bool // p after q
	}{
		{"2-0", "1-9", true},
		{"1-9", "2-0", false},
		{"1-2", "1-1", true},
		{"1-1", "1-2", false},
		{"1-1", "1-1", false},
		{"1-0", "not-an-id", true},
		{"0-0", "", false},
	}
	for _, tt := range tests {
		if got := parseLogPos(tt.p).after(parseLogPos(tt.q)); got != tt.want {
			t.Errorf("%q after %q = %v, want %v", tt.p, tt.q, got, tt.want)
		}
	}
	if got, want := parseLogPos("1733212345678-42"), (logPos{1733212345678, 42}); got != want {
		t.Errorf("parseLogPos = %+v, want %+v", got, want)
	}
}
