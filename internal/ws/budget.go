package ws

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// errOverBudget is what a meteredConn's Read returns once the peer has sent
// more than its budget allows; the connection is then closed with 1008.
var errOverBudget = errors.New("ws: peer over budget")

// budget is what one peer may send per window, frame headers included.
// Messages are limited separately, by MessageRate.
type budget struct {
	window    time.Duration
	control   int   // control frames: pings, pongs and closes
	fragments int   // data frames that carry part of a message
	bytes     int64 // everything read from the connection
}

// meteredConn counts the WebSocket frames and bytes a peer sends, parsing
// frame headers as the bytes go by. It exists because gorilla answers pings
// and skips empty continuation frames inside a single read, out of the
// caller's sight: only the byte stream shows every frame. Only the
// connection's reader goroutine calls Read.
type meteredConn struct {
	net.Conn
	budget budget

	start                time.Time // of the current window
	control, fragments   int
	bytes                int64
	exceeded             string // what went over budget; empty while within it
	header               [14]byte
	headerLen, remaining uint64 // bytes of the frame header read; payload bytes still to skip
}

func (m *meteredConn) Read(p []byte) (int, error) {
	if m.exceeded != "" {
		return 0, errOverBudget
	}
	n, err := m.Conn.Read(p)
	if n == 0 {
		return n, err
	}
	if now := time.Now(); now.Sub(m.start) >= m.budget.window {
		m.start, m.control, m.fragments, m.bytes = now, 0, 0, 0
	}
	m.bytes += int64(n)
	m.scan(p[:n])
	if m.exceeded = m.over(); m.exceeded != "" {
		return 0, errOverBudget
	}
	return n, err
}

// over names what the peer has sent more of than its budget allows in
// this window; empty while it is within.
func (m *meteredConn) over() string {
	if m.control > m.budget.control {
		return "too many control frames"
	}
	if m.fragments > m.budget.fragments {
		return "too many fragments"
	}
	if m.bytes > m.budget.bytes {
		return "too many bytes"
	}
	return ""
}

// scan counts the frames whose headers end in b. Payloads are skipped.
func (m *meteredConn) scan(b []byte) {
	for len(b) > 0 {
		if m.remaining > 0 {
			k := min(m.remaining, uint64(len(b)))
			m.remaining -= k
			b = b[k:]
			continue
		}
		m.header[m.headerLen] = b[0]
		m.headerLen++
		b = b[1:]
		if m.headerLen < frameHeaderLen(m.header[:m.headerLen]) {
			continue
		}
		m.frame()
	}
}

// frameHeaderLen is the length of the frame header that starts with h, as
// far as h tells it (RFC 6455, section 5.2).
func frameHeaderLen(h []byte) uint64 {
	if len(h) < 2 {
		return 2
	}
	n := uint64(2)
	switch h[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h[1]&0x80 != 0 { // masked, as every client frame is
		n += 4
	}
	return n
}

// frame counts the frame whose header is complete and sets up skipping its
// payload.
func (m *meteredConn) frame() {
	h := m.header[:m.headerLen]
	final, opcode := h[0]&0x80 != 0, h[0]&0x0f
	length := uint64(h[1] & 0x7f)
	switch length {
	case 126:
		length = uint64(h[2])<<8 | uint64(h[3])
	case 127:
		length = 0
		for _, b := range h[2:10] {
			length = length<<8 | uint64(b)
		}
	}
	switch {
	case opcode >= 8:
		m.control++
	case opcode == 0 || !final:
		m.fragments++
	}
	m.headerLen, m.remaining = 0, length
}

// meteringWriter hands gorilla's Upgrader a meteredConn in place of the
// hijacked connection, so every byte the peer sends after the handshake is
// counted.
type meteringWriter struct {
	http.ResponseWriter
	budget budget
	conn   *meteredConn // set by Hijack
}

func (w *meteringWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("ws: hijack: %w", err)
	}
	w.conn = &meteredConn{Conn: conn, budget: w.budget, start: time.Now()}
	return w.conn, brw, nil
}
