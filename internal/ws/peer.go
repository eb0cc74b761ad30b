package ws

import (
	"errors"
	"io"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// closeGracePeriod bounds each step of closing a connection: sending our
// close frame and waiting for the peer's close frame in reply.
const closeGracePeriod = time.Second

// peer is one WebSocket connection with the rules every client follows,
// echo or chat. Its reader goroutine calls next and drain; any goroutine may
// call close, since gorilla allows WriteControl beside other writes.
type peer struct {
	conn    *websocket.Conn
	metered *meteredConn
	limiter *rate.Limiter
	stats   *counters
	closing atomic.Bool // set once our close frame is on its way

	// peerClosed is set by next when the peer's close frame arrived.
	peerClosed bool
}

func newPeer(s *Server, conn *websocket.Conn, metered *meteredConn) *peer {
	p := &peer{
		conn:    conn,
		metered: metered,
		limiter: rate.NewLimiter(rate.Limit(s.cfg.MessageRate), s.cfg.MessageBurst),
		stats:   &s.stats,
	}
	pongWait := s.cfg.PongWait
	conn.SetReadLimit(s.cfg.MaxMessageBytes)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error {
		if p.closing.Load() {
			return nil // keep the short deadline close set
		}
		return conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	return p
}

// next returns the next text message. When there is none it returns the
// close code the server should send (0 when the connection is past one:
// it failed, the peer closed it, or gorilla already sent 1009).
func (p *peer) next() ([]byte, int) {
	typ, msg, err := p.conn.ReadMessage()
	switch {
	case errors.Is(err, errOverBudget) || p.metered.exceeded != "":
		p.stats.rateLimited.Add(1)
		return nil, websocket.ClosePolicyViolation
	case err != nil:
		var ce *websocket.CloseError
		p.peerClosed = errors.As(err, &ce)
		return nil, 0
	case !p.limiter.Allow():
		p.stats.rateLimited.Add(1)
		return nil, websocket.ClosePolicyViolation
	case typ != websocket.TextMessage:
		return nil, websocket.CloseUnsupportedData
	case !utf8.Valid(msg):
		// Browsers drop a connection that receives invalid UTF-8, so
		// relaying it would disconnect every chat client.
		return nil, websocket.CloseInvalidFramePayloadData
	}
	return msg, 0
}

// close sends a close frame with code, giving a peer that does not read
// closeGracePeriod, and gives the peer as long again to answer.
func (p *peer) close(code int) {
	p.closing.Store(true)
	reason := closeReason(code)
	if code == websocket.ClosePolicyViolation && p.metered.exceeded != "" {
		reason = p.metered.exceeded
	}
	frame := websocket.FormatCloseMessage(code, reason)
	_ = p.conn.WriteControl(websocket.CloseMessage, frame, time.Now().Add(closeGracePeriod))
	_ = p.conn.SetReadDeadline(time.Now().Add(closeGracePeriod))
}

// drain discards what the peer still sends until it answers our close frame
// or the deadline set by close passes, so the peer receives that frame
// instead of a connection reset.
func (p *peer) drain() {
	for {
		if _, _, err := p.conn.NextReader(); err != nil {
			break
		}
	}
	if p.metered.exceeded != "" {
		// gorilla reads no more from a connection over budget; the raw
		// bytes are discarded without being parsed.
		_, _ = io.Copy(io.Discard, p.metered.Conn)
	}
}

// closeReason is the text sent with a close code. It is shown to clients, so
// it names the rule, never an internal detail.
func closeReason(code int) string {
	switch code {
	case websocket.CloseNormalClosure:
		return ""
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
