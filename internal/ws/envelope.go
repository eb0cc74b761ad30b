package ws

import (
	"encoding/json"
	"fmt"
	"time"
)

// envelope is a chat message as it travels through the Broker. From and Seq
// identify it, so that a hub drops a second copy: of a message its server
// delivered directly when the append seemed to fail but took effect, or
// one appended twice because the Redis client retried an XADD whose reply
// was lost.
type envelope struct {
	From string `json:"from"` // id of the publishing hub
	Seq  uint64 `json:"seq"`  // per-hub sequence number, from 1
	// Name is the sender of a chat line, whose Text is what they said;
	// empty for a notice or a Broadcast, whose Text is the whole line.
	Name string    `json:"name,omitempty"`
	Text string    `json:"text"`
	Time time.Time `json:"time"` // when it was published
	// Notice marks a join or leave notice, which clients get only when
	// their queue has room (see Hub.run); chat lines are never skipped.
	Notice bool `json:"notice,omitempty"`
}

func (e envelope) encode() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		// A struct of strings, an integer and a bool always marshals.
		panic(fmt.Sprintf("ws: encode envelope: %v", err))
	}
	return b
}

func decodeEnvelope(msg []byte) (envelope, error) {
	var e envelope
	if err := json.Unmarshal(msg, &e); err != nil {
		return envelope{}, fmt.Errorf("ws: decode envelope: %w", err)
	}
	return e, nil
}

// seenCopies holds a seenWindow per server that published through the
// broker. Past maxPublishers (servers restarted that many times) it starts
// afresh rather than grow. Only the hub goroutine uses it.
type seenCopies map[string]*seenWindow

const maxPublishers = 64

// firstTime reports whether the message seq of from is delivered for the
// first time and remembers it.
func (c seenCopies) firstTime(from string, seq uint64) bool {
	w := c[from]
	if w == nil {
		if len(c) == maxPublishers {
			clear(c)
		}
		w = &seenWindow{}
		c[from] = w
	}
	return w.firstTime(seq)
}

// seenWindow remembers which of a server's sequence numbers were delivered,
// so each of its messages reaches a hub's clients at most once even when it
// arrives twice. It keeps the newest
// seenWindowSize numbers; an older number is treated as already delivered,
// because a message that late is not worth showing. Only the hub goroutine
// uses it.
type seenWindow struct {
	newest uint64
	seen   map[uint64]struct{}
}

const seenWindowSize = 1024

// firstTime reports whether seq is delivered for the first time and
// remembers it.
func (w *seenWindow) firstTime(seq uint64) bool {
	if seq+seenWindowSize <= w.newest {
		return false
	}
	if _, ok := w.seen[seq]; ok {
		return false
	}
	if w.seen == nil {
		w.seen = make(map[uint64]struct{})
	}
	w.seen[seq] = struct{}{}
	w.newest = max(w.newest, seq)
	// Forget numbers that fell out of the window, in batches so the cost per
	// message stays constant.
	if len(w.seen) >= 2*seenWindowSize {
		for s := range w.seen {
			if s+seenWindowSize <= w.newest {
				delete(w.seen, s)
			}
		}
	}
	return true
}
