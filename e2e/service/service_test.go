// Package service tests the built service binary from outside, as a
// client, a browser or an operator meets it: started on a loopback port with
// its settings in the environment, and stopped with SIGTERM, after which it
// must exit 0.
//
// The binary is API_BIN when set (an absolute path, or one relative to this
// directory); otherwise TestMain builds ./cmd/api once, with -race when the
// tests run with it, so a data race in the service fails the test that
// caused it.
package service

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"example.com/echotemplate/e2e/internal/e2etest"
	"example.com/echotemplate/internal/testenv"
)

// repoRoot is the service module's directory, seen from this package.
const repoRoot = "../.."

// apiBinary is the service binary every test runs; TestMain sets it once.
var apiBinary string

func TestMain(m *testing.M) {
	bin, cleanup, err := e2etest.BuildService(repoRoot)
	if err != nil {
		fmt.Fprintf(os.Stderr, "service: %v\n", err)
		os.Exit(1)
	}
	apiBinary = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// runningService is one process of the service, started by startService.
type runningService struct {
	base string          // http://host:port
	logs *testenv.Buffer // everything the process wrote to stdout and stderr
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has ended
	err  error         // what cmd.Wait returned; read after done

	mu      sync.Mutex
	stopped bool
	result  error
}

// startService runs the service binary on a free loopback address with the
// given settings (variable, value pairs) as its whole environment, and waits
// until it answers /readyz 200. Unless the test stopped it, it is stopped
// when the test ends, and must exit 0.
func startService(t *testing.T, pairs ...string) *runningService {
	t.Helper()
	return startBinary(t, apiBinary, pairs...)
}

// startBinary is startService with another build of the service. It
// listens on a free address unless pairs set HTTP_ADDR.
func startBinary(t *testing.T, bin string, pairs ...string) *runningService {
	t.Helper()
	addr := ""
	env := []string{
		"LOG_FORMAT=text",
		"STORAGE_DIR=" + t.TempDir(), // feature:files
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == "HTTP_ADDR" {
			addr = pairs[i+1]
			continue
		}
		env = append(env, pairs[i]+"="+pairs[i+1])
	}
	if addr == "" {
		addr = e2etest.FreeAddr(t)
	}
	env = append(env, "HTTP_ADDR="+addr)
	svc := &runningService{base: "http://" + addr, logs: &testenv.Buffer{}, done: make(chan struct{})}
	svc.cmd = exec.Command(bin)
	svc.cmd.Env = env
	svc.cmd.Stdout, svc.cmd.Stderr = svc.logs, svc.logs
	if err := svc.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		svc.err = svc.cmd.Wait()
		close(svc.done)
	}()
	t.Cleanup(func() {
		svc.mu.Lock()
		stopped := svc.stopped
		svc.mu.Unlock()
		if !stopped {
			if err := svc.stop(t); err != nil {
				t.Error(err)
			}
		}
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-svc.done:
			t.Fatalf("the service exited before it was ready (%v); log:\n%s", svc.err, svc.logs)
		default:
		}
		resp, err := http.Get(svc.base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return svc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready; log:\n%s", svc.base, svc.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the process to end. It returns an error,
// with the log, unless the process exited 0 without reporting a data race.
// Later calls return what the first one did.
func (s *runningService) stop(t *testing.T) error {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return s.result
	}
	s.stopped = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signal the service: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("the service did not exit within 30s of SIGTERM; log:\n%s", s.logs)
	}
	switch {
	case s.err != nil:
		s.result = fmt.Errorf("the service exited with %w after SIGTERM, want exit 0; log:\n%s", s.err, s.logs)
	case strings.Contains(s.logs.String(), "WARNING: DATA RACE"):
		s.result = fmt.Errorf("the service reported a data race; log:\n%s", s.logs)
	}
	return s.result
}
