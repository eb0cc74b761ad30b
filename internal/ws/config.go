package ws

import (
	"cmp"
	"fmt"
	"net/http"
	"time"
)

// Config holds the limits of a Hub. A zero field takes its default from
// DefaultConfig, so Config{} is a working configuration.
type Config struct {
	// MaxMessageBytes is the largest message a client may send. A larger
	// message closes that connection with 1009 (Message Too Big).
	// Optional. Default 4096.
	MaxMessageBytes int64

	// WriteWait bounds every write to a client and the opening handshake.
	// A client that accepts nothing for this long is disconnected.
	// Optional. Default 10s.
	WriteWait time.Duration

	// PongWait is how long a connection may stay silent before it is
	// considered dead. The hub pings every PongWait/2, so a healthy client
	// always answers in time and a dead peer is dropped within PongWait.
	// Optional. Default 60s.
	PongWait time.Duration

	// SendBuffer is how many messages may wait for one client. A chat client
	// whose buffer is full is disconnected with 1013 (Try Again Later) rather
	// than waited for, so no client can slow down the others.
	// Optional. Default 64.
	SendBuffer int

	// MaxConnections caps the open WebSocket connections, echo and chat
	// together. Connections beyond it get ErrTooManyConnections before the
	// upgrade. Optional. Default 10000.
	MaxConnections int

	// MaxConnectionsPerIP caps the open connections from one client
	// address, as the HTTP layer passes it. Connections beyond it get
	// ErrTooManyFromAddr before the upgrade, so one host cannot take every
	// slot. Optional. Default 256.
	MaxConnectionsPerIP int

	// MessageRate is how many messages per second one connection may send
	// on average, with bursts of MessageBurst. A connection that sends
	// faster is closed with 1008 (Policy Violation).
	// Optional. Default 10 per second, bursts of 20.
	MessageRate  float64
	MessageBurst int

	// BudgetWindow is the window over which MaxControlFrames, MaxFragments
	// and MaxBytes count what one connection sends: control frames (pings,
	// pongs, closes), fragments (frames carrying part of a message) and
	// bytes, frame headers included. A connection that sends more within a
	// window is closed with 1008 (Policy Violation), so no peer can keep the
	// server busy with frames that are not messages.
	// Optional. Default 10s, 50 control frames, 200 fragments, 1 MiB.
	BudgetWindow     time.Duration
	MaxControlFrames int
	MaxFragments     int
	MaxBytes         int64

	// History is how many chat lines are kept for clients that reconnect
	// with the id of the last one they saw (?last_id=), none older than
	// HistoryTTL. Without a broker each server keeps its own; with one, the
	// broker's log keeps them for every instance.
	// Optional. Default 100 lines, 10 minutes.
	History    int
	HistoryTTL time.Duration

	// AllowedOrigins lists the browser origins allowed to connect besides
	// the service's own host (a page it served is always allowed), each
	// written scheme://host[:port] and matched exactly (a default port may
	// be left out). Requests without an Origin header (curl, websocat) are
	// always allowed: the check exists to stop other web sites from using a
	// visitor's browser. Optional. Default: only the page's own host.
	AllowedOrigins []string

	// PublishTimeout bounds each call to the Broker but its reads of new
	// messages: an append (when it fails, the message is delivered to this
	// hub's clients directly), a replay, a write of the members.
	// Optional. Default 2s.
	PublishTimeout time.Duration

	// UpgradeError writes the response when the WebSocket handshake itself
	// fails (for example a bad Sec-WebSocket-Key), so the HTTP layer can
	// answer in its own format. Optional. Default: gorilla/websocket writes
	// a plain-text error.
	UpgradeError func(w http.ResponseWriter, r *http.Request, status int, reason error)
}

// DefaultConfig holds the defaults that NewHub fills into a zero Config field.
var DefaultConfig = Config{
	MaxMessageBytes: 4096,
	WriteWait:       10 * time.Second,
	PongWait:        60 * time.Second,
	SendBuffer:      64,
	MaxConnections:  10000,

	MaxConnectionsPerIP: 256,
	MessageRate:         10,
	MessageBurst:        20,
	BudgetWindow:        10 * time.Second,
	MaxControlFrames:    50,
	MaxFragments:        200,
	MaxBytes:            1 << 20,
	History:             100,
	HistoryTTL:          10 * time.Minute,
	PublishTimeout:      2 * time.Second,
}

// withDefaults returns cfg with every zero field set from DefaultConfig and
// reports the first field that is negative.
func (cfg Config) withDefaults() (Config, error) {
	for _, f := range []struct {
		name     string
		negative bool
	}{
		{"MaxMessageBytes", cfg.MaxMessageBytes < 0},
		{"WriteWait", cfg.WriteWait < 0},
		{"PongWait", cfg.PongWait < 0},
		{"SendBuffer", cfg.SendBuffer < 0},
		{"MaxConnections", cfg.MaxConnections < 0},
		{"MaxConnectionsPerIP", cfg.MaxConnectionsPerIP < 0},
		{"MessageRate", cfg.MessageRate < 0},
		{"MessageBurst", cfg.MessageBurst < 0},
		{"BudgetWindow", cfg.BudgetWindow < 0},
		{"MaxControlFrames", cfg.MaxControlFrames < 0},
		{"MaxFragments", cfg.MaxFragments < 0},
		{"MaxBytes", cfg.MaxBytes < 0},
		{"History", cfg.History < 0},
		{"HistoryTTL", cfg.HistoryTTL < 0},
		{"PublishTimeout", cfg.PublishTimeout < 0},
	} {
		if f.negative {
			return Config{}, fmt.Errorf("ws: config: %s must not be negative", f.name)
		}
	}
	d := DefaultConfig
	cfg.MaxMessageBytes = cmp.Or(cfg.MaxMessageBytes, d.MaxMessageBytes)
	cfg.WriteWait = cmp.Or(cfg.WriteWait, d.WriteWait)
	cfg.PongWait = cmp.Or(cfg.PongWait, d.PongWait)
	cfg.SendBuffer = cmp.Or(cfg.SendBuffer, d.SendBuffer)
	cfg.MaxConnections = cmp.Or(cfg.MaxConnections, d.MaxConnections)
	cfg.MaxConnectionsPerIP = cmp.Or(cfg.MaxConnectionsPerIP, d.MaxConnectionsPerIP)
	cfg.MessageRate = cmp.Or(cfg.MessageRate, d.MessageRate)
	cfg.MessageBurst = cmp.Or(cfg.MessageBurst, d.MessageBurst)
	cfg.BudgetWindow = cmp.Or(cfg.BudgetWindow, d.BudgetWindow)
	cfg.MaxControlFrames = cmp.Or(cfg.MaxControlFrames, d.MaxControlFrames)
	cfg.MaxFragments = cmp.Or(cfg.MaxFragments, d.MaxFragments)
	cfg.MaxBytes = cmp.Or(cfg.MaxBytes, d.MaxBytes)
	cfg.History = cmp.Or(cfg.History, d.History)
	cfg.HistoryTTL = cmp.Or(cfg.HistoryTTL, d.HistoryTTL)
	cfg.PublishTimeout = cmp.Or(cfg.PublishTimeout, d.PublishTimeout)
	return cfg, nil
}

// pingPeriod is how often the hub pings a client. It must be less than
// PongWait so that the pong of a healthy client arrives before the read
// deadline; half of PongWait leaves a busy client plenty of time to answer.
func (cfg Config) pingPeriod() time.Duration {
	return cfg.PongWait / 2
}

// budget is what one connection may send per BudgetWindow.
func (cfg Config) budget() budget {
	return budget{
		window:    cfg.BudgetWindow,
		control:   cfg.MaxControlFrames,
		fragments: cfg.MaxFragments,
		bytes:     cfg.MaxBytes,
	}
}
