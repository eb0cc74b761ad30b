package handlers

import (
	"io"
	"time"
)

// Pace bounds how slowly an upload may arrive or a download may be read.
// The server's HTTP_READ_TIMEOUT and HTTP_WRITE_TIMEOUT are fixed budgets
// for the whole request, too short for 100 MiB over a slow link; one long
// fixed deadline instead would let a client hold a connection open for its
// whole length at one byte a second. So a transfer's deadline moves with
// its progress: every MinBytesPerSec × Window bytes earn another Window,
// and a transfer that falls below that rate for a whole Window is cut off.
// Timeout caps the whole transfer however fast it moves.
type Pace struct {
	// MinBytesPerSec is the slowest rate allowed, measured over Window.
	// Optional. Default 32 KiB/s.
	MinBytesPerSec int64
	// Window is how long a transfer may fall below MinBytesPerSec before it
	// is cut off; also the time allowed for the first bytes. Optional.
	// Default 15s.
	Window time.Duration
	// Timeout caps the whole transfer. Optional. Default 1h.
	Timeout time.Duration
}

// DefaultPace is the Pace a zero Pace stands for: 100 MiB at the minimum
// rate takes 53 minutes, within the hour.
var DefaultPace = Pace{MinBytesPerSec: 32 << 10, Window: 15 * time.Second, Timeout: time.Hour}

// withDefaults fills the zero fields of p from DefaultPace.
func (p Pace) withDefaults() Pace {
	if p.MinBytesPerSec <= 0 {
		p.MinBytesPerSec = DefaultPace.MinBytesPerSec
	}
	if p.Window <= 0 {
		p.Window = DefaultPace.Window
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultPace.Timeout
	}
	return p
}

// deadline keeps one of a connection's deadlines (read or write) a Window
// ahead of a transfer for as long as the transfer keeps up its Pace. It is
// used by the one goroutine that does the transfer.
type deadline struct {
	set    func(time.Time) error // http.ResponseController's SetReadDeadline or SetWriteDeadline
	window time.Duration
	step   int64     // bytes due within each window: MinBytesPerSec × Window
	limit  time.Time // when the transfer must end, whatever its pace
	moved  int64     // bytes since the deadline last moved
}

// startDeadline sets the deadline one Window from now and returns the
// deadline, for the transfer to report its progress to.
func startDeadline(set func(time.Time) error, p Pace) *deadline {
	p = p.withDefaults()
	d := &deadline{
		set:    set,
		window: p.Window,
		step:   max(1, p.MinBytesPerSec*int64(p.Window)/int64(time.Second)),
		limit:  time.Now().Add(p.Timeout),
	}
	d.extend()
	return d
}

// advance records n more bytes moved, and moves the deadline once another
// step of bytes has gone through.
func (d *deadline) advance(n int64) {
	d.moved += n
	if d.moved >= d.step {
		d.moved = 0
		d.extend()
	}
}

// due is how many bytes may still move before the deadline does.
func (d *deadline) due() int64 {
	return d.step - d.moved
}

func (d *deadline) extend() {
	// An error means the connection is gone, or the writer (a test
	// recorder) has no deadlines; either way the transfer's own reads and
	// writes report what matters.
	t := time.Now().Add(d.window)
	if t.After(d.limit) {
		t = d.limit
	}
	_ = d.set(t)
}

// pacedBody is a request body whose reads move the connection's read
// deadline as they make progress.
type pacedBody struct {
	io.ReadCloser
	deadline *deadline
}

func (b pacedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	// At the body's end net/http starts reading ahead for the next
	// request, with no deadline; setting one now would cut that read off
	// and cancel the request's context.
	if err == nil {
		b.deadline.advance(int64(n))
	}
	return n, err
}
