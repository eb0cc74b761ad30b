package ws_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

func TestServeEcho(t *testing.T) {
	url := newServer(t, newHub(t, ws.Config{}, nil))
	conn := dial(t, url+"/ws", nil)

	for _, m := range []string{"hello", "", "héllo <b>wörld</b>"} {
		send(t, conn, m)
		expect(t, conn, "Echo: "+m)
	}
}

func TestServeOrigin(t *testing.T) {
	hub := newHub(t, ws.Config{AllowedOrigins: []string{"http://localhost:8080"}}, nil)
	url := newServer(t, hub)
	ownOrigin := "http" + strings.TrimPrefix(url, "ws")

	tests := []struct {
		name   string
		origin string // "" sends no Origin header
		want   int
	}{
		{"NoOrigin", "", http.StatusSwitchingProtocols},
		{"OwnHost", ownOrigin, http.StatusSwitchingProtocols},
		{"Allowed", "http://localhost:8080", http.StatusSwitchingProtocols},
		{"AllowedDifferentCase", "HTTP://LOCALHOST:8080", http.StatusSwitchingProtocols},
		{"Foreign", "http://evil.example", http.StatusForbidden},
		{"LookAlikeHost", "http://localhost:8080.evil.example", http.StatusForbidden},
		{"OtherPort", "http://localhost:8081", http.StatusForbidden},
		{"HTTPSTwin", "https://localhost:8080", http.StatusForbidden},
		{"Null", "null", http.StatusForbidden},
	}
	for _, tt := range tests {
		for _, path := range []string{"/ws", "/chat"} {
			t.Run(tt.name+path, func(t *testing.T) {
				header := http.Header{}
				if tt.origin != "" {
					header.Set("Origin", tt.origin)
				}
				if got := dialStatus(t, url+path, header); got != tt.want {
					t.Errorf("got status %d, want %d", got, tt.want)
				}
			})
		}
	}
}

// TestServeRejectsBeforeUpgrade calls the hub directly to show that a refused
// request leaves the response untouched for the HTTP layer to write.
func TestServeRejectsBeforeUpgrade(t *testing.T) {
	hub := newHub(t, ws.Config{AllowedOrigins: []string{"https://app.example"}}, nil)

	upgrade := func(origin string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/chat", nil)
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		r.Header.Set("Origin", origin)
		return r
	}
	tests := []struct {
		name string
		req  *http.Request
		chat string // when set, ServeChat is called with this name
		want error
	}{
		{name: "PlainGET", req: httptest.NewRequest(http.MethodGet, "/ws", nil), want: ws.ErrNotWebSocket},
		{name: "ForeignOrigin", req: upgrade("https://evil.example"), want: ws.ErrOriginNotAllowed},
		{name: "InvalidName", req: upgrade("https://app.example"), chat: "<script>", want: ws.ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			var err error
			if tt.chat != "" {
				err = hub.ServeChat(rec, tt.req, "192.0.2.1", ws.ChatRequest{Name: tt.chat})
			} else {
				err = hub.ServeEcho(rec, tt.req, "192.0.2.1")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
			if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
				t.Errorf("response was written: headers %v, body %q", rec.Header(), rec.Body)
			}
		})
	}
	if got := hub.Stats().Connections; got != 0 {
		t.Errorf("got %d connections after refusals, want 0", got)
	}
}

func TestServeConnectionCap(t *testing.T) {
	hub := newHub(t, ws.Config{MaxConnections: 2}, nil)
	url := newServer(t, hub)

	first := dial(t, url+"/ws", nil)
	dial(t, url+"/chat", nil)
	if got, want := dialStatus(t, url+"/ws", nil), http.StatusServiceUnavailable; got != want {
		t.Fatalf("third connection: got status %d, want %d", got, want)
	}

	// A closed connection frees its slot.
	first.Close()
	eventually(t, "the slot to be released", func() bool { return hub.Stats().Connections < 2 })
	if got, want := dialStatus(t, url+"/ws", nil), http.StatusSwitchingProtocols; got != want {
		t.Errorf("after a close: got status %d, want %d", got, want)
	}
}

func TestServeHandshakeError(t *testing.T) {
	var gotStatus int
	hub := newHub(t, ws.Config{
		UpgradeError: func(w http.ResponseWriter, _ *http.Request, status int, _ error) {
			gotStatus = status
			http.Error(w, "problem", status)
		},
	}, nil)

	// Upgrade headers are present but the version is wrong, so the handshake
	// fails inside gorilla and the hook answers.
	r := httptest.NewRequest(http.MethodGet, "/ws", nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "8")
	rec := httptest.NewRecorder()

	err := hub.ServeEcho(rec, r, "192.0.2.1")
	if !errors.Is(err, ws.ErrHandshake) {
		t.Fatalf("got error %v, want ErrHandshake", err)
	}
	if gotStatus != http.StatusBadRequest || rec.Code != http.StatusBadRequest {
		t.Errorf("hook got status %d and wrote %d, want %d", gotStatus, rec.Code, http.StatusBadRequest)
	}
	if got := hub.Stats().Connections; got != 0 {
		t.Errorf("got %d connections after a failed handshake, want 0", got)
	}
}

func TestServeBadMessages(t *testing.T) {
	hub := newHub(t, ws.Config{}, nil)
	url := newServer(t, hub)

	tests := []struct {
		name string
		typ  int
		data []byte
		want int
	}{
		{"TooBig", websocket.TextMessage, make([]byte, 4097), websocket.CloseMessageTooBig},
		{"Binary", websocket.BinaryMessage, []byte("x"), websocket.CloseUnsupportedData},
		{"InvalidUTF8", websocket.TextMessage, []byte{0xff, 0xfe}, websocket.CloseInvalidFramePayloadData},
	}
	for _, tt := range tests {
		for _, path := range []string{"/ws", "/chat"} {
			t.Run(tt.name+path, func(t *testing.T) {
				bystander := dial(t, url+"/ws", nil)
				conn := dial(t, url+path, nil)
				if err := conn.WriteMessage(tt.typ, tt.data); err != nil {
					t.Fatalf("send: %v", err)
				}
				expectClose(t, conn, tt.want)
				// The peer answered the close frame (gorilla does as it
				// reads it), so the server frees the connection at once
				// rather than at the end of its close grace period (1 s).
				start := time.Now()
				eventually(t, "the connection to end", func() bool { return hub.Stats().Connections == 1 })
				if took := time.Since(start); took > 500*time.Millisecond {
					t.Errorf("the connection ended %v after the peer answered its close frame, want at once", took)
				}

				// The server keeps serving, old connections and new.
				send(t, bystander, "still there")
				expect(t, bystander, "Echo: still there")
				fresh := dial(t, url+"/ws", nil)
				send(t, fresh, "new")
				expect(t, fresh, "Echo: new")
			})
		}
	}
}
