// Package ratelimit says whether one more event for a key (a client
// address, a recipient) is within N events per period: in one process with
// golang.org/x/time/rate, and across every instance sharing a Redis with
// go-redis/redis_rate. Both are the same algorithm (a token bucket of N
// that refills over the period), so a limit means the same on either.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limit is N events per Period, all of which may come at once.
type Limit struct {
	N      int
	Period time.Duration
}

// Limiter decides whether one more event for key is within the limit, and
// if not, how long until it would be.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
}

// New returns a Limiter shared by every instance on rdb, or one of this
// process's own when rdb is nil. name keeps limits apart in Redis.
func New(limit Limit, name string, rdb *redis.Client) Limiter {
	mem := NewMemory(limit, defaultMaxKeys)
	if rdb == nil {
		return mem
	}
	return &Redis{
		limiter:  redis_rate.NewLimiter(rdb),
		limit:    redis_rate.Limit{Rate: limit.N, Burst: limit.N, Period: limit.Period},
		prefix:   name + ":",
		fallback: mem,
	}
}

// defaultMaxKeys bounds the keys a Memory limiter tracks: about 10 MB at
// most, however many addresses a stranger sends from.
const defaultMaxKeys = 65536

// Memory is a Limiter of this process alone. It is safe for concurrent use.
type Memory struct {
	every   rate.Limit
	burst   int
	maxKeys int

	mu   sync.Mutex
	keys map[string]*rate.Limiter
}

// NewMemory returns a Memory limiter that tracks at most maxKeys keys.
func NewMemory(limit Limit, maxKeys int) *Memory {
	return &Memory{
		every:   rate.Every(limit.Period / time.Duration(limit.N)),
		burst:   limit.N,
		maxKeys: maxKeys,
		keys:    make(map[string]*rate.Limiter),
	}
}

// Len returns how many keys m tracks.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration) {
	now := time.Now()
	m.mu.Lock()
	l := m.keys[key]
	if l == nil {
		if len(m.keys) >= m.maxKeys {
			m.evict(now)
		}
		l = rate.NewLimiter(m.every, m.burst)
		m.keys[key] = l
	}
	m.mu.Unlock()

	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // A refused event takes no token.
		return false, d
	}
	return true, 0
}

// evict makes room for new keys: first the keys whose bucket is full again
// (forgetting them changes nothing), then, if that freed less than an
// eighth of the room, keys at random, so that a flood of new addresses
// costs a bounded amount of work per key. A forgotten key starts afresh.
func (m *Memory) evict(now time.Time) {
	for k, l := range m.keys {
		if l.TokensAt(now) >= float64(m.burst) {
			delete(m.keys, k)
		}
	}
	for k := range m.keys { // Go's map order is random.
		if len(m.keys) <= m.maxKeys-max(m.maxKeys/8, 1) {
			break
		}
		delete(m.keys, k)
	}
}

// redisTimeout bounds one decision's round trip, so that a Redis that
// stopped answering costs each request a moment, not ReadTimeout.
const redisTimeout = 250 * time.Millisecond

// Redis is a Limiter shared by every instance that uses the same Redis.
// While Redis fails, each instance counts on its own (with a Memory
// limiter), so the limit still holds per instance.
type Redis struct {
	limiter  *redis_rate.Limiter
	limit    redis_rate.Limit
	prefix   string
	fallback *Memory
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := r.limiter.Allow(ctx, r.prefix+key, r.limit)
	if err != nil {
		return r.fallback.Allow(ctx, key)
	}
	if res.Allowed > 0 {
		return true, 0
	}
	return false, res.RetryAfter
}
