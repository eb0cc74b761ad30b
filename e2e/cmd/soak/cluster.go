package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// readyTimeout bounds how long a starting instance may take to answer
// /readyz 200: it starts in well under a second, so this only catches one
// that never will.
const readyTimeout = 30 * time.Second

// instance is one slot of the service: a name, a port and its settings. Its
// process can be stopped and started again on the same port, as a restarted
// container is.
type instance struct {
	name   string
	addr   string // 127.0.0.1:port
	binary string
	env    []string
	log    *os.File // every process of the slot appends to it

	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{} // closed when the current process has ended
	exitCodes []int         // one per process that ended; -1: killed by a signal
}

func (in *instance) base() string { return "http://" + in.addr }

// start runs a new process for the slot. The previous one must have ended.
// Cancelling ctx kills the process: the soak was interrupted.
func (in *instance) start(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	//nolint:gosec // The binary is the one the soak was told to test.
	cmd := exec.CommandContext(ctx, in.binary)
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = in.log, in.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", in.name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code == 0 {
			code = -1 // Wait failed for another reason than the exit
		}
		in.mu.Lock()
		in.exitCodes = append(in.exitCodes, code)
		in.mu.Unlock()
		close(exited)
	}()
	in.cmd, in.exited = cmd, exited
	return nil
}

// pid returns the current process's id.
func (in *instance) pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.cmd.Process.Pid
}

// waitReady polls /readyz until it answers 200.
func (in *instance) waitReady(ctx context.Context, client *http.Client) error {
	in.mu.Lock()
	exited := in.exited
	in.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if status, err := get(ctx, client, in.base()+"/readyz"); err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited while starting (log: %s)", in.name, in.log.Name())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (log: %s)", in.name, readyTimeout, in.log.Name())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM and waits for the process to end, killing it after
// timeout. It returns the exit code and how long the shutdown took.
func (in *instance) stop(timeout time.Duration) (int, time.Duration, error) {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.mu.Unlock()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, 0, fmt.Errorf("signal %s: %w", in.name, err)
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
		return -1, time.Since(start), fmt.Errorf("%s did not exit within %v of SIGTERM; killed", in.name, timeout)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.exitCodes[len(in.exitCodes)-1], time.Since(start), nil
}

// kill ends a process left running by a failed run.
func (in *instance) kill() {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
	default:
		_ = cmd.Process.Kill()
		<-exited
	}
}

// codes returns the exit code of every process of the slot so far.
func (in *instance) codes() []int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]int(nil), in.exitCodes...)
}

// cluster spreads the load over the instances that are up, as a load
// balancer does: an instance is taken out before it is sent SIGTERM and put
// back once it answers /readyz again.
type cluster struct {
	instances []*instance

	mu      sync.Mutex
	up      map[*instance]bool
	changed chan struct{} // closed and replaced whenever an instance comes up
	next    int
}

func newCluster(instances []*instance) *cluster {
	return &cluster{instances: instances, up: map[*instance]bool{}, changed: make(chan struct{})}
}

// setUp puts in into (true) or takes it out of (false) the rotation.
func (c *cluster) setUp(in *instance, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.up[in] = up
	close(c.changed)
	c.changed = make(chan struct{})
}

// pick returns the next instance that is up, round robin, waiting while
// none is.
func (c *cluster) pick(ctx context.Context) (*instance, error) {
	for {
		c.mu.Lock()
		for range c.instances {
			in := c.instances[c.next%len(c.instances)]
			c.next++
			if c.up[in] {
				c.mu.Unlock()
				return in, nil
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// get sends a GET and returns the status, reading and closing the body.
func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
