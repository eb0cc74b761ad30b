package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Check is one readiness probe, such as "storage is writable".
type Check struct {
	Name string
	Func func(context.Context) error
}

// Health answers the liveness and readiness probes. Readiness turns 503 as
// soon as shutdown begins, so a load balancer stops sending new requests
// while the ones in flight finish.
type Health struct {
	checks       []Check
	shuttingDown atomic.Bool
}

// NewHealth returns a Health that runs checks on every readiness probe.
func NewHealth(checks ...Check) *Health {
	return &Health{checks: checks}
}

// StartShutdown makes every later readiness probe answer 503.
func (h *Health) StartShutdown() {
	h.shuttingDown.Store(true)
}

// checkTimeout bounds one readiness probe so a hung dependency reads as
// not ready instead of hanging the prober.
const checkTimeout = 2 * time.Second

func (h *Health) handleLive() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	}
}

func (h *Health) handleReady(log *slog.Logger) echo.HandlerFunc {
	type response struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	return func(c echo.Context) error {
		if h.shuttingDown.Load() {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "The service is shutting down.")
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), checkTimeout)
		defer cancel()
		resp := response{Status: "ready", Checks: make(map[string]string, len(h.checks))}
		var failed []string
		for _, chk := range h.checks {
			if err := chk.Func(ctx); err != nil {
				// The cause is for the operator; the prober learns only which check failed.
				log.WarnContext(ctx, "readiness check failed", "check", chk.Name, "error", err)
				failed = append(failed, chk.Name)
				continue
			}
			resp.Checks[chk.Name] = "ok"
		}
		if len(failed) > 0 {
			return echo.NewHTTPError(http.StatusServiceUnavailable,
				"Not ready: "+strings.Join(failed, ", ")+".")
		}
		return c.JSON(http.StatusOK, resp)
	}
}

// CheckLive asks the service listening on addr (host:port) for /healthz. It
// lets a container image without a shell or curl check its own health:
// api -healthcheck.
func CheckLive(ctx context.Context, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
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
