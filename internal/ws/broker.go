package ws

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Broker is the chat's shared log when several instances serve it (with
// REDIS_URL, redisbroker over Redis Streams). Every hub appends each line and
// notice to it and delivers what it reads back, its own included, so history
// and delivery are one mechanism and a client may resume on any instance.
//
// The hub owns retries: when a call fails it tries again with backoff, and
// while it cannot read it delivers its own messages to its clients directly.
type Broker interface {
	// Append adds msg to the log, as a chat line or as a notice (notices are
	// delivered but never replayed), and returns its id.
	Append(ctx context.Context, msg []byte, notice bool) (id string, err error)

	// Read returns the entries appended after cursor, oldest first, waiting
	// a moment when there are none, and the cursor to pass next. The empty
	// cursor means "from now": Read then returns no entries, only the
	// cursor of the log's current end.
	Read(ctx context.Context, cursor string) (entries []Entry, next string, err error)

	// Since returns the chat lines after the one with id that are not older
	// than notBefore, oldest first. found is false when that line is no
	// longer kept, has expired, or never was: the lines returned are then
	// all those kept since notBefore, and some before them were missed.
	Since(ctx context.Context, id string, notBefore time.Time) (lines []Entry, found bool, err error)

	// SetMembers records the names in the chat on the instance called
	// instance, for ttl: an instance that stops refreshing them drops out.
	// No names removes the instance.
	SetMembers(ctx context.Context, instance string, names []string, ttl time.Duration) error

	// Members returns the names recorded by every instance but except, in
	// any order, possibly repeated.
	Members(ctx context.Context, except string) ([]string, error)
}

// Entry is one message of a Broker's log. Its ID has the form of a Redis
// stream id, "<milliseconds>-<sequence>", and ids grow along the log.
type Entry struct {
	ID  string
	Msg []byte
}

// logPos is the position of an Entry, parsed from its ID, for the hub to
// tell which of two entries comes first. The zero logPos is before all.
type logPos struct{ ms, seq uint64 }

// parseLogPos parses an Entry's ID. Something else parses as the zero
// logPos, or with 0 for a part that is not a number: the hub compares only
// the ids of entries, which the broker wrote.
func parseLogPos(id string) logPos {
	ms, seq, found := strings.Cut(id, "-")
	if !found {
		return logPos{}
	}
	var pos logPos
	pos.ms, _ = strconv.ParseUint(ms, 10, 64)
	pos.seq, _ = strconv.ParseUint(seq, 10, 64)
	return pos
}

// after reports whether p comes after q in the log.
func (p logPos) after(q logPos) bool {
	return p.ms > q.ms || (p.ms == q.ms && p.seq > q.seq)
}
