package ws

import (
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// hub is gorilla's chat hub with a stop: its goroutine (run) owns the set of
// chat clients, and every change reaches it over a channel.
type hub struct {
	id      string // this server's id on the broker; see seenWindow
	stats   *counters
	history history

	register   chan *client
	unregister chan leaving
	broadcast  chan message
	members    chan chan []string // each asks for the names in the chat
	stop       <-chan struct{}    // closed by Server.Shutdown
	done       chan struct{}      // closed when run returns
}

// leaving asks the hub to end a client with a close code.
type leaving struct {
	c    *client
	code int
}

// message is a chat line or notice on its way to the clients, framed once
// for all in each format.
type message struct {
	from       string // id of the server that published it; empty when local only
	seq        uint64
	id         string // this instance's id for a chat line; empty for a notice
	time       time.Time
	text, json *websocket.PreparedMessage
	notice     bool
}

func newHub(id string, stats *counters, hist history, stop <-chan struct{}) *hub {
	return &hub{
		id:         id,
		stats:      stats,
		history:    hist,
		register:   make(chan *client),
		unregister: make(chan leaving),
		broadcast:  make(chan message),
		members:    make(chan chan []string),
		stop:       stop,
		done:       make(chan struct{}),
	}
}

// run hands each message to every client without ever blocking on one, so
// the cost of a broadcast does not depend on the slowest client. On stop it
// ends every client with 1001 and returns.
func (h *hub) run() {
	defer close(h.done)
	clients := make(map[*client]struct{})
	var own seenWindow

	for {
		select {
		case c := <-h.register:
			clients[c] = struct{}{}
			if c.resume {
				h.replay(c)
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
			}

		case m := <-h.broadcast:
			if m.from == h.id && !own.firstTime(m.seq) {
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
				select {
				case c.send <- c.frame(m):
					delivered++
				default:
					delete(clients, c)
					c.end(websocket.CloseTryAgainLater)
					h.stats.dropped.Add(1)
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
		missed := message{time: now, text: frameText(missedText),
			json: frameJSON(chatJSON{Text: missedText, Time: now, Missed: true})}
		c.send <- c.frame(missed)
	}
	for _, m := range lines {
		c.send <- c.frame(m)
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
