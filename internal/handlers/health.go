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

	"example.com/echotemplate/internal/metrics"
)

// Check is one probe of something the instance uses, such as "storage is
// writable" or "Redis answers".
type Check struct {
	Name string
	Func func(context.Context) error
	// Required marks what this instance cannot serve without (local
	// storage): when it fails, readiness answers 503. Any other check is a
	// dependency that only some routes need (Redis for POST /notify, the
	// mail server), so its state is reported in the body and in /metrics
	// but never takes the instance out of the load balancer: one Redis blip
	// would otherwise empty it, routes that never touch Redis included.
	Required bool
}

// Check states in the readiness body.
const (
	stateOK   = "ok"
	stateDown = "down"
)

// Health answers the liveness and readiness probes. Readiness turns 503 as
// soon as shutdown begins, so a load balancer stops sending new requests
// while the ones in flight finish.
type Health struct {
	checks       []Check
	shuttingDown atomic.Bool
}

// NewHealth returns a Health that runs checks on every readiness probe and
// every scrape of /metrics.
func NewHealth(checks ...Check) *Health {
	return &Health{checks: checks}
}

// StartShutdown makes every later readiness probe answer 503.
func (h *Health) StartShutdown() {
	h.shuttingDown.Store(true)
}

// checkTimeout bounds one round of checks so a hung dependency reads as
// down instead of hanging the prober.
const checkTimeout = 2 * time.Second

func (h *Health) handleLive() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	}
}

// probe runs every check, logging each failure's cause for the operator,
// and returns each check's state and the required checks that failed.
func (h *Health) probe(ctx context.Context, log *slog.Logger) (states map[string]string, failed []string) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	states = make(map[string]string, len(h.checks))
	for _, chk := range h.checks {
		states[chk.Name] = stateOK
		if err := chk.Func(ctx); err != nil {
			if log != nil {
				log.WarnContext(ctx, "health check failed", "check", chk.Name, "required", chk.Required, "error", err)
			}
			states[chk.Name] = stateDown
			if chk.Required {
				failed = append(failed, chk.Name)
			}
		}
	}
	return states, failed
}

func (h *Health) handleReady(log *slog.Logger) echo.HandlerFunc {
	type response struct {
		// Status is "ready", or "degraded" while a dependency is down.
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	return func(c echo.Context) error {
		if h.shuttingDown.Load() {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "The service is shutting down.")
		}
		states, failed := h.probe(c.Request().Context(), log)
		if len(failed) > 0 {
			// The prober learns only which check failed, never its cause.
			return echo.NewHTTPError(http.StatusServiceUnavailable,
				"Not ready: "+strings.Join(failed, ", ")+".")
		}
		resp := response{Status: "ready", Checks: states}
		for _, s := range states {
			if s != stateOK {
				resp.Status = "degraded"
			}
		}
		return c.JSON(http.StatusOK, resp)
	}
}

// addMetrics exposes each check as app_<name>_up, 1 or 0, probed once per
// scrape, so a dashboard sees a dependency down while readiness stays 200.
// Failures are not logged again here: the readiness probe logs them.
func (h *Health) addMetrics(m *metrics.Metrics) {
	if len(h.checks) == 0 {
		return
	}
	m.AddSource(func() []metrics.Stat {
		states, _ := h.probe(context.Background(), nil)
		stats := make([]metrics.Stat, 0, len(h.checks))
		for _, chk := range h.checks {
			up := 0.0
			if states[chk.Name] == stateOK {
				up = 1
			}
			stats = append(stats, metrics.Stat{Name: chk.Name + "_up", Help: "1 when the " + chk.Name + " check passed at this scrape, 0 when not.", Value: up})
		}
		return stats
	})
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
