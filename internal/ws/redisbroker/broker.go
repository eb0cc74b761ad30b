// Package redisbroker keeps the chat's log and members in Redis, so that
// the instances of the service chat together and a client resumes on any of
// them: it is the multi-instance ws.Broker. Chat lines go to a Redis stream
// trimmed to about the history's length, whose entry ids are the lines' ids;
// notices go to a second stream that is only read live. It holds no state
// of its own; retrying is the hub's job.
package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/ws"
)

const (
	// readBlock is how long one Read waits for new entries. go-redis does
	// not abandon a blocking read when its context ends, so this also
	// bounds how long a hub's Shutdown waits for its tail.
	readBlock = time.Second

	// readCount caps the entries of each stream one Read returns, so a
	// tail that fell behind catches up in bounded steps.
	readCount = 1000

	// noticeBacklog is about how many notices are kept: enough for a tail
	// that fell behind for a few seconds; notices are never replayed.
	noticeBacklog = 1000

	// msgField is the one field of each stream entry.
	msgField = "msg"
)

// Broker is a ws.Broker on one Redis. For a key k its keys are the stream
// k (chat lines), k:notices, k:instances (the instances that record
// members, scored by when their record expires) and k:members:<instance>.
type Broker struct {
	client        redis.UniversalClient
	lines         string
	notices       string
	instances     string
	membersPrefix string
	history       int64
}

// New returns a broker on the keys named after key; every instance that
// should chat together uses the same key and history (CHAT_HISTORY), the
// number of lines the stream keeps at least. The caller owns client and
// closes it after the hub has shut down.
func New(client redis.UniversalClient, key string, history int) *Broker {
	return &Broker{
		client:        client,
		lines:         key,
		notices:       key + ":notices",
		instances:     key + ":instances",
		membersPrefix: key + ":members:",
		history:       int64(history),
	}
}

// Append adds msg to the stream of lines, trimmed to about history
// entries, or to the stream of notices, and returns its entry id.
func (b *Broker) Append(ctx context.Context, msg []byte, notice bool) (string, error) {
	args := &redis.XAddArgs{Stream: b.lines, MaxLen: b.history, Approx: true, Values: []any{msgField, msg}}
	if notice {
		args.Stream, args.MaxLen = b.notices, noticeBacklog
	}
	id, err := b.client.XAdd(ctx, args).Result()
	if err != nil {
		return "", fmt.Errorf("redisbroker: append: %w", err)
	}
	return id, nil
}

// Read returns the lines and notices after cursor, in the order of their
// ids, waiting up to readBlock for some. A cursor holds the last id read
// from each stream.
func (b *Broker) Read(ctx context.Context, cursor string) ([]ws.Entry, string, error) {
	if cursor == "" {
		lineID, err := b.lastID(ctx, b.lines)
		if err != nil {
			return nil, "", err
		}
		noticeID, err := b.lastID(ctx, b.notices)
		if err != nil {
			return nil, "", err
		}
		return nil, lineID + " " + noticeID, nil
	}
	lineID, noticeID, ok := strings.Cut(cursor, " ")
	if !ok {
		return nil, "", fmt.Errorf("redisbroker: read: malformed cursor %q", cursor)
	}
	streams, err := b.client.XRead(ctx, &redis.XReadArgs{
		Streams: []string{b.lines, b.notices, lineID, noticeID},
		Count:   readCount,
		Block:   readBlock,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, cursor, nil // nothing new within readBlock
	}
	if err != nil {
		return nil, "", fmt.Errorf("redisbroker: read: %w", err)
	}
	var lines, notices []ws.Entry
	for _, s := range streams {
		if s.Stream == b.lines {
			lines = entries(s.Messages)
			lineID = s.Messages[len(s.Messages)-1].ID
		} else {
			notices = entries(s.Messages)
			noticeID = s.Messages[len(s.Messages)-1].ID
		}
	}
	return merge(lines, notices), lineID + " " + noticeID, nil
}

// lastID returns the id of stream's newest entry, or 0-0 when it is empty.
func (b *Broker) lastID(ctx context.Context, stream string) (string, error) {
	msgs, err := b.client.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("redisbroker: find the end of %s: %w", stream, err)
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}

// Since returns the lines after id with an id not older than notBefore
// (an id starts with its entry's time in milliseconds). id is found when
// it is still in the stream and not older than notBefore.
func (b *Broker) Since(ctx context.Context, id string, notBefore time.Time) ([]ws.Entry, bool, error) {
	cutoff := notBefore.UnixMilli()
	if ms, ok := idTime(id); !ok || ms < cutoff {
		msgs, err := b.client.XRange(ctx, b.lines, strconv.FormatInt(cutoff, 10), "+").Result()
		if err != nil {
			return nil, false, fmt.Errorf("redisbroker: since: %w", err)
		}
		return entries(msgs), false, nil
	}
	// From id itself, to tell whether it is still kept.
	msgs, err := b.client.XRange(ctx, b.lines, id, "+").Result()
	if err != nil {
		return nil, false, fmt.Errorf("redisbroker: since: %w", err)
	}
	if len(msgs) > 0 && msgs[0].ID == id {
		return entries(msgs[1:]), true, nil
	}
	return entries(msgs), false, nil
}

// SetMembers replaces the names recorded for instance, for ttl. Each call
// also forgets the instances whose record has expired.
func (b *Broker) SetMembers(ctx context.Context, instance string, names []string, ttl time.Duration) error {
	key := b.membersPrefix + instance
	_, err := b.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.ZRemRangeByScore(ctx, b.instances, "-inf", strconv.FormatInt(time.Now().UnixMilli(), 10))
		if len(names) == 0 {
			p.ZRem(ctx, b.instances, instance)
			return nil
		}
		members := make([]any, len(names))
		for i, n := range names {
			members[i] = n
		}
		p.SAdd(ctx, key, members...)
		p.PExpire(ctx, key, ttl)
		p.ZAdd(ctx, b.instances, redis.Z{Score: float64(time.Now().Add(ttl).UnixMilli()), Member: instance})
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisbroker: set members: %w", err)
	}
	return nil
}

// Members returns the names recorded by the instances whose record has not
// expired, but except.
func (b *Broker) Members(ctx context.Context, except string) ([]string, error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	instances, err := b.client.ZRangeByScore(ctx, b.instances, &redis.ZRangeBy{Min: now, Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("redisbroker: members: %w", err)
	}
	cmds, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, instance := range instances {
			if instance != except {
				p.SMembers(ctx, b.membersPrefix+instance)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redisbroker: members: %w", err)
	}
	var names []string
	for _, cmd := range cmds {
		names = append(names, cmd.(*redis.StringSliceCmd).Val()...)
	}
	return names, nil
}

// entries converts stream entries; one without a msg field (not written
// by Append) has an empty Msg, which the hub drops as malformed.
func entries(msgs []redis.XMessage) []ws.Entry {
	out := make([]ws.Entry, len(msgs))
	for i, m := range msgs {
		msg, _ := m.Values[msgField].(string)
		out[i] = ws.Entry{ID: m.ID, Msg: []byte(msg)}
	}
	return out
}

// merge interleaves lines and notices, each ordered by id, into one list.
// A line and a notice may share their millisecond; the notice goes first,
// so that a client's join notice comes before what it says at once.
func merge(lines, notices []ws.Entry) []ws.Entry {
	if len(notices) == 0 {
		return lines
	}
	out := make([]ws.Entry, 0, len(lines)+len(notices))
	for len(lines) > 0 && len(notices) > 0 {
		if before(lines[0].ID, notices[0].ID) {
			out, lines = append(out, lines[0]), lines[1:]
		} else {
			out, notices = append(out, notices[0]), notices[1:]
		}
	}
	return append(append(out, lines...), notices...)
}

// before reports whether stream id x is from an earlier millisecond than y.
func before(x, y string) bool {
	xms, _ := idTime(x)
	yms, _ := idTime(y)
	return xms < yms
}

// idTime returns the milliseconds at the start of stream id
// "<milliseconds>-<sequence>".
func idTime(id string) (int64, bool) {
	ms, seq, ok := strings.Cut(id, "-")
	if !ok {
		return 0, false
	}
	if _, err := strconv.ParseUint(seq, 10, 64); err != nil {
		return 0, false
	}
	t, err := strconv.ParseInt(ms, 10, 64)
	return t, err == nil && t >= 0
}
