package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/ws"
)

// WebSockets serves the WebSocket routes; *ws.Server satisfies it. Each
// method either upgrades the connection and returns nil, or returns one of
// ws's errors with nothing written. addr is the client's IP as Echo's
// IPExtractor gives it, which the per-address cap counts.
type WebSockets interface {
	ServeEcho(w http.ResponseWriter, r *http.Request, addr string) error
	ServeChat(w http.ResponseWriter, r *http.Request, addr string, req ws.ChatRequest) error
	Members(ctx context.Context) ([]string, error)
}

// wsRetryAfter is the Retry-After, in seconds, of a refused WebSocket: long
// enough for a connection slot to free up or another instance to take over.
const wsRetryAfter = 5

// handleEcho is the tutorial's /ws: each text message m is answered with
// "Echo: m".
func handleEcho(sockets WebSockets) echo.HandlerFunc {
	return func(c echo.Context) error {
		req, failed := withHandshakeFailure(c.Request())
		return upgradeResult(c, sockets.ServeEcho(c.Response(), req, c.RealIP()), failed)
	}
}

// handleChat is the tutorial's /chat: each text message m goes to everyone
// in the chat, on every instance, as "<name> said: m", where the name comes
// from ?name= (default "User"); ?format=json sends objects with ids, and
// ?last_id= resumes after one.
func handleChat(sockets WebSockets) echo.HandlerFunc {
	return func(c echo.Context) error {
		req, failed := withHandshakeFailure(c.Request())
		join := ws.ChatRequest{Name: c.QueryParam("name"), Format: c.QueryParam("format"), LastID: c.QueryParam("last_id")}
		return upgradeResult(c, sockets.ServeChat(c.Response(), req, c.RealIP(), join), failed)
	}
}

// handleChatMembers lists the names in the chat, on every instance.
func handleChatMembers(sockets WebSockets) echo.HandlerFunc {
	type response struct {
		Members []string `json:"members"`
	}
	return func(c echo.Context) error {
		names, err := sockets.Members(c.Request().Context())
		if errors.Is(err, ws.ErrShuttingDown) {
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(wsRetryAfter))
			return echo.NewHTTPError(http.StatusServiceUnavailable, "The service is shutting down. Try again in a moment.")
		}
		if errors.Is(err, ws.ErrBrokerUnavailable) {
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(wsRetryAfter))
			return echo.NewHTTPError(http.StatusServiceUnavailable, "The chat cannot reach the other instances. Try again in a moment.").SetInternal(err)
		}
		if err != nil {
			return fmt.Errorf("list chat members: %w", err)
		}
		return c.JSON(http.StatusOK, response{Members: names})
	}
}

// upgradeResult turns what ServeEcho or ServeChat returned into the route's
// result. Every refusal comes before the upgrade, so it is an error for
// HandleError to answer as problem+json.
func upgradeResult(c echo.Context, err error, failed *handshakeFailure) error {
	res := c.Response()
	switch {
	case err == nil:
		// The hub wrote 101 on the hijacked connection and owns it now.
		// Recording it here makes the request's log line say so.
		res.Status, res.Committed = http.StatusSwitchingProtocols, true
		return nil
	case errors.Is(err, ws.ErrHandshake):
		if failed.status == 0 {
			// The connection was hijacked, then failed: nobody to answer.
			clientGone(c)
			return nil
		}
		if failed.status == http.StatusBadRequest {
			return echo.NewHTTPError(http.StatusBadRequest,
				"The WebSocket handshake is malformed: it needs Sec-WebSocket-Version: 13 and a valid Sec-WebSocket-Key.")
		}
		if failed.status >= http.StatusInternalServerError {
			return fmt.Errorf("upgrade to websocket: %w", err)
		}
		return echo.NewHTTPError(failed.status)
	case errors.Is(err, ws.ErrNotWebSocket):
		return echo.NewHTTPError(http.StatusBadRequest,
			"This is a WebSocket endpoint: connect with a WebSocket client (GET with Connection: Upgrade and Upgrade: websocket).")
	case errors.Is(err, ws.ErrInvalidName):
		return &ValidationError{Errors: []FieldError{{Field: "name", Message: fmt.Sprintf(
			"must be at most %d letters, digits, spaces, '-', '_' or '.'", ws.MaxNameRunes)}}}
	case errors.Is(err, ws.ErrInvalidFormat):
		return &ValidationError{Errors: []FieldError{{Field: "format", Message: "must be text or json"}}}
	case errors.Is(err, ws.ErrInvalidLastID):
		return &ValidationError{Errors: []FieldError{{Field: "last_id", Message: "must be an id a chat message carried"}}}
	case errors.Is(err, ws.ErrOriginNotAllowed):
		return echo.NewHTTPError(http.StatusForbidden,
			"Pages from this origin may not open WebSocket connections to the service.")
	case errors.Is(err, ws.ErrTooManyFromAddr):
		res.Header().Set(echo.HeaderRetryAfter, strconv.Itoa(wsRetryAfter))
		return echo.NewHTTPError(http.StatusTooManyRequests,
			"Your address holds as many WebSocket connections as it may. Close one or try again later.")
	case errors.Is(err, ws.ErrTooManyConnections):
		res.Header().Set(echo.HeaderRetryAfter, strconv.Itoa(wsRetryAfter))
		return echo.NewHTTPError(http.StatusServiceUnavailable,
			"The service holds as many WebSocket connections as it may. Try again later.")
	case errors.Is(err, ws.ErrShuttingDown):
		res.Header().Set(echo.HeaderRetryAfter, strconv.Itoa(wsRetryAfter))
		return echo.NewHTTPError(http.StatusServiceUnavailable,
			"The service is shutting down. Reconnect in a moment.")
	}
	return fmt.Errorf("serve websocket: %w", err)
}

// handshakeFailure is where UpgradeError leaves the status of a failed
// handshake, for the route to return as an error.
type handshakeFailure struct{ status int }

type handshakeFailureKey struct{}

// withHandshakeFailure returns r carrying a handshakeFailure for
// UpgradeError to fill in.
func withHandshakeFailure(r *http.Request) (*http.Request, *handshakeFailure) {
	failed := &handshakeFailure{}
	return r.WithContext(context.WithValue(r.Context(), handshakeFailureKey{}, failed)), failed
}

// UpgradeError is the hub's ws.Config.UpgradeError. It answers nothing
// itself: it records the status, and the route returns it as an error, so a
// failed handshake is answered by HandleError and logged like every other
// error. A request that did not come through the routes here, which carries
// no record, gets a plain-text answer.
func UpgradeError(w http.ResponseWriter, r *http.Request, status int, _ error) {
	// RFC 6455, section 4.4: tell the client which version we speak.
	w.Header().Set("Sec-WebSocket-Version", "13")
	failed, ok := r.Context().Value(handshakeFailureKey{}).(*handshakeFailure)
	if !ok {
		http.Error(w, http.StatusText(status), status)
		return
	}
	failed.status = status
}
