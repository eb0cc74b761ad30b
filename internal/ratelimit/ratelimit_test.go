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
	}
	if n := m.Len(); n > maxKeys {
		t.Fatalf("%d keys after a flood of %d; want at most %d", n, 100*maxKeys, maxKeys)
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
