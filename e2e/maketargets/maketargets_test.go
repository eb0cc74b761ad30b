// Package maketargets tests what the Makefile's targets show a newcomer:
// that make run stops without an error on Ctrl-C, that make test reports
// its skips, and that make lint's vulnerability check is one line when it
// passes.
package maketargets

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"example.com/echotemplate/e2e/internal/e2etest"
	"example.com/echotemplate/internal/testenv"
)

// repoRoot is the service module's directory, seen from this package.
const repoRoot = "../.."

// TestMakeRunStopsCleanlyOnCtrlC presses Ctrl-C on make run as a terminal
// does, by sending SIGINT to its whole process group: the service stops in
// order and make reports no error.
func TestMakeRunStopsCleanlyOnCtrlC(t *testing.T) {
	if testing.Short() {
		testenv.Missing(t, "-short: this test builds and starts the service")
	}
	if _, err := exec.LookPath("make"); err != nil {
		testenv.Missing(t, "no make on PATH (apt-get install make)")
	}
	addr := e2etest.FreeAddr(t)
	var out bytes.Buffer
	cmd := exec.Command("make", "--no-print-directory", "run")
	cmd.Dir = repoRoot
	// As from a terminal: not as a sub-make of make test, whose MAKEFLAGS
	// would hand this make the outer one's jobserver and children to wait
	// for ("wait: No child processes").
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL"
	})
	cmd.Env = append(env, "HTTP_ADDR="+addr, "STORAGE_DIR="+t.TempDir())
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's foreground group
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// make run builds first: a whole build without -race, several minutes
	// on a busy machine with cold caches, so the wait lasts as long as the
	// test may, less the time to stop.
	wait := 5 * time.Minute
	if d, ok := t.Deadline(); ok {
		wait = time.Until(d) - time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if !waitHealthy(ctx, "http://"+addr+"/healthz", done) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Logf("make run, killed: %v", <-done)
		t.Fatalf("make run did not serve /healthz:\n%s", out.String())
	}

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Logf("make run, killed: %v", <-done)
		t.Fatalf("make run did not stop within 30s of Ctrl-C:\n%s", out.String())
	}
	// make, in the same group, dies of the SIGINT itself once its recipe
	// has ended: the shell prints nothing for that. An exit status means
	// the recipe failed, which make reports as "Error N".
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		t.Errorf("make run exited %d after Ctrl-C, want no error:\n%s", exit.ExitCode(), out.String())
	}
	if strings.Contains(out.String(), "Error") {
		t.Errorf("make run printed an error after Ctrl-C:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "msg=stopped") {
		t.Errorf("the service did not log that it stopped:\n%s", out.String())
	}
}

// waitHealthy polls url until it answers 200, the context ends or done
// (the process ended) fires.
func waitHealthy(ctx context.Context, url string, done chan error) bool {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-ctx.Done():
			return false
		case err := <-done:
			done <- err
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestMakeTestSummarisesSkips: make test runs both modules under -race
// through gotestsum, which prints each package as it finishes and ends with
// the skipped and failed tests, their reasons, and its DONE line.
func TestMakeTestSummarisesSkips(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		testenv.Missing(t, "no make on PATH (apt-get install make)")
	}
	cmd := exec.Command("make", "--no-print-directory", "-n", "test")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n test: %v\n%s", err, out)
	}
	recipe := string(out)
	for _, want := range []string{
		"go tool -modfile=tools/go.mod gotestsum",
		"go test -json -race -count=1 ./...",
		"go -C e2e test -json -race -count=1 ./...",
	} {
		if !strings.Contains(recipe, want) {
			t.Errorf("make test does not run %q:\n%s", want, recipe)
		}
	}
	if strings.Contains(recipe, "--hide-summary") {
		t.Errorf("make test hides gotestsum's summary, which names the skipped tests:\n%s", recipe)
	}
}

// TestVulncheckIsOneLineWhenItPasses runs scripts/vulncheck.sh with a fake
// govulncheck: findings that are all reviewed give one line, and a new one
// gives the whole report and a failure.
func TestVulncheckIsOneLineWhenItPasses(t *testing.T) {
	accepted, err := os.ReadFile(filepath.Join(repoRoot, "scripts/vulncheck-accepted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for line := range strings.SplitSeq(string(accepted), "\n") {
		if strings.HasPrefix(line, "GO-") {
			ids = append(ids, strings.Fields(line)[0])
		}
	}
	report := func(ids ...string) string {
		var b strings.Builder
		b.WriteString("=== Symbol Results ===\n\n")
		for i, id := range ids {
			b.WriteString("Vulnerability #" + string(rune('1'+i)) + ": " + id + "\n    A long description\n      #1: a trace\n\n")
		}
		b.WriteString("Your code is affected by some vulnerabilities.\n")
		return b.String()
	}
	tests := []struct {
		name     string
		report   string
		wantErr  bool
		wantLast string
		maxLines int
	}{
		{"AllReviewed", report(ids...), false, "vulncheck: ok (", 1},
		{"NewFinding", report(append(ids, "GO-2099-0001")...), true, "vulncheck: FAIL: not reviewed: GO-2099-0001", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			report, fake := filepath.Join(dir, "report.txt"), filepath.Join(dir, "govulncheck")
			if err := os.WriteFile(report, []byte(tt.report), 0o600); err != nil {
				t.Fatal(err)
			}
			//nolint:gosec // The fake must be executable.
			if err := os.WriteFile(fake, []byte("#!/bin/sh\ncat '"+report+"'\nexit 3\n"), 0o700); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "scripts/vulncheck.sh")
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "VULNDB_URL=file:///unused", "GOVULNCHECK="+fake)
			out, err := cmd.CombinedOutput()
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if (err != nil) != tt.wantErr || !strings.HasPrefix(lines[len(lines)-1], tt.wantLast) {
				t.Errorf("vulncheck.sh = %v, printed:\n%s\nwant error %v and a last line starting %q", err, out, tt.wantErr, tt.wantLast)
			}
			if len(lines) > tt.maxLines {
				t.Errorf("vulncheck.sh printed %d lines, want at most %d:\n%s", len(lines), tt.maxLines, out)
			}
			if tt.wantErr && !strings.Contains(string(out), "GO-2099-0001\n    A long description") {
				t.Errorf("a failing check did not show govulncheck's report:\n%s", out)
			}
		})
	}
}
