package tasks_test

import (
	"fmt"
	"testing"
	"time"

	"example.com/echotemplate/internal/tasks"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		retry    int
		delay    time.Duration
		maxDelay time.Duration
		wantMax  time.Duration // before jitter; the result lies in [wantMax/2, wantMax]
	}{
		{1, time.Second, time.Minute, time.Second},
		{2, time.Second, time.Minute, 2 * time.Second},
		{4, time.Second, time.Minute, 8 * time.Second},
		{7, time.Second, time.Minute, time.Minute}, // 64s is capped
		{100, time.Second, time.Minute, time.Minute},
		{3, 10 * time.Millisecond, time.Second, 40 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("retry%d_%v", tt.retry, tt.delay), func(t *testing.T) {
			for range 100 {
				got := tasks.Backoff(tt.retry, tt.delay, tt.maxDelay)
				if got < tt.wantMax/2 || got > tt.wantMax {
					t.Fatalf("Backoff(%d, %v, %v) = %v, want within [%v, %v]", tt.retry, tt.delay, tt.maxDelay, got, tt.wantMax/2, tt.wantMax)
				}
			}
		})
	}
}
