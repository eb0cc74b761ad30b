package main

import (
	"testing"
	"time"
)

func TestFaultLogDuring(t *testing.T) {
	f := newFaultLog(time.Now())
	end := f.begin(faultRedis)
	inside := time.Now()
	time.Sleep(time.Millisecond)
	end()
	after := time.Now().Add(time.Second)

	tests := []struct {
		name          string
		kind          string
		t             time.Time
		before, after time.Duration
		want          bool
	}{
		{"Inside", faultRedis, inside, 0, 0, true},
		{"OtherKind", faultRestart, inside, 0, 0, false},
		{"Later", faultRedis, after, 0, 0, false},
		{"LaterWithinMargin", faultRedis, after, 0, 2 * time.Second, true},
		{"Earlier", faultRedis, inside.Add(-time.Hour), 0, 0, false},
		{"EarlierWithinMargin", faultRedis, inside.Add(-time.Second), 2 * time.Second, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.during(tt.kind, tt.t, tt.before, tt.after); got != tt.want {
				t.Errorf("during = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFaultLogOpenWindow(t *testing.T) {
	f := newFaultLog(time.Now())
	f.begin(faultRestart)
	if !f.during(faultRestart, time.Now().Add(time.Hour), 0, 0) {
		t.Error("a fault not yet ended covers every later time")
	}
}
