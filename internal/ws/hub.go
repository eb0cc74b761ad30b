package ws

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// readBufferSize is the per-connection read buffer. Chat lines are short
	// and the buffer does not limit the message size, so a small buffer keeps
	// idle connections cheap.
	readBufferSize = 512

	// closeGracePeriod bounds each step of closing a connection: sending our
	// close frame, a write a dropped client is stuck in, and waiting for the
	// peer's close frame in reply.
	closeGracePeriod = time.Second
)

// Hub owns the WebSocket connections of one instance. Build it with NewHub
// and stop it with Shutdown. Its methods are safe for concurrent use.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	broker   Broker
	id       string // names this hub's messages on the broker
	origins  originPolicy
	upgrader websocket.Upgrader

	// Requests to the hub goroutine (run), the only one that reads or
	// changes the client sets.
	register   chan *client
	unregister chan leaving
	inbound    chan delivery
	stop       chan struct{} // closed by Shutdown
	stopped    chan struct{} // closed when run returns
	remaining  []*client     // the clients run ended on stop; read after <-stopped

	// ctx is canceled by Shutdown once the connections have ended; it bounds
	// publishes and the broker subscription, whose goroutine closes
	// subscribed when it returns.
	ctx        context.Context
	cancel     context.CancelFunc
	subscribed chan struct{}
	brokerUp   atomic.Bool
	seq        atomic.Uint64 // last sequence number given to a message of this hub

	// mu orders admitting a connection against Shutdown, so conns.Add never
	// races with conns.Wait.
	mu       sync.Mutex
	closing  atomic.Bool
	conns    sync.WaitGroup // one per admitted connection until its goroutines end
	stopOnce sync.Once

	stats counters
}

// leaving asks the hub to end a client; code is the close code its writer
// sends (0 for none).
type leaving struct {
	c    *client
	code int
}

// delivery is a chat message on its way to the clients, framed once for all.
type delivery struct {
	from   string
	seq    uint64
	msg    *websocket.PreparedMessage
	notice bool
}

// NewHub starts a hub with cfg (zero fields take DefaultConfig values) that
// relays chat messages through broker: NewMemoryBroker for a single instance,
// redisbroker.New for several. It reports an invalid cfg.
func NewHub(cfg Config, broker Broker, log *slog.Logger) (*Hub, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	origins, err := newOriginPolicy(cfg.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg:     cfg,
		log:     log,
		broker:  broker,
		id:      rand.Text(),
		origins: origins,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: cfg.WriteWait,
			ReadBufferSize:   readBufferSize,
			// We send prepared frames and control frames only, which need
			// no write buffer; a shared pool keeps gorilla from giving each
			// connection a 4 KiB buffer of its own.
			WriteBufferPool: &sync.Pool{},
			// Compression stays off: it costs CPU per message and its read
			// limit counts compressed bytes.
			EnableCompression: false,
			// The origin is checked before the upgrade (see serve), where
			// the HTTP layer can still answer 403 in its own format.
			CheckOrigin: func(*http.Request) bool { return true },
			Error:       cfg.UpgradeError,
		},
		register:   make(chan *client),
		unregister: make(chan leaving),
		inbound:    make(chan delivery),
		stop:       make(chan struct{}),
		stopped:    make(chan struct{}),
		ctx:        ctx,
		cancel:     cancel,
		subscribed: make(chan struct{}),
	}
	go h.run()
	go h.subscribe()
	return h, nil
}

// run owns the client sets. It hands each chat message to every chat client
// without ever blocking on one, so the cost of a broadcast does not depend on
// the slowest client.
func (h *Hub) run() {
	defer close(h.stopped)
	chat := make(map[*client]struct{})
	echo := make(map[*client]struct{})
	setOf := func(c *client) map[*client]struct{} {
		if c.chat {
			return chat
		}
		return echo
	}
	var own seenWindow

	for {
		select {
		case c := <-h.register:
			setOf(c)[c] = struct{}{}

		case l := <-h.unregister:
			// A dropped client is no longer in its set and has been ended.
			if _, ok := setOf(l.c)[l.c]; ok {
				delete(setOf(l.c), l.c)
				l.c.end(l.code)
			}

		case d := <-h.inbound:
			if d.from == h.id && !own.firstTime(d.seq) {
				continue
			}
			h.stats.messages.Add(1)
			var delivered int64
			for c := range chat {
				// Join and leave notices are best-effort: a client gets one
				// only while its queue is under half full. When many clients
				// join at once (a restarted instance's clients coming back)
				// the notices come N times N; queued like chat lines they
				// would fill every queue and drop healthy readers as slow,
				// who would come back and join again.
				if d.notice && 2*len(c.send) >= cap(c.send) {
					h.stats.skippedNotices.Add(1)
					continue
				}
				select {
				case c.send <- d.msg:
					delivered++
				default:
					delete(chat, c)
					c.endNow(websocket.CloseTryAgainLater)
					h.stats.dropped.Add(1)
				}
			}
			h.stats.deliveries.Add(delivered)

		case <-h.stop:
			for _, set := range []map[*client]struct{}{chat, echo} {
				for c := range set {
					c.endNow(websocket.CloseGoingAway)
					h.remaining = append(h.remaining, c)
				}
			}
			return
		}
	}
}

// add hands c to the hub goroutine. It reports false when the hub has
// stopped, in which case c was not added.
func (h *Hub) add(c *client) bool {
	select {
	case h.register <- c:
		return true
	case <-h.stopped:
		return false
	}
}

// leave asks the hub to end c with the close code (0 for none). When it
// returns, c has been ended, now or earlier (dropped or stopped).
func (h *Hub) leave(c *client, code int) {
	select {
	case h.unregister <- leaving{c, code}:
	case <-h.stopped:
	}
}

// Shutdown stops accepting connections, closes every connection with 1001
// (Going Away) and waits until all of the hub's goroutines have returned. When
// ctx ends first it closes the remaining connections abruptly, waits for the
// goroutines and returns ctx's error. http.Server.Shutdown does not do this:
// it does not track hijacked connections. Calling Shutdown again waits the same
// way.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.stopOnce.Do(func() {
		h.mu.Lock()
		h.closing.Store(true)
		h.mu.Unlock()
		close(h.stop)
	})
	<-h.stopped

	ended := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(ended)
	}()
	var err error
	select {
	case <-ended:
	case <-ctx.Done():
		err = fmt.Errorf("ws: shutdown: %w", ctx.Err())
		h.cancel() // give up on leave notices still being published
		for _, c := range h.remaining {
			c.conn.Close()
		}
		<-ended
	}
	// The broker stays subscribed until the connections have ended, so the
	// other instances still learn who left.
	h.cancel()
	<-h.subscribed
	return err
}

// Stats is a snapshot of the hub's counters, for metrics.
type Stats struct {
	Connections int64 // open connections, echo and chat, handshakes included
	Messages    int64 // chat messages fanned out to this hub's clients
	Deliveries  int64 // chat messages queued to a client
	Dropped     int64 // chat clients disconnected for falling SendBuffer messages behind
	// SkippedNotices counts join and leave notices not queued for a client
	// whose queue was half full.
	SkippedNotices int64
	RateLimited    int64 // connections closed for sending faster than MessageRate
}

// counters are the live values behind Stats.
type counters struct {
	connections, messages, deliveries, dropped, rateLimited, skippedNotices atomic.Int64
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	return Stats{
		Connections: h.stats.connections.Load(),
		Messages:    h.stats.messages.Load(),
		Deliveries:  h.stats.deliveries.Load(),
		Dropped:     h.stats.dropped.Load(),
		RateLimited: h.stats.rateLimited.Load(),

		SkippedNotices: h.stats.skippedNotices.Load(),
	}
}
