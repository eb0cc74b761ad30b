package ratelimit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/ratelimit"
	"example.com/echotemplate/internal/testenv"
)

// allowN asks n times for key and returns how many were allowed and the
// last refusal's retry-after.
func allowN(l ratelimit.Limiter, key string, n int) (allowed int, retryAfter time.Duration) {
	for range n {
		ok, d := l.Allow(context.Background(), key)
		if ok {
			allowed++
		} else {
			retryAfter = d
		}
	}
	return allowed, retryAfter
}

// checkLimit checks that l allows 3 a minute per key: the fourth is
// refused with a retry-after of at most 20s (a third of the minute), and
// another key is unaffected.
func checkLimit(t *testing.T, l ratelimit.Limiter) {
	t.Helper()
	if got, retry := allowN(l, "a", 5); got != 3 || retry <= 0 || retry > 20*time.Second {
		t.Errorf("key a: %d of 5 allowed, retry after %v; want 3, then (0, 20s]", got, retry)
	}
	if got, _ := allowN(l, "b", 3); got != 3 {
		t.Errorf("key b: %d of 3 allowed after a used its limit; want 3", got)
	}
}

func TestMemory(t *testing.T) {
	checkLimit(t, ratelimit.New(ratelimit.Limit{N: 3, Period: time.Minute}, "t", nil))
}

// TestMemoryKeysAreBounded: a flood of new keys never grows the limiter
// past its bound, and a key in use right now keeps its count unless the
// flood pushed it out.
func TestMemoryKeysAreBounded(t *testing.T) {
	const maxKeys = 1000
	m := ratelimit.NewMemory(ratelimit.Limit{N: 2, Period: time.Hour}, maxKeys)
	for i := range 100 * maxKeys {
		m.Allow(context.Background(), strconv.Itoa(i))
		if n := m.Len(); n > maxKeys {
			t.Fatalf("%d keys after %d new ones; want at most %d", n, i+1, maxKeys)
		}
	}
	// Room is made an eighth at a time, not a key at a time.
	if n := m.Len(); n < maxKeys*7/8 || n > maxKeys {
		t.Errorf("%d keys after the flood; want %d to %d", n, maxKeys*7/8, maxKeys)
	}
}

// TestMemoryEvictsAnEighth: when every bucket is still counting, a new key
// makes room by forgetting an eighth of the keys, no more.
func TestMemoryEvictsAnEighth(t *testing.T) {
	const maxKeys = 16
	m := ratelimit.NewMemory(ratelimit.Limit{N: 1, Period: time.Hour}, maxKeys)
	for i := range maxKeys + 1 {
		allowN(m, strconv.Itoa(i), 1)
	}
	if got, want := m.Len(), maxKeys-maxKeys/8+1; got != want {
		t.Errorf("%d keys after one past the bound; want %d", got, want)
	}
}

// TestMemoryForgetsRefilledKeysFirst: when room is needed, the keys whose
// bucket has refilled go, and a key still counting stays counted.
func TestMemoryForgetsRefilledKeysFirst(t *testing.T) {
	const period = 500 * time.Millisecond
	m := ratelimit.NewMemory(ratelimit.Limit{N: 1, Period: period}, 4)
	for _, k := range []string{"idle1", "idle2", "idle3"} {
		allowN(m, k, 1)
	}
	time.Sleep(period + period/2) // their buckets are full again
	allowN(m, "busy", 1)          // the fourth key, its bucket empty
	allowN(m, "new", 1)           // needs room
	if got := m.Len(); got != 2 {
		t.Errorf("%d keys after making room; want 2 (busy and new)", got)
	}
	if ok, _ := m.Allow(context.Background(), "busy"); ok {
		t.Error("busy was forgotten, and allowed again within its period")
	}
}

func TestRedis(t *testing.T) {
	rdb, _ := testenv.Redis(t, 0)
	name := fmt.Sprintf("test-%d", rand.Uint64())
	t.Cleanup(func() { cleanKeys(t, rdb, name) })
	limit := ratelimit.Limit{N: 3, Period: time.Minute}
	checkLimit(t, ratelimit.New(limit, name, rdb))

	// Another instance on the same Redis sees the same counts.
	other := ratelimit.New(limit, name, rdb)
	if got, _ := allowN(other, "a", 1); got != 0 {
		t.Errorf("another instance allowed key a after the first used its limit")
	}
}

// TestRedisDownCountsLocally: with Redis gone, the limit still holds on
// each instance by itself.
func TestRedisDownCountsLocally(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	checkLimit(t, ratelimit.New(ratelimit.Limit{N: 3, Period: time.Minute}, "down", rdb))
}

func cleanKeys(t *testing.T, rdb *redis.Client, name string) {
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "rate:"+name+":*").Result()
	if err != nil {
		t.Logf("list test keys: %v", err)
		return
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}
