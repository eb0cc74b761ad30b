package main

// The WebSockets feature's wiring: the hub of /ws and /chat, its shutdown
// and its metrics.

import (
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/metrics"
	"example.com/echotemplate/internal/ws"
	"example.com/echotemplate/internal/ws/redisbroker"
)

// startChat starts the WebSocket server of /ws and /chat. With rdb
// (REDIS_URL) its chat travels through a Redis stream (CHAT_REDIS_KEY), so
// the clients of every instance chat together and resume on any of them;
// without, the hub delivers each line itself. The server uses rdb but does
// not own it.
func startChat(cfg config, rdb *redis.Client, m *metrics.Metrics, log *slog.Logger) (*ws.Server, error) {
	var broker ws.Broker
	if rdb != nil {
		broker = redisbroker.New(rdb, cfg.ChatRedisKey, cfg.WebSockets.History)
	}
	wsCfg := cfg.WebSockets
	wsCfg.UpgradeError = handlers.UpgradeError
	hub, err := ws.NewServer(wsCfg, broker, log)
	if err != nil {
		return nil, fmt.Errorf("websocket server: %w", err)
	}
	chatMetrics(m, hub)
	return hub, nil
}

// chatMetrics exposes the WebSocket hub's counters, read once per scrape.
func chatMetrics(m *metrics.Metrics, hub *ws.Server) {
	m.AddSource(func() []metrics.Stat {
		s := hub.Stats()
		return []metrics.Stat{
			{Name: "ws_connections", Help: "Open WebSocket connections, echo and chat.", Value: float64(s.Connections)},
			{Name: "ws_messages_total", Help: "Chat messages fanned out to this instance's clients.", Counter: true, Value: float64(s.Messages)},
			{Name: "ws_deliveries_total", Help: "Chat messages queued to a client.", Counter: true, Value: float64(s.Deliveries)},
			{Name: "ws_dropped_total", Help: "Chat clients disconnected for falling behind.", Counter: true, Value: float64(s.Dropped)},
			{Name: "ws_rate_limited_total", Help: "Connections closed with 1008 for sending too fast or more than their frame and byte budget.", Counter: true, Value: float64(s.RateLimited)},
			{Name: "ws_skipped_notices_total", Help: "Join and leave notices not queued for a client whose queue was half full.", Counter: true, Value: float64(s.SkippedNotices)},
		}
	})
}
