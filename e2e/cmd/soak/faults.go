package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Kinds of fault the soak injects.
const (
	faultRedis   = "redis"   // Redis is down for a restart
	faultRestart = "restart" // an instance is shutting down and starting again
	// feature:tasks begin
	faultSMTP = "smtp" // the mail server answers 451
	// feature:tasks end

	// windowStart is no fault but is excused like one: the instances'
	// first start, while /readyz answers 503 until every check passes.
	windowStart = "start"
)

// faultWindow is a span of time during which a fault was in force.
type faultWindow struct {
	kind     string
	from, to time.Time // to is zero while the fault lasts
}

// faultLog records when each fault began and ended, so that the checks can
// tell an answer the fault explains (a 503 while Redis is down) from one it
// does not. It is safe for concurrent use.
type faultLog struct {
	start time.Time // of the load, for the report's offsets

	mu      sync.Mutex
	windows []*faultWindow
	events  []string
}

func newFaultLog(start time.Time) *faultLog { return &faultLog{start: start} }

// begin opens a window of kind and returns the func that closes it.
func (f *faultLog) begin(kind string) (end func()) {
	w := &faultWindow{kind: kind, from: time.Now()}
	f.mu.Lock()
	f.windows = append(f.windows, w)
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		w.to = time.Now()
		f.mu.Unlock()
	}
}

// during reports whether t falls in a window of kind widened by before and
// after: a fault's effects start a little early (a request already in
// flight) and outlast it (clients reconnecting).
func (f *faultLog) during(kind string, t time.Time, before, after time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.windows {
		if w.kind != kind || t.Before(w.from.Add(-before)) {
			continue
		}
		if w.to.IsZero() || t.Before(w.to.Add(after)) {
			return true
		}
	}
	return false
}

// duringAny is during for faults of every kind.
func (f *faultLog) duringAny(t time.Time, before, after time.Duration) bool {
	for _, kind := range []string{
		faultRedis, faultRestart, windowStart,
		faultSMTP, // feature:tasks
	} {
		if f.during(kind, t, before, after) {
			return true
		}
	}
	return false
}

// offset returns the seconds from the start of the load to t.
func (f *faultLog) offset(t time.Time) float64 {
	return t.Sub(f.start).Seconds()
}

// event notes what happened, for the report.
func (f *faultLog) event(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf("%6.1fs  ", f.offset(time.Now()))+fmt.Sprintf(format, args...))
}

func (f *faultLog) print(w io.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		fmt.Fprintf(w, "  %s\n", e)
	}
}
