package ws

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/websocket"
)

// Errors returned before the upgrade, when nothing has been written yet, so
// the HTTP layer answers them. The status each calls for is noted.
var (
	ErrNotWebSocket       = errors.New("ws: not a websocket handshake")             // 400
	ErrOriginNotAllowed   = errors.New("ws: origin not allowed")                    // 403
	ErrTooManyFromAddr    = errors.New("ws: too many connections from one address") // 429
	ErrTooManyConnections = errors.New("ws: too many connections")                  // 503
	ErrShuttingDown       = errors.New("ws: shutting down")                         // 503
)

// ErrHandshake wraps a failure of the WebSocket handshake itself. By then the
// Upgrader has answered through Config.UpgradeError, or the connection is
// gone, so the caller must not write a response; it may log the error.
var ErrHandshake = errors.New("ws: handshake failed")

// ServeEcho upgrades r to a WebSocket that answers each text message m with
// "Echo: m". addr is the client's address as the HTTP layer sees it (behind
// a proxy, the forwarded one); MaxConnectionsPerIP counts per addr. It
// returns once the connection runs on its own goroutines. The 101 response
// carries the headers already set on w.
//
// Before the upgrade it returns ErrNotWebSocket, ErrOriginNotAllowed,
// ErrTooManyFromAddr, ErrTooManyConnections or ErrShuttingDown with nothing
// written, and after a failed handshake an error wrapping ErrHandshake.
func (s *Server) ServeEcho(w http.ResponseWriter, r *http.Request, addr string) error {
	p, sl, err := s.upgrade(w, r, addr)
	if err != nil {
		return err
	}
	// The connection lives on in new goroutines, so the request's memory can
	// be collected when the handler returns.
	go s.runEcho(p, sl)
	return nil
}

// ServeChat upgrades r to a chat connection: each text message m is sent to
// every chat client, on every instance when there is a broker, as
// "<name> said: m" (or a chatJSON object with FormatJSON). Everyone also
// sees "<name> joined" and "<name> left". A client that gives the id of the
// last line it saw (req.LastID) first gets the lines kept since, from any
// instance's log when there is a broker, then the live ones.
//
// req holds the raw values the client asked for; ServeChat checks them and
// returns ErrInvalidName, ErrInvalidFormat or ErrInvalidLastID (a 422 in the
// HTTP layer) before the upgrade. Its other errors and addr are those of
// ServeEcho.
func (s *Server) ServeChat(w http.ResponseWriter, r *http.Request, addr string, req ChatRequest) error {
	name, err := ParseName(req.Name)
	if err != nil {
		return err
	}
	req.Name = name
	switch req.Format {
	case "", FormatText, FormatJSON:
	default:
		return ErrInvalidFormat
	}
	if len(req.LastID) > maxIDLength {
		return ErrInvalidLastID
	}
	p, sl, err := s.upgrade(w, r, addr)
	if err != nil {
		return err
	}
	c := newClient(s, p, req)
	if !s.hub.add(c) {
		// The hub stopped during the handshake.
		p.close(websocket.CloseGoingAway)
		p.conn.Close()
		s.conns.release(sl)
		return nil
	}
	// The writer starts before the join is announced, so the newcomer's
	// queue drains from the start and its own notice finds room (notices
	// are skipped for a half-full queue).
	go c.writePump(s)
	if c.pending {
		s.fetchReplay(c)
	}
	// Announced before the client's reader starts, so its own first message
	// cannot overtake the notice.
	s.publish(s.ctx, "", name+" joined", true)
	go c.readPump(s, sl)
	return nil
}

// upgrade checks r, takes a connection slot for addr and completes the
// handshake on a metered connection. On success the caller owns the slot.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, addr string) (*peer, *slot, error) {
	if !websocket.IsWebSocketUpgrade(r) {
		return nil, nil, ErrNotWebSocket
	}
	if !s.origins.allows(r) {
		return nil, nil, ErrOriginNotAllowed
	}
	sl, err := s.conns.admit(addr)
	if err != nil {
		return nil, nil, err
	}
	mw := &meteringWriter{ResponseWriter: w, budget: s.cfg.budget()}
	// The 101 response carries the headers the HTTP layer has set on w
	// already, such as a request id.
	conn, err := s.upgrader.Upgrade(mw, r, w.Header())
	if err != nil {
		s.conns.release(sl)
		return nil, nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	s.conns.hold(sl, conn)
	return newPeer(s, conn, mw.conn), sl, nil
}
