package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"
)

// TestRedisRestartKeepsData: the soak's Redis saves on the way down and
// loads on the way up, so queued jobs survive the restart fault.
func TestRedisRestartKeepsData(t *testing.T) {
	binary, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Missing(t, "redis-server is not installed: %v", err)
	}
	ctx := context.Background()
	r, err := startRedis(ctx, binary, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.shutdown(ctx, false) }()

	client := r.client()
	defer client.Close()
	if err := client.Set(ctx, "job", "waiting", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.restart(ctx, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got, err := client.Get(ctx, "job").Result()
	if err != nil || got != "waiting" {
		t.Errorf("after the restart: %q, %v; want the value kept", got, err)
	}
}
