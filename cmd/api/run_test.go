package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/testenv"
)

// testRedis returns a client of the Redis the tests use, and its URL:
// REDIS_URL, or database 15 of 127.0.0.1:6379, which no one else here
// uses. It skips the test when Redis is unreachable, and fails it instead
// when CI=true (testenv.Redis). Every service started on it runs the email
// queue's workers, which take any job of the queue, so one test at a time
// uses it, across processes too (testenv.Exclusive).
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb, url := testenv.Redis(t, 15)
	testenv.Exclusive(t, rdb, "cmd/api")
	return rdb, url
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitStatus polls url until it answers want or the deadline passes.
func waitStatus(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered %d", url, want)
}

func TestRunServesAndShutsDownCleanly(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout testenv.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-http-addr", addr}, env("SHUTDOWN_DELAY", "300ms", "LOG_FORMAT", "text", "STORAGE_DIR", t.TempDir()), &stdout, io.Discard)
	}()

	base := "http://" + addr
	waitStatus(t, base+"/healthz", http.StatusOK)
	waitStatus(t, base+"/readyz", http.StatusOK)
	ready := getBody(t, base+"/readyz")
	if !strings.Contains(ready, `"status":"ready"`) {
		t.Errorf("readyz = %s, want ready", ready)
	}
	// feature:files begin
	if !strings.Contains(ready, `"storage":"ok"`) {
		t.Errorf("readyz = %s, want the storage check", ready)
	}
	// feature:files end
	resp, err := http.Get(base + "/headers")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Process-Time") == "" || resp.Header.Get("X-Request-ID") == "" {
		t.Errorf("headers = %v, want X-Process-Time and X-Request-ID", resp.Header)
	}

	cancel()
	// During SHUTDOWN_DELAY the server still answers, but no longer ready.
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil after a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(stdout.String(), "stopped") {
		t.Errorf("log lacks the final line:\n%s", stdout.String())
	}
	// feature:tasks begin
	if !strings.Contains(stdout.String(), "SMTP_URL is not set") {
		t.Errorf("log lacks the warning that emails only go to the log:\n%s", stdout.String())
	}
	// feature:tasks end
}

func TestRunReportsBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"-http-addr", ln.Addr().String()}, env("STORAGE_DIR", t.TempDir()), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Errorf("run = %v, want a listen error naming the address", err)
	}
}

// TestRunStopsOnUnusableStorage: a storage or static directory that cannot
// be used, or a bucket that does not answer, stops the start, with a
// message naming the setting.
func TestRunStopsOnUnusableStorage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		// A path below a regular file cannot be created, even by root.
		{"StorageUnwritable", []string{"STORAGE_DIR", filepath.Join(file, "uploads")}, "STORAGE_DIR"}, // feature:files
		{"BucketUnreachable", []string{"STORAGE_URL", "s3://uploads?endpoint=http://" + freeAddr(t), // feature:files
			"AWS_ACCESS_KEY_ID", "key", "AWS_SECRET_ACCESS_KEY", "secret"}, "STORAGE_URL bucket uploads"}, // feature:files
		{"StaticMissing", []string{"STORAGE_DIR", t.TempDir(), "STATIC_DIR", filepath.Join(file, "web")}, "STATIC_DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), []string{"-http-addr", freeAddr(t)}, env(tt.env...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	err := run(context.Background(), nil, env("SHUTDOWN_TIMEOUT", "soon"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT") {
		t.Errorf("run = %v, want a config error naming SHUTDOWN_TIMEOUT", err)
	}
}

func TestRunHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, env(), io.Discard, &stderr); err != nil {
		t.Fatalf("run -h = %v, want nil", err)
	}
	for _, name := range []string{"-http-addr", "HTTP_ADDR", "-cors-allow-origins"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("usage lacks %s", name)
		}
	}
}

func TestRunServesMetricsOnOwnListener(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-http-addr", addr, "-metrics-addr", metricsAddr},
			env("STORAGE_DIR", t.TempDir(), "NOTIFY_PER_RECIPIENT_PER_HOUR", "0"), io.Discard, io.Discard)
	}()
	waitStatus(t, "http://"+addr+"/healthz", http.StatusOK)
	waitStatus(t, "http://"+metricsAddr+"/metrics", http.StatusOK)
	waitStatus(t, "http://"+addr+"/metrics", http.StatusNotFound)

	// The log mailer sends at once; the scrape sees the jobs and requests.
	want := []string{`app_http_requests_total{method="GET",route="/healthz",status="200"}`}
	want = append(want, `app_ws_connections 0`) // feature:websockets
	// feature:tasks begin
	// Six to one address: past the default five an hour, which 0 turns off.
	want = append(want, `app_tasks_sent_total 6`, `app_http_requests_total{method="POST",route="/notify",status="202"} 6`)
	for range 6 {
		resp, err := http.Post("http://"+addr+"/notify?email=a@example.com", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// feature:tasks end
	deadline := time.Now().Add(5 * time.Second)
	for ; ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s", missing)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
}

// getBody returns the body of GET url.
func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runningService is one run of the service, started by startService.
type runningService struct {
	base string // http://host:port
	logs *testenv.Buffer
	stop func() error // cancels run's context and returns what run returned
}

// startService runs the service on a free loopback address with the given
// environment pairs and waits until it is ready.
func startService(t *testing.T, pairs ...string) *runningService {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	getenv := env(append([]string{"LOG_FORMAT", "text", "STORAGE_DIR", t.TempDir()}, pairs...)...)
	go func() { done <- run(ctx, []string{"-http-addr", addr}, getenv, logs, io.Discard) }()
	var stopped bool
	var result error
	stop := func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("run did not return after cancel")
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })

	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("run returned %v before it was ready; log:\n%s", err, logs)
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready; log:\n%s", base, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &runningService{base: base, logs: logs, stop: stop}
}

// TestRunServesPprofOnOwnListener: PPROF_ADDR serves the profiles there
// and nowhere else; without it, no port serves them.
func TestRunServesPprofOnOwnListener(t *testing.T) {
	pprofAddr := freeAddr(t)
	svc := startService(t, "PPROF_ADDR", pprofAddr)
	waitStatus(t, "http://"+pprofAddr+"/debug/pprof/", http.StatusOK)
	if body := getBody(t, "http://"+pprofAddr+"/debug/pprof/heap?debug=1"); !strings.Contains(body, "heap profile") {
		t.Errorf("/debug/pprof/heap?debug=1 = %.80q, want a heap profile", body)
	}
	waitStatus(t, svc.base+"/debug/pprof/", http.StatusNotFound)
	if err := svc.stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
	if _, err := http.Get("http://" + pprofAddr + "/debug/pprof/"); err == nil {
		t.Error("PPROF_ADDR still answers after the service stopped")
	}

	other := startService(t)
	waitStatus(t, other.base+"/debug/pprof/", http.StatusNotFound)
}

// TestRunCutsOffHugeHeaders: up to MAX_HEADER_BYTES a header block is
// read; past it the middleware answers problem+json; past twice that,
// net/http stops reading before any handler, so a header block never costs
// more memory than that.
func TestRunCutsOffHugeHeaders(t *testing.T) {
	svc := startService(t, "MAX_HEADER_BYTES", "4KiB")
	for _, tt := range []struct {
		size        int
		status      int
		contentType string
	}{
		{2 << 10, http.StatusOK, "application/json"},
		{6 << 10, http.StatusRequestHeaderFieldsTooLarge, "application/problem+json"},
		{20 << 10, http.StatusRequestHeaderFieldsTooLarge, "text/plain; charset=utf-8"},
	} {
		req, err := http.NewRequest(http.MethodGet, svc.base+"/headers", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Padding", strings.Repeat("x", tt.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Type"); resp.StatusCode != tt.status || got != tt.contentType {
			t.Errorf("a %d-byte header: %d %s, want %d %s", tt.size, resp.StatusCode, got, tt.status, tt.contentType)
		}
	}
}

// feature:files begin

// TestRunNotReadyWithoutStorageDir: a storage directory is this instance's
// own, so readiness fails while it cannot be written.
func TestRunNotReadyWithoutStorageDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	svc := startService(t, "STORAGE_DIR", dir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, svc.base+"/readyz", http.StatusServiceUnavailable)
}

// feature:files end
