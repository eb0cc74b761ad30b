package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxSamples is how many unexpected outcomes the report quotes; the rest
// are only counted.
const maxSamples = 10

// recorder counts the outcome and latency of every request, by route, and
// keeps the unexpected ones for the report. It is safe for concurrent use.
type recorder struct {
	left atomic.Int64 // requests still allowed: the run is bounded in count

	mu         sync.Mutex
	routes     map[string]*routeStats
	unexpected int
	samples    []string
}

// routeStats is the record of one route.
type routeStats struct {
	outcomes  map[string]int // "200", "413", "error", "aborted" ...
	latencies []time.Duration
}

func newRecorder(maxRequests int64) *recorder {
	r := &recorder{routes: map[string]*routeStats{}}
	r.left.Store(maxRequests)
	return r
}

// take reserves one request of the run's budget and reports whether any
// was left.
func (r *recorder) take() bool {
	return r.left.Add(-1) >= 0
}

// status records an answer. It is unexpected unless its status is among
// want; what describes the request for the report.
func (r *recorder) status(route string, status int, took time.Duration, what string, want ...int) bool {
	ok := slices.Contains(want, status)
	detail := fmt.Sprintf("status %d, want %v (%s)", status, want, what)
	r.result(route, strconv.Itoa(status), took, ok, detail)
	return ok
}

// result records an answer that is not an HTTP status, such as a WebSocket
// reply, under outcome. detail says what was wrong when ok is false.
func (r *recorder) result(route, outcome string, took time.Duration, ok bool, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.route(route)
	rs.outcomes[outcome]++
	rs.latencies = append(rs.latencies, took)
	if !ok {
		r.noteLocked(route + ": " + detail)
	}
}

// failure records a request that got no answer. An expected one (a client
// that gave up on purpose, an upload cut at the limit) is only counted
// under outcome.
func (r *recorder) failure(route, outcome string, err error, expected bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.route(route).outcomes[outcome]++
	if !expected {
		r.noteLocked(fmt.Sprintf("%s: %s: %v", route, outcome, err))
	}
}

// check records a failed check of an answer's content, such as a range
// that came back with the wrong bytes.
func (r *recorder) check(route string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.route(route).outcomes["wrong content"]++
	r.noteLocked(fmt.Sprintf("%s: %v", route, err))
}

func (r *recorder) route(name string) *routeStats {
	rs, ok := r.routes[name]
	if !ok {
		rs = &routeStats{outcomes: map[string]int{}}
		r.routes[name] = rs
	}
	return rs
}

func (r *recorder) noteLocked(sample string) {
	r.unexpected++
	if len(r.samples) < maxSamples && !slices.Contains(r.samples, sample) {
		r.samples = append(r.samples, sample)
	}
}

// count returns how many requests to route ended with outcome.
func (r *recorder) count(route, outcome string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rs, ok := r.routes[route]; ok {
		return rs.outcomes[outcome]
	}
	return 0
}

// problems returns the number of unexpected outcomes and a few of them.
func (r *recorder) problems() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unexpected, slices.Clone(r.samples)
}

// totals returns how many requests ended with each outcome, over all
// routes.
func (r *recorder) totals() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, rs := range r.routes {
		for o, n := range rs.outcomes {
			out[o] += n
		}
	}
	return out
}

// print writes one line per route: count, p50, p99 and outcomes.
func (r *recorder) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(w, "  %-38s %7s %9s %9s  %s\n", "route", "count", "p50", "p99", "outcomes")
	for _, name := range slices.Sorted(maps.Keys(r.routes)) {
		rs := r.routes[name]
		n := 0
		var outs []string
		for _, o := range slices.Sorted(maps.Keys(rs.outcomes)) {
			n += rs.outcomes[o]
			outs = append(outs, fmt.Sprintf("%s:%d", o, rs.outcomes[o]))
		}
		fmt.Fprintf(w, "  %-38s %7d %9s %9s  %s\n", name, n,
			fmtDuration(percentile(rs.latencies, 0.50)), fmtDuration(percentile(rs.latencies, 0.99)), strings.Join(outs, " "))
	}
}

// percentile returns the p-th percentile (0 < p <= 1) of ds by the nearest
// rank method, or -1 when ds is empty. It sorts ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	slices.Sort(ds)
	rank := int(p*float64(len(ds))+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

// errAborted is the error an upload body returns when the soak cuts the
// upload off midway on purpose.
var errAborted = errors.New("soak: upload aborted on purpose")
