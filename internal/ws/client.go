package ws

import (
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// client is one WebSocket connection, echo or chat. Its reader goroutine
// (run) reads messages and owns the connection's lifetime; its writer
// goroutine (writePump) is the only one that writes messages to it. gorilla
// itself may answer pings and close frames from the reader, which its
// control-frame lock allows.
type client struct {
	hub     *Hub
	conn    *websocket.Conn
	chat    bool   // receives broadcasts; echo clients get their own replies only
	name    string // chat name, empty for echo
	limiter *rate.Limiter

	// send queues messages for writePump. It is never closed: the echo
	// reader sends on it too, so the hub signals the end by closing done.
	send chan *websocket.PreparedMessage

	// done is closed by the hub goroutine, exactly once, to end the client;
	// closeCode is set just before and read by writePump after done.
	done      chan struct{}
	closeCode int

	// writerDone is closed when writePump returns.
	writerDone chan struct{}

	// peerClosed is set when the peer's close frame arrives: writePump then
	// sends what is still queued before it answers with its own.
	peerClosed atomic.Bool
}

func newClient(h *Hub, conn *websocket.Conn, name string, chat bool) *client {
	return &client{
		hub:        h,
		conn:       conn,
		chat:       chat,
		name:       name,
		limiter:    rate.NewLimiter(rate.Limit(h.cfg.MessageRate), h.cfg.MessageBurst),
		send:       make(chan *websocket.PreparedMessage, h.cfg.SendBuffer),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// end tells the client's goroutines to finish; its writer sends a close frame
// with code, or none when code is 0. Only the hub goroutine calls it.
func (c *client) end(code int) {
	c.closeCode = code
	close(c.done)
}

// endNow ends a client the hub drops or shuts down. It also cuts short a
// write the writer may be stuck in (a peer that stopped reading) after
// closeGracePeriod, so the connection is released promptly; a peer that is
// slow but reading gets the close frame after its current message.
func (c *client) endNow(code int) {
	c.end(code)
	_ = c.conn.NetConn().SetWriteDeadline(time.Now().Add(closeGracePeriod))
}

// run serves the connection until it ends, then releases its slot. It starts
// the writer, reads until the connection fails or the client breaks a rule,
// and closes the connection once the writer has said goodbye.
func (c *client) run() {
	defer c.hub.release()
	code := c.readPump()
	c.hub.leave(c, code)
	<-c.writerDone
	if code != 0 {
		// We are closing: read until the peer answers our close frame, so it
		// receives that frame instead of a connection reset.
		c.drain()
	}
	c.conn.Close()

	if c.chat {
		c.hub.publish(c.hub.ctx, c.name+" left", true)
	}
}

// readPump reads and handles messages. It returns the close code the writer
// should send (1000 in answer to the peer's close frame), or 0 when the
// connection is past sending one (it failed, or gorilla already sent 1009 for
// an oversized message).
func (c *client) readPump() int {
	cfg := c.hub.cfg
	c.conn.SetReadLimit(cfg.MaxMessageBytes)
	_ = c.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	// gorilla answers a close frame at once, from this goroutine, which
	// could overtake replies still queued for the writer (a client that
	// sends a message and closes would miss its echo). writePump answers
	// instead, after them.
	c.conn.SetCloseHandler(func(int, string) error {
		c.peerClosed.Store(true)
		return nil
	})
	c.conn.SetPongHandler(func(string) error {
		select {
		case <-c.done:
			// Closing: keep the short deadline writePump set.
			return nil
		default:
			return c.conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
		}
	})

	for {
		typ, msg, err := c.conn.ReadMessage()
		if err != nil && c.peerClosed.Load() {
			return websocket.CloseNormalClosure
		}
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				c.hub.log.DebugContext(c.hub.ctx, "websocket read ended", "err", err)
			}
			return 0
		}
		switch {
		case !c.limiter.Allow():
			c.hub.stats.rateLimited.Add(1)
			return websocket.ClosePolicyViolation
		case typ != websocket.TextMessage:
			return websocket.CloseUnsupportedData
		case !utf8.Valid(msg):
			// Browsers drop a connection that receives invalid UTF-8, so
			// relaying it would disconnect every chat client.
			return websocket.CloseInvalidFramePayloadData
		}

		if c.chat {
			c.hub.publish(c.hub.ctx, c.name+" said: "+string(msg), false)
			continue
		}
		if !c.echo(msg) {
			return 0
		}
	}
}

// echo queues "Echo: msg" for the writer. It waits while the send buffer is
// full, which slows down only this client's own reading, and reports false
// once the client is ending.
func (c *client) echo(msg []byte) bool {
	reply, err := websocket.NewPreparedMessage(websocket.TextMessage, append([]byte("Echo: "), msg...))
	if err != nil {
		// Framing an in-memory message without compression cannot fail.
		c.hub.log.ErrorContext(c.hub.ctx, "frame echo reply", "err", err)
		return false
	}
	select {
	case c.send <- reply:
		return true
	case <-c.done:
		return false
	case <-c.writerDone:
		return false
	}
}

// writePump writes queued messages and keepalive pings until the hub ends the
// client or a write fails.
func (c *client) writePump() {
	defer close(c.writerDone)
	cfg := c.hub.cfg
	ping := time.NewTicker(cfg.pingPeriod())
	defer ping.Stop()

	for {
		select {
		case msg := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				// Unblock the reader; run sees the read fail and cleans up.
				c.conn.Close()
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteWait)); err != nil {
				c.conn.Close()
				return
			}
		case <-c.done:
			if c.peerClosed.Load() {
				c.flush()
			}
			if c.closeCode != 0 {
				writeClose(c.conn, c.closeCode)
			}
			// Give the peer closeGracePeriod to answer with its close frame;
			// the reader returns when it does or when this deadline passes.
			_ = c.conn.SetReadDeadline(time.Now().Add(closeGracePeriod))
			return
		}
	}
}

// flush writes the messages still queued, without waiting for more. Only
// writePump calls it.
func (c *client) flush() {
	for {
		select {
		case msg := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				return
			}
		default:
			return
		}
	}
}

// drain discards what the peer still sends until its close frame arrives or
// the read deadline set by writePump passes.
func (c *client) drain() {
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// closeReason is the text sent with a close code. It is shown to clients, so
// it names the rule, never an internal detail.
func closeReason(code int) string {
	switch code {
	case websocket.CloseGoingAway:
		return "server shutting down"
	case websocket.ClosePolicyViolation:
		return "too many messages"
	case websocket.CloseUnsupportedData:
		return "text messages only"
	case websocket.CloseInvalidFramePayloadData:
		return "invalid UTF-8"
	case websocket.CloseTryAgainLater:
		return "too slow to keep up"
	default:
		return ""
	}
}

// writeClose sends a close frame with code and its reason, giving a peer
// that does not read closeGracePeriod before giving up.
func writeClose(conn *websocket.Conn, code int) {
	frame := websocket.FormatCloseMessage(code, closeReason(code))
	_ = conn.WriteControl(websocket.CloseMessage, frame, time.Now().Add(closeGracePeriod))
}
