package ws

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// ErrBrokerUnavailable is returned by Ready while the broker cannot be
// read, and by Members when it cannot be asked. Chat then still works among
// this instance's clients: the lines the broker took arrive once it is back,
// and the others reach only this instance.
var ErrBrokerUnavailable = errors.New("ws: broker unavailable")

const (
	// minReadRetry and maxReadRetry bound the wait between attempts to read
	// the broker after a failure. It doubles after each failure, so a broker
	// that is down is not hammered, and starts over once a read succeeds.
	minReadRetry = 100 * time.Millisecond
	maxReadRetry = 10 * time.Second
)

// Broadcast sends text as it is to every chat client, on every instance
// when there is a broker. It returns ErrShuttingDown once Shutdown has begun.
func (s *Server) Broadcast(ctx context.Context, text string) error {
	if s.stopping() {
		return ErrShuttingDown
	}
	s.publish(ctx, "", text, false)
	return nil
}

// stopping reports whether Shutdown has begun.
func (s *Server) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Ready reports whether the server accepts connections and, with a broker,
// reaches the other instances: nil, ErrShuttingDown, or ErrBrokerUnavailable
// while the broker cannot be read (chat still works within this instance).
func (s *Server) Ready() error {
	if s.stopping() {
		return ErrShuttingDown
	}
	if s.broker != nil && !s.brokerUp.Load() {
		return ErrBrokerUnavailable
	}
	return nil
}

// publish sends a chat line or notice to every chat client. Without a broker
// it goes straight to the hub. With one it is appended to the broker's log,
// and every instance's tail delivers it, this one's included; when the
// append fails it goes to this instance's clients directly, with no id. If
// that append took effect after all, its copy from the log is dropped by
// its sequence number (see envelope), so each client gets each message
// once. name is the sender of a chat line; empty for a notice or a
// Broadcast, whose text is the whole line.
func (s *Server) publish(ctx context.Context, name, text string, notice bool) {
	e := envelope{Name: name, Text: text, Notice: notice, Time: time.Now()}
	if s.broker == nil {
		s.hub.send(s.message(e, ""))
		return
	}
	e.From, e.Seq = s.id, s.seq.Add(1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	if _, err := s.broker.Append(ctx, e.encode(), notice); err != nil {
		s.log.WarnContext(ctx, "chat append failed; delivering to this instance only", "err", err)
		s.hub.send(s.message(e, ""))
	}
}

// message frames e once per format. id is its entry id in the broker's log;
// without a broker a chat line gets an id of this server's, and a line
// delivered directly while the broker fails gets none. Notices never have
// one.
func (s *Server) message(e envelope, id string) message {
	m := message{from: e.From, seq: e.Seq, notice: e.Notice, time: e.Time}
	switch {
	case e.Notice:
	case s.broker == nil:
		// Prefixed with this server's id, so a last_id from another
		// server matches nothing here rather than the wrong line.
		m.id = s.id[:8] + "-" + strconv.FormatUint(s.lines.Add(1), 10)
	default:
		m.id = id
		m.pos = parseLogPos(id)
	}
	text := e.Text
	if e.Name != "" {
		text = e.Name + " said: " + e.Text
	}
	m.text = frameText(text)
	m.json = frameJSON(chatJSON{ID: m.id, From: e.Name, Text: e.Text, Time: e.Time})
	return m
}

// tail reads the broker's log until Shutdown and hands every entry to the
// hub, in order. After a failure it reads again from the last entry it
// handed over, with backoff, so no entry is lost or repeated. brokerUp is
// true while reads succeed.
func (s *Server) tail() {
	defer close(s.tailDone)
	cursor := ""
	wait := minReadRetry
	for {
		entries, next, err := s.broker.Read(s.ctx, cursor)
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			if s.brokerUp.Swap(false) {
				wait = minReadRetry
			}
			s.log.WarnContext(s.ctx, "chat broker unreachable; chat is limited to this instance",
				"err", err, "retry_in", wait)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
			wait = min(2*wait, maxReadRetry)
			continue
		}
		if !s.brokerUp.Swap(true) {
			s.log.InfoContext(s.ctx, "chat broker up")
		}
		cursor = next
		for _, entry := range entries {
			e, err := decodeEnvelope(entry.Msg)
			if err != nil {
				s.log.WarnContext(s.ctx, "dropping a malformed chat message from the broker", "id", entry.ID, "err", err)
				continue
			}
			s.hub.send(s.message(e, entry.ID))
		}
	}
}
