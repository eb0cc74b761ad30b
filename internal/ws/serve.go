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
	ErrNotWebSocket       = errors.New("ws: not a websocket handshake") // 400
	ErrOriginNotAllowed   = errors.New("ws: origin not allowed")        // 403
	ErrTooManyConnections = errors.New("ws: too many connections")      // 503
	ErrShuttingDown       = errors.New("ws: shutting down")             // 503
)

// ErrHandshake wraps a failure of the WebSocket handshake itself. By then the
// Upgrader has answered through Config.UpgradeError, or the connection is
// gone, so the caller must not write a response; it may log the error.
var ErrHandshake = errors.New("ws: handshake failed")

// ServeEcho upgrades r to a WebSocket that answers each text message m with
// "Echo: m". It returns once the connection runs on its own goroutines. The
// 101 response carries the headers already set on w.
//
// Before the upgrade it returns ErrNotWebSocket, ErrOriginNotAllowed,
// ErrTooManyConnections or ErrShuttingDown with nothing written, and after a
// failed handshake an error wrapping ErrHandshake.
func (h *Hub) ServeEcho(w http.ResponseWriter, r *http.Request) error {
	return h.serve(w, r, "", false)
}

// ServeChat upgrades r to a chat connection: each text message m is sent to
// every chat client of every hub on the broker, this one included, as
// "<name> said: m". Everyone also sees "<name> joined" and "<name> left".
//
// name is the raw value the client asked for (?name=); ServeChat checks it
// with ParseName and returns ErrInvalidName (a 422 in the HTTP layer) before the upgrade. Its
// other errors are those of ServeEcho.
func (h *Hub) ServeChat(w http.ResponseWriter, r *http.Request, name string) error {
	name, err := ParseName(name)
	if err != nil {
		return err
	}
	return h.serve(w, r, name, true)
}

func (h *Hub) serve(w http.ResponseWriter, r *http.Request, name string, chat bool) error {
	if !websocket.IsWebSocketUpgrade(r) {
		return ErrNotWebSocket
	}
	if !h.origins.allows(r) {
		return ErrOriginNotAllowed
	}
	if err := h.admit(); err != nil {
		return err
	}

	// The 101 response carries the headers the HTTP layer has set on w
	// already, such as a request id.
	conn, err := h.upgrader.Upgrade(w, r, w.Header())
	if err != nil {
		h.release()
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	c := newClient(h, conn, name, chat)
	if !h.add(c) {
		// The hub stopped during the handshake.
		writeClose(conn, websocket.CloseGoingAway)
		conn.Close()
		h.release()
		return nil
	}
	// The writer starts before the join is announced, so the newcomer's
	// queue drains from the start and its own notice finds room (notices
	// are skipped for a half-full queue).
	go c.writePump()
	if chat {
		// Announced before the client's reader starts, so its own first
		// message cannot overtake the notice. Doing it on the handler's
		// goroutine also keeps the client's goroutine stacks small.
		h.publish(h.ctx, name+" joined", true)
	}
	// The connection lives on in new goroutines, so the request's memory can
	// be collected when the handler returns.
	go c.run()
	return nil
}

// admit reserves a connection slot, so the cap holds however many handshakes
// run at once. Every successful admit is paired with one release.
func (h *Hub) admit() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing.Load() {
		return ErrShuttingDown
	}
	if h.stats.connections.Load() >= int64(h.cfg.MaxConnections) {
		return ErrTooManyConnections
	}
	h.stats.connections.Add(1)
	h.conns.Add(1)
	return nil
}

// release frees the slot taken by admit.
func (h *Hub) release() {
	h.stats.connections.Add(-1)
	h.conns.Done()
}
