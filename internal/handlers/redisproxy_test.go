package handlers

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// cutGrace is how long Cut lets replies to commands already forwarded reach
// the client before it closes the connections: a Redis on loopback answers
// in well under this.
const cutGrace = 200 * time.Millisecond

// cutProxy forwards TCP connections to a Redis until Cut makes that Redis
// unreachable, and Restore brings it back. A cut leaves no command in
// doubt: a command either reaches Redis and its reply reaches the client,
// or it never reaches Redis. That lets a test tell a 503 whose job was
// stored (which a real outage can cause, see package redisqueue) from one
// that is a bug.
type cutProxy struct {
	ln      net.Listener
	backend string
	wg      sync.WaitGroup // the accept loop and two per connection

	// mu is held for reading while a chunk is forwarded to Redis, so that
	// once Cut holds it for writing nothing more reaches Redis.
	mu    sync.RWMutex
	cut   bool
	conns []net.Conn // both ends of every forwarded connection
}

// newCutProxy returns a proxy to backend on a free loopback port, closed
// when the test ends.
func newCutProxy(t testing.TB, backend string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, backend: backend}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = ln.Close()
		p.closeConns()
		p.wg.Wait()
	})
	return p
}

// Addr is the address clients dial instead of Redis's.
func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", p.backend)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			// Redis is "down": the client sees its connection closed at once.
			p.mu.Unlock()
			_ = client.Close()
			_ = server.Close()
			continue
		}
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()

		p.wg.Go(func() { p.forward(server, client) })
		p.wg.Go(func() {
			_, _ = io.Copy(client, server) // replies always get through
			_ = client.Close()
		})
	}
}

// forward copies commands from client to server until the connection ends
// or the proxy is cut; a chunk read after the cut is dropped.
func (p *cutProxy) forward(server, client net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			p.mu.RLock()
			cut := p.cut
			if !cut {
				_, err = server.Write(buf[:n])
			}
			p.mu.RUnlock()
			if cut {
				return
			}
		}
		if err != nil {
			_ = server.Close()
			return
		}
	}
}

// Cut stops forwarding commands, lets the replies in flight through for
// cutGrace, then closes every connection. New ones are closed at once until
// Restore.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
	time.Sleep(cutGrace)
	p.closeConns()
}

// Restore lets connections through again.
func (p *cutProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

func (p *cutProxy) closeConns() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}
