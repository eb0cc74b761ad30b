package ws

import (
	"time"

	"github.com/gorilla/websocket"
)

// client is one chat connection. Its reader goroutine (readPump) publishes
// what the peer says and owns the connection's lifetime; its writer
// goroutine (writePump) is the only one that writes messages to it.
type client struct {
	hub  *hub
	peer *peer
	name string
	json bool // wants FormatJSON

	// resume asks the hub to replay the lines after lastID on register.
	resume bool
	lastID string

	// With a broker, a resuming client is pending until its replay comes
	// from the log, with the live messages held meanwhile, and then skips
	// the lines up to through (see resume.go). Only the hub goroutine uses
	// these once the client is registered.
	resuming, pending bool
	held              []message
	through           logPos

	// send queues messages for writePump. The hub closes it to end the
	// client, after setting closeCode: the close frame writePump sends next.
	send      chan *websocket.PreparedMessage
	closeCode int

	writerDone chan struct{} // closed when writePump returns
}

// newClient makes the client of p for req, whose Name has been checked.
// A client that resumes gets room in its queue for the whole history and
// the missed notice, so the replay never drops it.
func newClient(s *Server, p *peer, req ChatRequest) *client {
	resume := req.LastID != ""
	sendBuffer := s.cfg.SendBuffer
	if resume {
		sendBuffer += s.cfg.History + 1
	}
	c := &client{
		hub:        s.hub,
		peer:       p,
		name:       req.Name,
		json:       req.Format == FormatJSON,
		resume:     resume,
		lastID:     req.LastID,
		resuming:   resume && s.broker != nil,
		pending:    resume && s.broker != nil,
		send:       make(chan *websocket.PreparedMessage, sendBuffer),
		writerDone: make(chan struct{}),
	}
	// gorilla would answer the peer's close frame at once, overtaking the
	// messages still queued. The reader asks the hub to end the client with
	// 1000 instead, so writePump sends them first.
	p.conn.SetCloseHandler(func(int, string) error { return nil })
	return c
}

// frame is m in c's format.
func (c *client) frame(m message) *websocket.PreparedMessage {
	if c.json {
		return m.json
	}
	return m.text
}

// end closes send so writePump sends a close frame with code (none for 0).
// Only the hub goroutine calls it, once. Unless the client is going away in
// good order (1000, 1001), what is queued is discarded: a client dropped for
// being slow, or for breaking a rule, gets its close frame next.
func (c *client) end(code int) {
	c.closeCode = code
	close(c.send)
	if code != websocket.CloseNormalClosure && code != websocket.CloseGoingAway {
		for range c.send {
		}
	}
}

// readPump publishes each message until the connection ends, then has the
// hub end the client, waits for writePump's close frame and closes the
// connection.
func (c *client) readPump(s *Server, sl *slot) {
	defer s.conns.release(sl)
	code := 0
	for {
		msg, rule := c.peer.next()
		if msg == nil {
			code = rule
			break
		}
		if !c.peer.closing.Load() {
			s.publish(s.ctx, c.name, string(msg), false)
		}
	}
	if c.peer.peerClosed {
		code = websocket.CloseNormalClosure
	}
	c.hub.leave(c, code)
	<-c.writerDone
	if code != 0 && !c.peer.peerClosed {
		c.peer.drain()
	}
	c.peer.conn.Close()
	s.publish(s.ctx, "", c.name+" left", true)
}

// writePump writes queued messages and keepalive pings until the hub ends
// the client or a write fails.
func (c *client) writePump(s *Server) {
	defer close(c.writerDone)
	ping := time.NewTicker(s.cfg.pingPeriod())
	defer ping.Stop()
	for {
		select {
		case msg, ok := <-c.send:
			if !ok {
				if c.closeCode != 0 {
					c.peer.close(c.closeCode)
				}
				return
			}
			_ = c.peer.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.peer.conn.WritePreparedMessage(msg); err != nil {
				// Unblock the reader; it sees the read fail and cleans up.
				c.peer.conn.Close()
				return
			}
		case <-ping.C:
			if err := c.peer.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.cfg.WriteWait)); err != nil {
				c.peer.conn.Close()
				return
			}
		}
	}
}
