package ws

import (
	"time"

	"github.com/gorilla/websocket"
)

// runEcho answers each text message m with "Echo: m" until the connection
// ends. Its goroutine reads a message, then writes the reply: it is the only
// one that reads and the only one that writes messages, so replies keep
// their order and a peer that does not read them stalls only its own
// connection. keepalive sends pings and the shutdown close frame beside it.
func (s *Server) runEcho(p *peer, sl *slot) {
	defer s.conns.release(sl)
	ended := make(chan struct{})
	keepaliveDone := make(chan struct{})
	go func() {
		defer close(keepaliveDone)
		s.keepalive(p, ended)
	}()

	code := 0
	for {
		msg, c := p.next()
		if msg == nil {
			code = c
			break
		}
		_ = p.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
		if err := p.conn.WriteMessage(websocket.TextMessage, append([]byte("Echo: "), msg...)); err != nil {
			break
		}
	}
	close(ended)
	<-keepaliveDone
	if code != 0 && !p.closing.Load() {
		p.close(code)
		p.drain()
	}
	p.conn.Close()
}

// keepalive pings the peer every pingPeriod until ended is closed. When the
// server shuts down it sends the close frame (1001) instead, and the reader
// ends once the peer answers or closeGracePeriod passes.
func (s *Server) keepalive(p *peer, ended <-chan struct{}) {
	ping := time.NewTicker(s.cfg.pingPeriod())
	defer ping.Stop()
	for {
		select {
		case <-ping.C:
			if err := p.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.cfg.WriteWait)); err != nil {
				// Unblock the reader; it sees the read fail.
				p.conn.Close()
				return
			}
		case <-s.stop:
			p.close(websocket.CloseGoingAway)
			return
		case <-ended:
			return
		}
	}
}
