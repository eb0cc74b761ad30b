package main

import (
	"context"
	"log/slog"
	"time"

	"example.com/echotemplate/internal/metrics"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/ws"
)

// statsTimeout bounds one read of the task queue's figures during a scrape;
// with Redis it is a round trip.
const statsTimeout = 2 * time.Second

// taskMetrics exposes the task queue's figures, read once per scrape. Reads
// stop with ctx: once the service shuts down, so do they.
func taskMetrics(ctx context.Context, m *metrics.Metrics, q interface {
	Stats(context.Context) (tasks.Stats, error)
}, log *slog.Logger) {
	m.AddSource(func() []metrics.Stat {
		ctx, cancel := context.WithTimeout(ctx, statsTimeout)
		defer cancel()
		s, err := q.Stats(ctx)
		if err != nil {
			log.Warn("read task queue stats", "error", err)
			return nil
		}
		return []metrics.Stat{
			{Name: "tasks_queued", Help: "Jobs waiting to run.", Value: float64(s.Queued)},
			{Name: "tasks_running", Help: "Jobs in an attempt or waiting for their next one.", Value: float64(s.Running)},
			{Name: "tasks_attempts_total", Help: "Attempts started.", Counter: true, Value: float64(s.Attempts)},
			{Name: "tasks_failures_total", Help: "Attempts that failed, panics included.", Counter: true, Value: float64(s.Failures)},
			{Name: "tasks_retries_total", Help: "Failed attempts that will be tried again.", Counter: true, Value: float64(s.Retries)},
			{Name: "tasks_sent_total", Help: "Jobs whose email the mailer accepted.", Counter: true, Value: float64(s.Sent)},
			{Name: "tasks_gave_up_total", Help: "Jobs that failed their last attempt.", Counter: true, Value: float64(s.GaveUp)},
			{Name: "tasks_dropped_total", Help: "Jobs unfinished at the shutdown deadline (in-memory queue only).", Counter: true, Value: float64(s.Dropped)},
		}
	})
}

// chatMetrics exposes the WebSocket hub's counters, read once per scrape.
func chatMetrics(m *metrics.Metrics, hub *ws.Hub) {
	m.AddSource(func() []metrics.Stat {
		s := hub.Stats()
		return []metrics.Stat{
			{Name: "ws_connections", Help: "Open WebSocket connections, echo and chat.", Value: float64(s.Connections)},
			{Name: "ws_messages_total", Help: "Chat messages fanned out to this instance's clients.", Counter: true, Value: float64(s.Messages)},
			{Name: "ws_deliveries_total", Help: "Chat messages queued to a client.", Counter: true, Value: float64(s.Deliveries)},
			{Name: "ws_dropped_total", Help: "Chat clients disconnected for falling behind.", Counter: true, Value: float64(s.Dropped)},
			{Name: "ws_rate_limited_total", Help: "Connections closed for sending too fast.", Counter: true, Value: float64(s.RateLimited)},
			{Name: "ws_skipped_notices_total", Help: "Join and leave notices not queued for a client whose queue was half full.", Counter: true, Value: float64(s.SkippedNotices)},
		}
	})
}
