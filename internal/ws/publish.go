package ws

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// ErrBrokerUnavailable is returned by Ready while the broker subscription is
// down. Chat then still works among this instance's clients; messages from
// and to other instances are lost until the subscription is back.
var ErrBrokerUnavailable = errors.New("ws: broker unavailable")

const (
	// minSubscribeRetry and maxSubscribeRetry bound the wait between attempts
	// to subscribe to the broker. It doubles after each failure, so a broker
	// that is down is not hammered, and starts over once a subscription was up.
	minSubscribeRetry = 100 * time.Millisecond
	maxSubscribeRetry = 10 * time.Second
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
// while the broker subscription is down (chat still works within this
// instance).
func (s *Server) Ready() error {
	if s.stopping() {
		return ErrShuttingDown
	}
	if s.broker != nil && !s.brokerUp.Load() {
		return ErrBrokerUnavailable
	}
	return nil
}

// publish sends a chat line to this server's clients and, with a broker, to
// every instance. Without a broker it goes straight to the hub. With one,
// each of this server's clients receives it exactly once:
//   - subscription up: publish, and deliver what the subscription brings back;
//     if the publish fails, deliver directly instead;
//   - subscription down: deliver directly first, so local chat does not wait
//     for a broker that is down, then publish for the other hubs.
//
// A copy that comes back after a direct delivery is dropped by its sequence
// number (see seenWindow). A message the broker accepted but lost on its way
// back is not delivered: chat is at most once while the broker fails.
// A notice (join or leave) may be skipped for clients whose queue is half
// full; a chat line never is. name is the sender of a chat line; empty for
// a notice or a Broadcast, whose text is the whole line.
func (s *Server) publish(ctx context.Context, name, text string, notice bool) {
	e := envelope{Name: name, Text: text, Notice: notice, Time: time.Now()}
	if s.broker == nil {
		s.deliver(e)
		return
	}
	e.From, e.Seq = s.id, s.seq.Add(1)
	up := s.brokerUp.Load()
	if !up {
		s.deliver(e)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	if err := s.broker.Publish(ctx, e.encode()); err != nil && up {
		s.log.WarnContext(ctx, "chat publish failed; delivering to this instance only", "err", err)
		s.deliver(e)
	}
}

// receive is the broker subscription's deliver function.
func (s *Server) receive(msg []byte) {
	e, err := decodeEnvelope(msg)
	if err != nil {
		s.log.WarnContext(s.ctx, "dropping a malformed chat message from the broker", "err", err)
		return
	}
	s.deliver(e)
}

// deliver gives e this instance's id for it (chat lines only: notices are
// not kept), frames it once per format and hands it to the hub.
func (s *Server) deliver(e envelope) {
	m := message{from: e.From, seq: e.Seq, notice: e.Notice, time: e.Time}
	if !e.Notice {
		// Prefixed with this server's id, so a last_id from another
		// instance matches nothing here rather than the wrong line.
		m.id = s.id[:8] + "-" + strconv.FormatUint(s.lines.Add(1), 10)
	}
	text := e.Text
	if e.Name != "" {
		text = e.Name + " said: " + e.Text
	}
	m.text = frameText(text)
	m.json = frameJSON(chatJSON{ID: m.id, From: e.Name, Text: e.Text, Time: e.Time})
	s.hub.send(m)
}

// subscribe keeps a broker subscription up until Shutdown, retrying with
// backoff. brokerUp is true exactly while a subscription delivers.
func (s *Server) subscribe() {
	defer close(s.subscribed)
	wait := minSubscribeRetry
	for {
		err := s.broker.Subscribe(s.ctx, func() {
			s.brokerUp.Store(true)
			s.log.InfoContext(s.ctx, "chat broker subscription up")
		}, s.receive)
		wasUp := s.brokerUp.Swap(false)
		if s.ctx.Err() != nil {
			return
		}
		if wasUp {
			wait = minSubscribeRetry
		}
		s.log.WarnContext(s.ctx, "chat broker subscription down; chat is limited to this instance",
			"err", err, "retry_in", wait)

		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, maxSubscribeRetry)
	}
}
