package mw

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// countingLimiter allows n events per key, then refuses with retryAfter,
// and records the keys it was asked about.
type countingLimiter struct {
	n          int
	retryAfter time.Duration
	seen       map[string]int
}

func (l *countingLimiter) Allow(_ context.Context, key string) (bool, time.Duration) {
	l.seen[key]++
	if l.seen[key] > l.n {
		return false, l.retryAfter
	}
	return true, 0
}

func TestRateLimit(t *testing.T) {
	l := &countingLimiter{n: 1, retryAfter: 1500 * time.Millisecond, seen: map[string]int{}}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for _, tt := range []struct {
		name, method, addr string
		status             int
		retryAfter         string
	}{
		{"FirstPost", http.MethodPost, "192.0.2.1:1000", http.StatusNoContent, ""},
		{"SecondPost", http.MethodPost, "192.0.2.1:1001", http.StatusTooManyRequests, "2"},
		{"OtherAddress", http.MethodPost, "192.0.2.2:1000", http.StatusNoContent, ""},
		{"GetIsNotCounted", http.MethodGet, "192.0.2.1:1000", http.StatusNoContent, ""},
		{"HeadIsNotCounted", http.MethodHead, "192.0.2.1:1000", http.StatusNoContent, ""},
		// Another address in the same /64 is the same client.
		{"IPv6", http.MethodPost, "[2001:db8:1:2::1]:1000", http.StatusNoContent, ""},
		{"IPv6SameNetwork", http.MethodPost, "[2001:db8:1:2:ffff::9]:1000", http.StatusTooManyRequests, "2"},
		{"IPv6OtherNetwork", http.MethodPost, "[2001:db8:1:3::1]:1000", http.StatusNoContent, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/", nil)
			req.RemoteAddr = tt.addr
			rec := serve(t, RateLimit(l), ok, req)
			if rec.Code != tt.status || rec.Header().Get(echo.HeaderRetryAfter) != tt.retryAfter {
				t.Errorf("%d, Retry-After %q; want %d, %q", rec.Code, rec.Header().Get(echo.HeaderRetryAfter), tt.status, tt.retryAfter)
			}
		})
	}
	if _, counted := l.seen["192.0.2.1"]; !counted || l.seen["192.0.2.1"] != 2 {
		t.Errorf("192.0.2.1 was counted %d times; want 2 (its POSTs only)", l.seen["192.0.2.1"])
	}
}
