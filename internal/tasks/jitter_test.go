package tasks_test

import (
	"testing"
	"time"

	"example.com/echotemplate/internal/tasks"
)

// TestBackoffJitters: jobs that failed together do not retry in lockstep.
// Over many draws the delay takes many values, the whole range from half
// the delay to all of it among them; TestBackoff checks the bounds.
func TestBackoffJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[tasks.Backoff(1, time.Second, time.Minute)] = true
	}
	if len(seen) < 100 {
		t.Errorf("200 draws of Backoff(1, 1s, 1m) gave %d distinct delays, want jitter", len(seen))
	}

	// With a delay of 2ns the range is [1ns, 2ns]: both ends come up.
	seen = map[time.Duration]bool{}
	for range 200 {
		d := tasks.Backoff(1, 2, time.Minute)
		if d < 1 || d > 2 {
			t.Fatalf("Backoff(1, 2ns, 1m) = %v, want 1ns or 2ns", d)
		}
		seen[d] = true
	}
	if !seen[1] || !seen[2] {
		t.Errorf("200 draws of Backoff(1, 2ns, 1m) gave %v, want both 1ns and 2ns", seen)
	}
	if got := tasks.Backoff(1, 1, time.Minute); got != 1 {
		t.Errorf("Backoff(1, 1ns, 1m) = %v, want 1ns: nothing to shorten", got)
	}
}
