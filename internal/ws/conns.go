package ws

import (
	"context"
	"sync"

	"github.com/gorilla/websocket"
)

// conns counts the open connections, in all and per client address, so the
// caps hold however many handshakes run at once, and lets Shutdown wait for
// the connections to end or close what is left.
type conns struct {
	max, maxPerAddr int

	mu      sync.Mutex
	open    map[*slot]struct{}
	perAddr map[string]int
	closing bool
	idle    chan struct{} // closed once closing and no slot is left
}

// slot is one admitted connection, from before its handshake until it ends.
type slot struct {
	addr string
	conn *websocket.Conn // nil until the handshake succeeds
}

func newConns(maxConns, maxPerAddr int) *conns {
	return &conns{
		max:        maxConns,
		maxPerAddr: maxPerAddr,
		open:       make(map[*slot]struct{}),
		perAddr:    make(map[string]int),
		idle:       make(chan struct{}),
	}
}

// admit reserves a slot for a connection from addr. Every slot it returns is
// given back with release.
func (cs *conns) admit(addr string) (*slot, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closing {
		return nil, ErrShuttingDown
	}
	if len(cs.open) >= cs.max {
		return nil, ErrTooManyConnections
	}
	if cs.perAddr[addr] >= cs.maxPerAddr {
		return nil, ErrTooManyFromAddr
	}
	s := &slot{addr: addr}
	cs.open[s] = struct{}{}
	cs.perAddr[addr]++
	return s, nil
}

// hold records the connection s was admitted for, for closeAll.
func (cs *conns) hold(s *slot, conn *websocket.Conn) {
	cs.mu.Lock()
	s.conn = conn
	cs.mu.Unlock()
}

func (cs *conns) release(s *slot) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.open, s)
	if cs.perAddr[s.addr]--; cs.perAddr[s.addr] == 0 {
		delete(cs.perAddr, s.addr)
	}
	if cs.closing && len(cs.open) == 0 {
		close(cs.idle)
	}
}

// close refuses new connections from now on. Only Shutdown calls it, once.
func (cs *conns) close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closing = true
	if len(cs.open) == 0 {
		close(cs.idle)
	}
}

// wait returns when every connection has ended after close, or with ctx's
// error, after closing the connections still open abruptly.
func (cs *conns) wait(ctx context.Context) error {
	select {
	case <-cs.idle:
		return nil
	case <-ctx.Done():
	}
	cs.mu.Lock()
	for s := range cs.open {
		if s.conn != nil {
			s.conn.Close()
		}
	}
	cs.mu.Unlock()
	<-cs.idle
	return ctx.Err()
}

// count returns the number of open connections, handshakes included.
func (cs *conns) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.open)
}
