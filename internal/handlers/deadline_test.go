package handlers

import (
	"io"
	"strings"
	"testing"
	"time"
)

// deadlineLog records the deadlines a transfer sets.
type deadlineLog []time.Time

func (l *deadlineLog) set(t time.Time) error {
	*l = append(*l, t)
	return nil
}

func TestDeadlineMovesWithProgress(t *testing.T) {
	var got deadlineLog
	// 100 bytes per second over 2 seconds: a step is 200 bytes.
	d := startDeadline(got.set, Pace{MinBytesPerSec: 100, Window: 2 * time.Second, Timeout: time.Hour})
	tests := []struct {
		name      string
		n         int64
		wantMoves int // deadlines set so far, the first at start
		wantDue   int64
	}{
		{"Start", 0, 1, 200},
		{"Short", 150, 1, 50},
		{"StepDone", 60, 2, 200},
		{"BigRead", 1000, 3, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			d.advance(tt.n)
			if len(got) != tt.wantMoves || d.due() != tt.wantDue {
				t.Fatalf("%d deadlines set, %d bytes due; want %d and %d", len(got), d.due(), tt.wantMoves, tt.wantDue)
			}
			if last := got[len(got)-1]; tt.wantMoves > 1 && last.Before(before.Add(2*time.Second)) {
				t.Errorf("deadline %v is less than a window from now", last)
			}
		})
	}
}

func TestDeadlineNeverPassesTimeout(t *testing.T) {
	var got deadlineLog
	start := time.Now()
	d := startDeadline(got.set, Pace{MinBytesPerSec: 1, Window: time.Hour, Timeout: time.Second})
	d.advance(1 << 20)
	for _, dl := range got {
		if dl.After(start.Add(time.Second + time.Minute)) {
			t.Errorf("deadline %v is past the timeout", dl.Sub(start))
		}
	}
}

func TestPaceDefaults(t *testing.T) {
	if got := (Pace{}).withDefaults(); got != DefaultPace {
		t.Errorf("zero Pace = %+v, want DefaultPace %+v", got, DefaultPace)
	}
	p := Pace{MinBytesPerSec: 1, Window: time.Second, Timeout: time.Minute}
	if got := p.withDefaults(); got != p {
		t.Errorf("set Pace = %+v, want it unchanged", got)
	}
}

// TestPacedBodyLeavesEndAlone: once the body is read to its end, net/http
// reads ahead for the next request without a deadline, and the body must
// not set one.
func TestPacedBodyLeavesEndAlone(t *testing.T) {
	var got deadlineLog
	d := startDeadline(got.set, Pace{MinBytesPerSec: 1, Window: time.Second})
	body := pacedBody{ReadCloser: io.NopCloser(&endReader{strings.NewReader("abc")}), deadline: d}
	if _, err := io.ReadAll(body); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("set %d deadlines, want only the first: the last read came with io.EOF", len(got))
	}
}

// endReader returns its last bytes together with io.EOF, as net/http's
// request bodies do.
type endReader struct{ r *strings.Reader }

func (e *endReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if e.r.Len() == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}
