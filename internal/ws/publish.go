package ws

import (
	"context"
	"errors"
	"time"

	"github.com/gorilla/websocket"
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

// Broadcast sends text as it is to every chat client of every hub on the
// broker. It returns ErrShuttingDown once Shutdown has begun.
func (h *Hub) Broadcast(ctx context.Context, text string) error {
	if h.closing.Load() {
		return ErrShuttingDown
	}
	h.publish(ctx, text, false)
	return nil
}

// Ready reports whether the hub accepts connections and reaches the other
// hubs: nil, ErrShuttingDown, or ErrBrokerUnavailable while the broker
// subscription is down (chat still works within this instance).
func (h *Hub) Ready() error {
	if h.closing.Load() {
		return ErrShuttingDown
	}
	if !h.brokerUp.Load() {
		return ErrBrokerUnavailable
	}
	return nil
}

// publish sends a chat line to every hub through the broker. Each of this
// hub's clients receives it exactly once:
//   - subscription up: publish, and deliver what the subscription brings back;
//     if the publish fails, deliver directly instead;
//   - subscription down: deliver directly first, so local chat does not wait
//     for a broker that is down, then publish for the other hubs.
//
// A copy that comes back after a direct delivery is dropped by its sequence
// number (see seenWindow). A message the broker accepted but lost on its way
// back is not delivered: chat is at most once while the broker fails.
// A notice (join or leave) may be skipped for clients whose queue is half
// full; a chat line never is.
func (h *Hub) publish(ctx context.Context, text string, notice bool) {
	e := envelope{From: h.id, Seq: h.seq.Add(1), Text: text, Notice: notice}
	up := h.brokerUp.Load()
	if !up {
		h.deliver(e)
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.PublishTimeout)
	defer cancel()
	if err := h.broker.Publish(ctx, e.encode()); err != nil && up {
		h.log.WarnContext(ctx, "chat publish failed; delivering to this instance only", "err", err)
		h.deliver(e)
	}
}

// receive is the broker subscription's deliver function.
func (h *Hub) receive(msg []byte) {
	e, err := decodeEnvelope(msg)
	if err != nil {
		h.log.WarnContext(h.ctx, "dropping a malformed chat message from the broker", "err", err)
		return
	}
	h.deliver(e)
}

// deliver frames e once and hands it to the hub goroutine for its clients.
func (h *Hub) deliver(e envelope) {
	msg, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(e.Text))
	if err != nil {
		// Framing an in-memory message without compression cannot fail.
		h.log.ErrorContext(h.ctx, "frame chat message", "err", err)
		return
	}
	select {
	case h.inbound <- delivery{from: e.From, seq: e.Seq, msg: msg, notice: e.Notice}:
	case <-h.stopped:
	}
}

// subscribe keeps a broker subscription up until Shutdown, retrying with
// backoff. brokerUp is true exactly while a subscription delivers.
func (h *Hub) subscribe() {
	defer close(h.subscribed)
	wait := minSubscribeRetry
	for {
		err := h.broker.Subscribe(h.ctx, func() {
			h.brokerUp.Store(true)
			h.log.InfoContext(h.ctx, "chat broker subscription up")
		}, h.receive)
		wasUp := h.brokerUp.Swap(false)
		if h.ctx.Err() != nil {
			return
		}
		if wasUp {
			wait = minSubscribeRetry
		}
		h.log.WarnContext(h.ctx, "chat broker subscription down; chat is limited to this instance",
			"err", err, "retry_in", wait)

		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-h.ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, maxSubscribeRetry)
	}
}
