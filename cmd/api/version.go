package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// version is stamped at build time: go build -ldflags "-X main.version=v1.2.3".
// Nothing writes it at run time.
var version string

// buildVersion is the stamped version, or what the Go toolchain recorded.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(unknown)"
}

// healthcheck asks the service at addr for /healthz. It lets a container
// image without a shell or curl check its own health: api -healthcheck.
func healthcheck(ctx context.Context, addr string) error {
	_, port, _ := net.SplitHostPort(addr) // loadConfig has checked it
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
