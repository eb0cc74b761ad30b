package logging

import (
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"
)

func TestFlushWriter(t *testing.T) {
	var out testenv.Buffer
	f := NewFlushWriter(&out, 300*time.Millisecond)
	_, _ = f.Write([]byte("one\n"))
	if out.String() != "" {
		t.Fatal("written before the interval passed")
	}
	deadline := time.Now().Add(2 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatalf("after the interval got %q, want the line", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}

	_, _ = f.Write([]byte("two\n"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Errorf("after Close got %q, want both lines", got)
	}
	_, _ = f.Write([]byte("late\n"))
	if got := out.String(); got != "one\ntwo\nlate\n" {
		t.Errorf("a write after Close left %q, want it written at once", got)
	}
}

func TestFlushWriterKeepsLinesWhole(t *testing.T) {
	var out testenv.Buffer
	f := NewFlushWriter(&out, time.Millisecond)
	var wg sync.WaitGroup
	line := strings.Repeat("x", 999) + "\n"
	for range 8 {
		wg.Go(func() {
			for range 200 {
				_, _ = f.Write([]byte(line))
			}
		})
	}
	wg.Wait()
	_ = f.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("got %d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if len(l) != 999 {
			t.Fatalf("a line of %d bytes: lines interleaved", len(l))
		}
	}
}

// TestFlushIntervalWritesLinesOut: with the service's own interval, a line
// reaches the output without a Close, well within a second.
func TestFlushIntervalWritesLinesOut(t *testing.T) {
	var out testenv.Buffer
	f := NewFlushWriter(&out, FlushInterval)
	defer f.Close()
	start := time.Now()
	_, _ = f.Write([]byte("one\n"))
	for out.String() != "one\n" {
		if time.Since(start) > time.Second {
			t.Fatalf("after %v got %q, want the line (FlushInterval %v)", time.Since(start), out.String(), FlushInterval)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
