package main

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestPacedStopsAtTheBudget(t *testing.T) {
	rec := newRecorder(5)
	var calls atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		paced(ctx, rec, 1000, 3, func(context.Context, *rand.Rand) { calls.Add(1) })
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("paced ran on after its budget was spent")
	}
	if got := calls.Load(); got != 5 {
		t.Errorf("calls = %d, want the budget of 5", got)
	}
}

func TestPacedLetsCallsOutliveTheLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var outlived atomic.Bool
	paced(ctx, newRecorder(1), 1000, 1, func(reqCtx context.Context, _ *rand.Rand) {
		cancel() // the load ends while this call is under way
		outlived.Store(reqCtx.Err() == nil)
	})
	if !outlived.Load() {
		t.Error("the call's context ended with the load; want it to run on")
	}
}
