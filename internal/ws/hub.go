package ws

import (
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// hub is gorilla's chat hub with a stop: its goroutine (run) owns the set of
// chat clients, and every change reaches it over a channel.
type hub struct {
	stats   *counters
	history history

	register   chan *client
	unregister chan leaving
	broadcast  chan message
	resumed    chan replay        // with a broker: the replay of a pending client
	members    chan chan []string // each asks for the names in the chat
	// changed, with a broker, says that a client came or went, so the
	// names this instance records there are written again; nil without.
	changed chan struct{}
	stop    <-chan struct{} // closed by Server.Shutdown
	done    chan struct{}   // closed when run returns
}

// leaving asks the hub to end a client with a close code.
type leaving struct {
	c    *client
	code int
}

// message is a chat line or notice on its way to the clients, framed once
// for all in each format.
type message struct {
	from       string // id of the server that published it; empty without a broker
	seq        uint64
	id         string // the chat line's id; empty for a notice
	pos        logPos // with a broker, id's position in the log
	time       time.Time
	text, json *websocket.PreparedMessage
	notice     bool
}

// newHub makes the hub of a server. hist keeps the lines for resuming
// clients when there is no broker (shared is false); with one, the
// broker's log does.
func newHub(stats *counters, hist history, shared bool, stop <-chan struct{}) *hub {
	h := &hub{
		stats:      stats,
		history:    hist,
		register:   make(chan *client),
		unregister: make(chan leaving),
		broadcast:  make(chan message),
		resumed:    make(chan replay),
		members:    make(chan chan []string),
		stop:       stop,
		done:       make(chan struct{}),
	}
	if shared {
		h.changed = make(chan struct{}, 1)
	}
	return h
}

// run hands each message to every client without ever blocking on one, so
// the cost of a broadcast does not depend on the slowest client. On stop it
// ends every client with 1001 and returns.
func (h *hub) run() {
	defer close(h.done)
	clients := make(map[*client]struct{})
	seen := make(seenCopies) // with a broker: see envelope

	for {
		select {
		case c := <-h.register:
			clients[c] = struct{}{}
			h.change()
			if c.resume && !c.pending {
				h.replay(c)
			}

		case r := <-h.resumed:
			if _, ok := clients[r.c]; ok && !h.finishReplay(r) {
				h.drop(clients, r.c)
			}

		case reply := <-h.members:
			names := make([]string, 0, len(clients))
			for c := range clients {
				names = append(names, c.name)
			}
			slices.Sort(names)
			reply <- slices.Compact(names)

		case l := <-h.unregister:
			if _, ok := clients[l.c]; ok {
				delete(clients, l.c)
				l.c.end(l.code)
				h.change()
			}

		case m := <-h.broadcast:
			if m.from != "" && !seen.firstTime(m.from, m.seq) {
				continue
			}
			h.stats.messages.Add(1)
			if !m.notice {
				h.history.add(m)
			}
			var delivered int64
			for c := range clients {
				// Join and leave notices are best-effort: a client gets one
				// only while its queue is under half full. When many clients
				// join at once (a restarted instance's clients coming back)
				// the notices come N times N; queued like chat lines they
				// would fill every queue and drop healthy readers as slow,
				// who would come back and join again.
				if m.notice && 2*len(c.send) >= cap(c.send) {
					h.stats.skippedNotices.Add(1)
					continue
				}
				if c.resuming {
					// With a broker, a client that resumed waits for its
					// replay, then skips the lines it replayed.
					if c.pending {
						if !c.hold(m) {
							h.drop(clients, c)
						}
						continue
					}
					if !c.fresh(m) {
						continue
					}
				}
				select {
				case c.send <- c.frame(m):
					delivered++
				default:
					h.drop(clients, c)
				}
			}
			h.stats.deliveries.Add(delivered)

		case <-h.stop:
			for c := range clients {
				c.end(websocket.CloseGoingAway)
			}
			return
		}
	}
}

// replay queues for c, which asked to resume (?last_id=), the lines kept
// since its last one, after a missed notice when that one is gone. c's
// queue has room for all of them (see newClient), and the hub sends nothing
// else in between, so live messages follow without a gap.
func (h *hub) replay(c *client) {
	now := time.Now()
	lines, found := h.history.since(c.lastID, now)
	if !found {
		c.send <- c.frame(missedMessage(now))
	}
	for _, m := range lines {
		c.send <- c.frame(m)
	}
}

// missedMessage is the notice that a client resumed after a line no longer
// kept.
func missedMessage(now time.Time) message {
	return message{time: now, notice: true, text: frameText(missedText),
		json: frameJSON(chatJSON{Text: missedText, Time: now, Missed: true})}
}

// drop disconnects c, which fell behind, with 1013 (Try Again Later).
func (h *hub) drop(clients map[*client]struct{}, c *client) {
	delete(clients, c)
	c.end(websocket.CloseTryAgainLater)
	h.stats.dropped.Add(1)
	h.change()
}

// change tells the presence writer, if any, that the set of clients changed.
// A change it has not picked up yet covers this one too.
func (h *hub) change() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// names returns the names of the clients in the chat, sorted, each once,
// or nil once the hub has stopped.
func (h *hub) names() []string {
	reply := make(chan []string, 1)
	select {
	case h.members <- reply:
		return <-reply
	case <-h.done:
		return nil
	}
}

// add hands c to the hub. It reports false when the hub has stopped, in
// which case c was not added.
func (h *hub) add(c *client) bool {
	select {
	case h.register <- c:
		return true
	case <-h.done:
		return false
	}
}

// leave asks the hub to end c with code. A client the hub dropped or stopped
// has been ended already.
func (h *hub) leave(c *client, code int) {
	select {
	case h.unregister <- leaving{c, code}:
	case <-h.done:
	}
}

// send hands m to the hub for its clients.
func (h *hub) send(m message) {
	select {
	case h.broadcast <- m:
	case <-h.done:
	}
}
