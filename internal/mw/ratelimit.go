package mw

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// Echo's RateLimiter is not used: its Store gets neither the request's
// context (a Redis round trip should end with the request) nor says when a
// refused client may try again, which Retry-After needs.

// Limiter is what RateLimit needs of a limiter, such as ratelimit.Limiter.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
}

// RateLimit answers 429 with Retry-After to a client address past its
// limit on the requests that may change state (any method but GET, HEAD
// and OPTIONS): those are the ones that cost the service, uploads and
// mail. The address is Echo's RealIP, so the IPExtractor decides whom to
// believe; IPv6 addresses count by their /64, which one host usually has
// whole.
func RateLimit(l Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if ok, retryAfter := l.Allow(c.Request().Context(), clientKey(c.RealIP())); !ok {
				return TooManyRequests(c, retryAfter, "Too many requests from this address.")
			}
			return next(c)
		}
	}
}

// TooManyRequests returns the 429 error for a client that may try again
// after d, with its Retry-After header set.
func TooManyRequests(c echo.Context, d time.Duration, msg string) error {
	secs := max(int(math.Ceil(d.Seconds())), 1)
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return echo.NewHTTPError(http.StatusTooManyRequests, msg+" Try again in "+strconv.Itoa(secs)+" s.")
}

// clientKey is the address a client's requests count against: the IP, or
// for IPv6 its /64 network.
func clientKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
