package logging

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// flushBufferSize holds a few hundred request lines; a fuller buffer is
// written at once, so a burst never waits for the ticker.
const flushBufferSize = 64 << 10

// FlushWriter batches log lines and writes them every interval, turning a
// write system call per request into one per batch: at high request rates
// that call costs more than the rest of the request logging together. The
// price is that a process killed outright loses the last interval of lines;
// Close writes out the rest, so a graceful shutdown loses none.
type FlushWriter struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	closed bool // after Close, writes go straight through
	stop   chan struct{}
	done   chan struct{}
}

// FlushInterval is how often the service's log lines are written out: one
// system call per batch instead of per request. A process killed outright
// (not SIGTERM) loses at most this much of its log.
const FlushInterval = 100 * time.Millisecond

// NewFlushWriter starts a writer that flushes to w every interval. Close
// stops it.
func NewFlushWriter(w io.Writer, interval time.Duration) *FlushWriter {
	f := &FlushWriter{
		buf:  bufio.NewWriterSize(w, flushBufferSize),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go f.loop(interval)
	return f
}

// Write buffers p. slog handlers write one whole record per call, so lines
// from concurrent requests never interleave.
func (f *FlushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		// A late line, from a goroutine that outlived the logger's owner,
		// is written at once rather than lost in a buffer no one flushes.
		n, err := f.buf.Write(p)
		if err == nil {
			err = f.buf.Flush()
		}
		return n, err
	}
	return f.buf.Write(p)
}

// Flush writes out what is buffered.
func (f *FlushWriter) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Flush()
}

// Close stops the flushing goroutine and writes out the rest.
func (f *FlushWriter) Close() error {
	close(f.stop)
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return f.buf.Flush()
}

func (f *FlushWriter) loop(interval time.Duration) {
	defer close(f.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = f.Flush() // A failing log destination has no one to tell.
		case <-f.stop:
			return
		}
	}
}
