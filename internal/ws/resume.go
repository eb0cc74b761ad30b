package ws

import (
	"context"
	"time"
)

// With a broker, a client that resumes (?last_id=) gets its replay from the
// broker's log, which takes a round trip the hub must not wait for. So the
// hub registers the client as pending and holds the live messages for it;
// the client's handshake goroutine reads the log (fetchReplay) and hands
// the lines to the hub (resumed), which queues them, then the held messages
// that come after the last line replayed. Every line is either in the log
// when fetchReplay reads it or reaches the hub after the client registered,
// so nothing falls between replay and live; a line in both is sent once.

// replay is what fetchReplay found for a pending client.
type replay struct {
	c       *client
	lines   []message
	found   bool   // the client's last line is still kept: nothing was missed
	through logPos // the last line the client has now seen
}

// fetchReplay reads the lines after c.lastID from the broker and hands
// them to the hub. When the broker fails, the client gets the missed notice
// and live messages only.
func (s *Server) fetchReplay(c *client) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.PublishTimeout)
	defer cancel()
	r := replay{c: c}
	r.through = parseLogPos(c.lastID)
	entries, found, err := s.broker.Since(ctx, c.lastID, time.Now().Add(-s.cfg.HistoryTTL))
	if err != nil {
		s.log.WarnContext(ctx, "chat replay failed; the client gets live messages only", "err", err)
		entries = nil
	}
	r.found = found && err == nil
	// Approximate trimming may keep a few more lines than History; the
	// client's queue has room for History.
	if extra := len(entries) - s.cfg.History; extra > 0 {
		entries, r.found = entries[extra:], false
	}
	seen := make(seenCopies) // see envelope
	for _, entry := range entries {
		e, err := decodeEnvelope(entry.Msg)
		if err != nil || !seen.firstTime(e.From, e.Seq) {
			continue
		}
		m := s.message(e, entry.ID)
		r.lines = append(r.lines, m)
		r.through = m.pos
	}
	s.hub.resume(r)
}

// resume hands r to the hub.
func (h *hub) resume(r replay) {
	select {
	case h.resumed <- r:
	case <-h.done:
	}
}

// finishReplay queues r's lines for its client, after the missed notice
// when some were missed, then the live messages held for it that came
// after them. It reports false when the client's queue overflowed and the
// client must be dropped.
func (h *hub) finishReplay(r replay) bool {
	c := r.c
	c.pending, c.through = false, r.through
	held := c.held
	c.held = nil
	if !r.found && !c.queue(missedMessage(time.Now())) {
		return false
	}
	for _, m := range r.lines {
		if !c.queue(m) {
			return false
		}
	}
	for _, m := range held {
		if c.fresh(m) && !c.queue(m) {
			return false
		}
	}
	return true
}

// hold keeps m for c while c's replay is being read. It reports false when
// more messages are held than c's queue could take.
func (c *client) hold(m message) bool {
	if len(c.held) == cap(c.send) {
		return false
	}
	c.held = append(c.held, m)
	return true
}

// fresh reports whether c, after its replay, has not had m yet: a chat line
// from the log must come after the last line c has seen. Once one does, the
// log's order means every later one will, and c stops checking.
func (c *client) fresh(m message) bool {
	if m.notice || m.pos == (logPos{}) {
		return true
	}
	if !m.pos.after(c.through) {
		return false
	}
	c.resuming = false
	return true
}

// queue queues m for c unless c's queue is full.
func (c *client) queue(m message) bool {
	select {
	case c.send <- c.frame(m):
		return true
	default:
		return false
	}
}
