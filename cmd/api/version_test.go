package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
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

// TestVersionFlag: -version prints the stamped version, else the one go
// recorded (a test binary records "(devel)"), and the toolchain.
func TestVersionFlag(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	stamped := version
	t.Cleanup(func() { version = stamped })
	for _, tt := range []struct{ stamped, want string }{
		{"", bi.Main.Version},
		{"v1.2.3", "v1.2.3"},
	} {
		version = tt.stamped
		var out bytes.Buffer
		err := run(context.Background(), []string{"-version"}, env(), &out, io.Discard)
		if want := tt.want + " " + runtime.Version() + "\n"; err != nil || out.String() != want {
			t.Errorf("run -version = %v, printed %q; want %q", err, out.String(), want)
		}
	}
}
