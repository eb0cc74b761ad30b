package ws

import "time"

// history keeps the newest chat lines for clients that reconnect with the id
// of the last one they saw (?last_id=). It holds at most size lines, none
// older than ttl. Only the hub goroutine uses it, so a replay and the live
// messages after it leave no gap and repeat nothing.
type history struct {
	size  int
	ttl   time.Duration
	lines []message // oldest first
}

// add keeps m, dropping the oldest line when full. Shifting at most size
// lines costs less than delivering m to a handful of clients.
func (h *history) add(m message) {
	if h.size == 0 {
		return
	}
	if len(h.lines) == h.size {
		copy(h.lines, h.lines[1:])
		h.lines = h.lines[:h.size-1]
	}
	h.lines = append(h.lines, m)
}

// since returns the lines after the one with id lastID, oldest first. found
// is false when that line is no longer kept (or never was, on this
// instance): the lines returned are then all those kept, and some may have
// been missed.
func (h *history) since(lastID string, now time.Time) (lines []message, found bool) {
	keep := 0
	for keep < len(h.lines) && now.Sub(h.lines[keep].time) > h.ttl {
		keep++
	}
	h.lines = h.lines[keep:]
	for i := len(h.lines) - 1; i >= 0; i-- {
		if h.lines[i].id == lastID {
			return h.lines[i+1:], true
		}
	}
	return h.lines, false
}
