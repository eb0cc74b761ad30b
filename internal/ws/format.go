package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// The formats a chat client may ask for with ?format=.
const (
	FormatText = "text" // each message a line: "<name> said: m" (the default)
	FormatJSON = "json" // each message a chatJSON object
)

// ErrInvalidFormat reports a ?format= other than text or json, and
// ErrInvalidLastID a ?last_id= too long to be an id. Both are the client's
// mistake (the HTTP layer answers 422).
var (
	ErrInvalidFormat = errors.New("ws: invalid format")
	ErrInvalidLastID = errors.New("ws: invalid last_id")
)

// maxIDLength bounds a last_id; the ids this package hands out are shorter.
const maxIDLength = 64

// missedText is the notice a client gets when it asks to resume after a
// line that is no longer kept (older than CHAT_HISTORY lines or
// CHAT_HISTORY_TTL, or from another instance): what follows is every line
// kept, and some before them were missed.
const missedText = "Some messages were missed."

// ChatRequest is what a client asks for when it joins the chat, from the
// query string.
type ChatRequest struct {
	Name   string // ?name=, checked by ParseName
	Format string // ?format=: FormatText (also when empty) or FormatJSON
	LastID string // ?last_id=: first replay the lines after this one
}

// chatJSON is a message in FormatJSON. A chat line has an ID, which a client
// passes as last_id when it reconnects; a notice (join, leave, missed) has
// none and no From.
type chatJSON struct {
	ID     string    `json:"id,omitempty"`
	From   string    `json:"from"`
	Text   string    `json:"text"`
	Time   time.Time `json:"time"`
	Missed bool      `json:"missed,omitempty"` // the missed notice
}

// frameJSON prepares m in FormatJSON, once for every client that gets it.
func frameJSON(m chatJSON) *websocket.PreparedMessage {
	data, err := json.Marshal(m)
	if err != nil {
		// A struct of strings, a time and a bool always marshals.
		panic(fmt.Sprintf("ws: encode chat message: %v", err))
	}
	return frameText(string(data))
}

// frameText prepares a text message, once for every client that gets it.
func frameText(text string) *websocket.PreparedMessage {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(text))
	if err != nil {
		// Framing an in-memory message without compression cannot fail.
		panic(fmt.Sprintf("ws: frame chat message: %v", err))
	}
	return pm
}
