package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestHealthcheckFlag(t *testing.T) {
	addr := freeAddr(t)
	if err := run(context.Background(), []string{"-healthcheck", "-http-addr", addr}, env(), io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck with nothing listening succeeded, want an error")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	getenv := env("STORAGE_DIR", t.TempDir())
	go func() { done <- run(ctx, []string{"-http-addr", addr}, getenv, io.Discard, io.Discard) }()
	waitStatus(t, "http://"+addr+"/healthz", http.StatusOK)
	if err := run(context.Background(), []string{"-healthcheck", "-http-addr", addr}, env(), io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck against a running service = %v, want nil", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-version"}, env(), &out, io.Discard); err != nil || !strings.HasSuffix(strings.TrimSpace(out.String()), " "+runtime.Version()) {
		t.Errorf("run -version = %v, printed %q; want a version and %s", err, out.String(), runtime.Version())
	}
}
