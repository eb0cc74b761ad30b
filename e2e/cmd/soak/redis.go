package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server of the soak's own, on a free port in a
// directory of its own, so restarting it as a fault touches no other Redis
// on the machine. It persists nothing on its own (no RDB snapshots, no AOF);
// a restart saves once on the way down, as a Redis that keeps a queue's jobs
// must, and loads that file on the way up.
type redisServer struct {
	binary string
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedis starts redis-server in dir on a free loopback port.
func startRedis(ctx context.Context, binary, dir string) (*redisServer, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create Redis directory: %w", err)
	}
	port, err := freePort(ctx)
	if err != nil {
		return nil, err
	}
	r := &redisServer{binary: binary, dir: dir, port: port}
	return r, r.start(ctx)
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// url is the REDIS_URL that points the service at this server.
func (r *redisServer) url() string { return "redis://" + r.addr() + "/0" }

func (r *redisServer) start(ctx context.Context) error {
	//nolint:gosec // The binary and its arguments are the soak's own.
	// Not CommandContext: Redis must outlive a cancelled ctx long enough
	// to be shut down with a command, saving or not as the caller says.
	cmd := exec.Command(r.binary, //nolint:noctx // see above
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port),
		"--save", "", "--appendonly", "no",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status of a Redis told to shut down says nothing
		close(exited)
	}()
	r.cmd, r.exited = cmd, exited

	client := r.client()
	defer client.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := client.Ping(pingCtx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			r.kill()
			return fmt.Errorf("redis-server on %s not answering: %w (log: %s)", r.addr(), err, filepath.Join(r.dir, "redis.log"))
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited at start (log: %s)", filepath.Join(r.dir, "redis.log"))
		case <-ctx.Done():
			r.kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *redisServer) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
}

// restart shuts Redis down, saving its data, stays down for downtime, and
// starts it again on the same port. It returns when Redis answers again.
func (r *redisServer) restart(ctx context.Context, downtime time.Duration) error {
	if err := r.shutdown(ctx, true); err != nil {
		return err
	}
	select {
	case <-time.After(downtime):
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.start(ctx)
}

// shutdown stops Redis with SHUTDOWN SAVE or NOSAVE and waits for it to exit.
func (r *redisServer) shutdown(ctx context.Context, save bool) error {
	client := r.client()
	defer client.Close()
	// The reply never comes: Redis closes the connection as it exits.
	if save {
		_ = client.ShutdownSave(ctx).Err()
	} else {
		_ = client.ShutdownNoSave(ctx).Err()
	}
	select {
	case <-r.exited:
		return nil
	case <-time.After(10 * time.Second):
		r.kill()
		return fmt.Errorf("redis-server did not shut down; killed")
	}
}

func (r *redisServer) kill() {
	if r.cmd == nil {
		return
	}
	select {
	case <-r.exited:
	default:
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
}
