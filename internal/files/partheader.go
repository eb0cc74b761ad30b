package files

import (
	"errors"
	"io"
)

// delimiterAllowance is what a part may read beyond MaxHeaderBytes while
// its header is parsed: the boundary line before it and the blank line
// after it.
const delimiterAllowance = 1 << 10

// errHeaderBudget is what headerLimiter returns once its budget is spent;
// mime/multipart wraps it, and bodyError turns it into ErrHeaderTooLarge.
var errHeaderBudget = errors.New("files: part header budget exhausted")

// headerLimiter sits between the request body and mime/multipart. While a
// part header is parsed it is armed and lets through at most a budget of
// bytes, so a header that never ends costs that much memory instead of the
// 10 MiB mime/multipart would accept. Disarmed, it passes reads through.
//
// The budget counts bytes read from the body, not header bytes: data that
// mime/multipart's 4 KiB read-ahead fetched earlier is free, which is why
// readParts also checks the parsed header's size.
type headerLimiter struct {
	r     io.Reader
	armed bool
	left  int
}

// arm starts a budget of n bytes.
func (l *headerLimiter) arm(n int) { l.armed, l.left = true, n }

// disarm lifts the budget.
func (l *headerLimiter) disarm() { l.armed = false }

func (l *headerLimiter) Read(p []byte) (int, error) {
	if !l.armed {
		return l.r.Read(p)
	}
	if l.left <= 0 {
		return 0, errHeaderBudget
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= n
	return n, err
}
