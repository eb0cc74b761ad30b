package ws

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// readBufferSize is the per-connection read buffer. Chat lines are short and
// the buffer does not limit the message size, so a small buffer keeps idle
// connections cheap.
const readBufferSize = 512

// writeBufferSize is the size of the pooled write buffers: an echo reply
// of a short line fits.
const writeBufferSize = 512

// Server serves the echo and chat endpoints of one instance. Build it with
// NewServer and stop it with Shutdown. Its methods are safe for concurrent
// use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	origins  originPolicy
	upgrader websocket.Upgrader
	conns    *conns
	hub      *hub

	stop     chan struct{} // closed by Shutdown: every connection closes with 1001
	stopOnce sync.Once

	// broker carries chat between instances; nil for a single instance,
	// whose messages go straight to the hub. ctx bounds the calls to it and
	// the goroutines that read its log (tail) and write this instance's
	// members to it (advertise), which close tailDone and advertised when
	// they return.
	broker     Broker
	id         string
	seq        atomic.Uint64 // last sequence number given to a message of this server
	lines      atomic.Uint64 // last number in the ids of this server's chat lines, without a broker
	brokerUp   atomic.Bool
	ctx        context.Context
	cancel     context.CancelFunc
	tailDone   chan struct{}
	advertised chan struct{}

	stats counters
}

// NewServer starts a server with cfg (zero fields take DefaultConfig
// values). broker is nil for a single instance; with redisbroker.New the
// clients of every instance chat together, and resume on any of them. It
// reports an invalid cfg.
func NewServer(cfg Config, broker Broker, log *slog.Logger) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	origins, err := newOriginPolicy(cfg.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:     cfg,
		log:     log,
		origins: origins,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: cfg.WriteWait,
			ReadBufferSize:   readBufferSize,
			// A shared pool lends a write buffer for each message instead of
			// giving every connection a 4 KiB buffer of its own. The buffer
			// does not limit the message size (gorilla writes the rest
			// straight from the message), and a small one is cheap to
			// allocate again after a garbage collection empties the pool.
			WriteBufferPool: &sync.Pool{},
			WriteBufferSize: writeBufferSize,
			// Compression stays off: it costs CPU per message and its read
			// limit counts compressed bytes.
			EnableCompression: false,
			// The origin is checked before the upgrade (see upgrade), where
			// the HTTP layer can still answer 403 in its own format.
			CheckOrigin: func(*http.Request) bool { return true },
			Error:       cfg.UpgradeError,
		},
		conns:      newConns(cfg.MaxConnections, cfg.MaxConnectionsPerIP),
		stop:       make(chan struct{}),
		broker:     broker,
		id:         rand.Text(),
		ctx:        ctx,
		cancel:     cancel,
		tailDone:   make(chan struct{}),
		advertised: make(chan struct{}),
	}
	hist := history{size: cfg.History, ttl: cfg.HistoryTTL}
	if broker != nil {
		hist.size = 0 // the broker's log keeps the history
	}
	s.hub = newHub(&s.stats, hist, broker != nil, s.stop)
	go s.hub.run()
	if broker != nil {
		go s.tail()
		go s.advertise()
	} else {
		close(s.tailDone)
		close(s.advertised)
	}
	return s, nil
}

// Shutdown stops accepting connections, closes every connection with 1001
// (Going Away) and waits until all of the server's goroutines have returned.
// When ctx ends first it closes the remaining connections abruptly, waits
// for their goroutines and returns ctx's error. http.Server.Shutdown does
// not do this: it does not track hijacked connections. Calling Shutdown
// again waits the same way.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.conns.close()
		close(s.stop)
	})
	<-s.hub.done
	var err error
	if werr := s.conns.wait(ctx); werr != nil {
		err = fmt.Errorf("ws: shutdown: %w", werr)
	}
	// The broker is used until the connections have ended, so the other
	// instances still learn who left.
	s.cancel()
	<-s.tailDone
	<-s.advertised
	return err
}

// Stats is a snapshot of the server's counters, for metrics.
type Stats struct {
	Connections int64 // open connections, echo and chat, handshakes included
	Messages    int64 // chat messages fanned out to this server's clients
	Deliveries  int64 // chat messages queued to a client
	Dropped     int64 // chat clients disconnected for falling SendBuffer messages behind
	// SkippedNotices counts join and leave notices not queued for a client
	// whose queue was half full.
	SkippedNotices int64
	// RateLimited counts connections closed with 1008 for sending faster
	// than MessageRate or more than their budget (MaxControlFrames,
	// MaxFragments, MaxBytes).
	RateLimited int64
}

// counters are the live values behind Stats.
type counters struct {
	messages, deliveries, dropped, rateLimited, skippedNotices atomic.Int64
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	return Stats{
		Connections: int64(s.conns.count()),
		Messages:    s.stats.messages.Load(),
		Deliveries:  s.stats.deliveries.Load(),
		Dropped:     s.stats.dropped.Load(),
		RateLimited: s.stats.rateLimited.Load(),

		SkippedNotices: s.stats.skippedNotices.Load(),
	}
}
