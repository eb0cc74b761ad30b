package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// feature:websockets begin

// stallerReceiveBuffer is the socket receive buffer of a chat client that
// stops reading. Kept small, it fills within the run, so the server's
// handling of a client that cannot keep up is put to work.
const stallerReceiveBuffer = 4 << 10

// feature:websockets end

// loopbackDialer dials like net.Dialer but refuses any address that is not
// on this machine: the soak sends traffic to 127.0.0.1 only.
type loopbackDialer struct {
	net.Dialer
}

func (d *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("refusing to send traffic to %s: loopback only", host)
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// newHTTPClient returns the client every HTTP request of the soak goes
// through.
func newHTTPClient() (*http.Client, *http.Transport) {
	d := &loopbackDialer{Dialer: net.Dialer{Timeout: 5 * time.Second}}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{Transport: &manyClients{next: tr}, Timeout: requestTimeout}, tr
}

// manyClients sends each request as if from a client of its own behind a
// load balancer: the service trusts 127.0.0.1 as its proxy (see
// serviceEnv), and each request's X-Forwarded-For names the next address
// of 198.18.0.0/15, the benchmarking range. The soak's load stands for many
// people, so the service's limits per client address keep their defaults
// and stay out of its way.
type manyClients struct {
	next http.RoundTripper
	n    atomic.Uint32
}

func (m *manyClients) RoundTrip(req *http.Request) (*http.Response, error) {
	n := m.n.Add(1) % (1 << 17)
	req = req.Clone(req.Context())
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.%d.%d.%d", 18+n>>16, n>>8&0xff, n&0xff))
	return m.next.RoundTrip(req)
}

// feature:websockets begin

// newWebSocketDialers returns the dialer of well-behaved WebSocket clients,
// and the one of clients that will stop reading, with a small receive
// buffer.
func newWebSocketDialers() (normal, staller *websocket.Dialer) {
	d := &loopbackDialer{Dialer: net.Dialer{Timeout: 5 * time.Second}}
	small := &loopbackDialer{Dialer: net.Dialer{
		Timeout: 5 * time.Second,
		// Set before connecting, so that the window the kernel offers the
		// server is small from the start.
		Control: func(_, _ string, c syscall.RawConn) error {
			var setErr error
			err := c.Control(func(fd uintptr) {
				//nolint:gosec // a socket descriptor fits an int
				setErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, stallerReceiveBuffer)
			})
			return errors.Join(err, setErr)
		},
	}}
	return &websocket.Dialer{NetDialContext: d.DialContext, HandshakeTimeout: 10 * time.Second},
		&websocket.Dialer{NetDialContext: small.DialContext, HandshakeTimeout: 10 * time.Second}
}

// feature:websockets end
