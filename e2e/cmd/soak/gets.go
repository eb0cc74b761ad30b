package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// requestTimeout bounds every request of the load. Requests outlive the end
// of the load (they are let finish, not cancelled), so this is their only
// bound.
const requestTimeout = time.Minute

// smallRoute is a cheap GET the load repeats, with the status it must get.
type smallRoute struct {
	path string
	want int
}

// smallRoutes are the service's light routes: what most of a real
// service's traffic looks like.
func smallRoutes() []smallRoute {
	return []smallRoute{
		{"/headers", http.StatusOK},
		{"/custom-headers", http.StatusOK},
		{"/set-cookie", http.StatusOK},
		{"/", http.StatusOK},
		{"/healthz", http.StatusOK},
		{"/readyz", http.StatusOK},
		{"/static/robots.txt", http.StatusOK},
		{"/download", http.StatusOK}, // feature:files
		{"/openapi.yaml", http.StatusOK},
		{"/no-such-page", http.StatusNotFound},
	}
}

// paced calls fn about rate times a second, spread over workers goroutines,
// until ctx ends or the run's request budget is spent. A slow call makes
// its worker skip ticks rather than catch up in a burst. fn gets a context
// that outlives ctx, so that a request under way when the load ends is let
// finish and counted. paced returns when every call has returned.
func paced(ctx context.Context, rec *recorder, rate float64, workers int, fn func(ctx context.Context, rng *rand.Rand)) {
	if rate <= 0 {
		return
	}
	interval := time.Duration(float64(workers) / rate * float64(time.Second))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w))) //nolint:gosec // load shapes, not secrets
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if !rec.take() {
					return
				}
				reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
				fn(reqCtx, rng)
				cancel()
			}
		})
	}
	wg.Wait()
}

// sendSmallGETs sends the small routes' GETs, picked at random, at rate per
// second until ctx ends.
func sendSmallGETs(ctx context.Context, cl *cluster, client *http.Client, rec *recorder, faults *faultLog, rate float64) {
	routes := smallRoutes()
	paced(ctx, rec, rate, 8, func(reqCtx context.Context, rng *rand.Rand) {
		r := routes[rng.IntN(len(routes))]
		in, err := cl.pick(ctx)
		if err != nil {
			return
		}
		route := "GET " + r.path
		start := time.Now()
		status, err := get(reqCtx, client, in.base()+r.path)
		if err != nil {
			rec.failure(route, "error", err, false)
			return
		}
		want := []int{r.want}
		// Readiness stays 200 while Redis is down (it reports Redis, it
		// does not fail for it), but fails from the moment an instance
		// begins to shut down: a probe picked just before the instance left
		// the rotation can land after its SIGTERM.
		if r.path == "/readyz" && faults.during(faultRestart, start, time.Second, time.Second) {
			want = append(want, http.StatusServiceUnavailable)
		}
		rec.status(route, status, time.Since(start), in.name, want...)
	})
}
