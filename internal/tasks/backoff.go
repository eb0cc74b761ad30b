package tasks

import (
	"math/rand/v2"
	"time"
)

// Backoff returns how long to wait before retry n (1 for the first): delay
// doubled n-1 times and capped at maxDelay, then shortened by a random amount
// of up to half. The doubling gives a struggling mail server room; the jitter
// keeps jobs that failed together from retrying in lockstep.
func Backoff(n int, delay, maxDelay time.Duration) time.Duration {
	d := delay
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1) //nolint:gosec // Jitter spreads load; it needs no unpredictability.
}
