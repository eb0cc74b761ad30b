package main

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClusterPick(t *testing.T) {
	a, b := &instance{name: "a"}, &instance{name: "b"}
	cl := newCluster([]*instance{a, b})
	ctx := context.Background()

	t.Run("RoundRobinOverUp", func(t *testing.T) {
		cl.setUp(a, true)
		cl.setUp(b, true)
		seen := map[string]int{}
		for range 4 {
			in, err := cl.pick(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen[in.name]++
		}
		if seen["a"] != 2 || seen["b"] != 2 {
			t.Errorf("picks = %v, want two each", seen)
		}
	})
	t.Run("SkipsDown", func(t *testing.T) {
		cl.setUp(b, false)
		for range 3 {
			if in, _ := cl.pick(ctx); in != a {
				t.Fatalf("picked %s, want a: b is down", in.name)
			}
		}
	})
	t.Run("WaitsWhileAllDown", func(t *testing.T) {
		cl.setUp(a, false)
		time.AfterFunc(50*time.Millisecond, func() { cl.setUp(b, true) })
		if in, err := cl.pick(ctx); err != nil || in != b {
			t.Errorf("pick = %v, %v; want b once it is up", in, err)
		}
	})
	t.Run("GivesUpWithTheContext", func(t *testing.T) {
		cl.setUp(b, false)
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := cl.pick(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("pick = %v, want the context's error", err)
		}
	})
}
