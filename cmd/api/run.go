package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/files"
	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/metrics"
	"example.com/echotemplate/internal/static"
	"example.com/echotemplate/internal/ws"
	"example.com/echotemplate/internal/ws/redisbroker"
	"example.com/echotemplate/web"
)

// logFlushInterval is how often log lines are written out: one system call
// per batch instead of per request. A process killed outright (not
// SIGTERM) loses at most this much of its log.
const logFlushInterval = 100 * time.Millisecond

// run starts the service and blocks until ctx is cancelled or SIGINT or
// SIGTERM arrives, then shuts down in order. It returns nil after a clean
// shutdown, so the process exits 0.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	switch {
	case cfg.Version:
		fmt.Fprintln(stdout, buildVersion())
		return nil
	case cfg.Healthcheck:
		return healthcheck(ctx, cfg.HTTPAddr)
	}
	logOut := logging.NewFlushWriter(stdout, logFlushInterval)
	defer logOut.Close() // Last, so the final lines are written out.
	log, err := logging.New(logOut, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("logger: %w", err)
	}
	if cfg.CookieKeyRandom {
		log.Warn("COOKIE_HASH_KEY is not set: using a random key, so signed cookies end with this process")
	}

	// Claim the ports first, so a port in use stops the start before
	// anything else runs. srv.Serve closes them at shutdown; the deferred
	// closes cover the early returns.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = lc.Listen(ctx, "tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
	}

	store, err := files.NewStore(cfg.StorageDir, files.Options{AllowedTypes: cfg.UploadAllowedTypes})
	if err != nil {
		return fmt.Errorf("open storage (STORAGE_DIR=%s): %w", cfg.StorageDir, err)
	}
	page, closePage, err := pageFiles(cfg.StaticDir, cfg.StaticMaxAge)
	if err != nil {
		return err
	}
	defer closePage()

	rdb, err := openRedis(ctx, cfg.Redis, log)
	if err != nil {
		return err
	}
	queue, err := startTasks(cfg, rdb, log)
	if err != nil {
		return errors.Join(fmt.Errorf("background tasks: %w", err), closeRedis(rdb))
	}
	hub, err := startChat(cfg, rdb, log)
	if err != nil {
		return errors.Join(err, drainTasks(ctx, queue), closeRedis(rdb))
	}
	// stopWork stops, in order, what runs beside HTTP: the WebSockets, which
	// http.Server.Shutdown leaves open, with 1001; the task queue, which
	// holds every job the drained requests committed; then Redis, which
	// both use. errors.Join calls them in that order.
	stopWork := func(ctx context.Context) error {
		return errors.Join(closeWebSockets(ctx, hub), drainTasks(ctx, queue), closeRedis(rdb))
	}

	checks := []handlers.Check{
		{Name: "storage", Func: store.Check},
		// Failing while the chat cannot reach the other instances (see README).
		{Name: "chat", Func: func(context.Context) error { return hub.Ready() }},
	}
	if rdb != nil {
		checks = append(checks, handlers.Check{Name: "redis", Func: func(ctx context.Context) error {
			return rdb.Ping(ctx).Err()
		}})
	}
	health := handlers.NewHealth(checks...)
	m := metrics.New()
	taskMetrics(ctx, m, queue, log)
	chatMetrics(m, hub)
	//nolint:contextcheck // Handlers use each request's own context.
	e := handlers.NewServer(cfg.Server, handlers.Deps{
		Log: log, Health: health, Files: store, Static: page, Tasks: queue, WebSockets: hub, Metrics: m,
	})

	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		// The header middleware answers problem+json at MaxHeaderBytes;
		// this twice-as-large limit is net/http's hard stop behind it.
		MaxHeaderBytes: 2 * cfg.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "env", cfg.AppEnv, "version", buildVersion())

	var metricsSrv *http.Server
	if metricsLn != nil {
		metricsSrv = &http.Server{Handler: m.Handler(), ReadHeaderTimeout: cfg.ReadHeaderTimeout}
		go func() { _ = metricsSrv.Serve(metricsLn) }() // Ends with ErrServerClosed at shutdown.
		log.Info("serving metrics", "addr", metricsLn.Addr().String())
	}

	select {
	case err := <-serveErr:
		// No request is left to drain, but accepted jobs and open
		// WebSockets are.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(fmt.Errorf("serve http: %w", err), stopWork(stopCtx))
	case <-ctx.Done():
		// From here a second SIGINT or SIGTERM ends the process at once, as
		// an impatient operator expects.
		stop()
	}

	// Shutdown, in order: stop looking ready, give load balancers a moment,
	// drain HTTP, then stop the rest (stopWork). One deadline covers all.
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	health.StartShutdown()
	time.Sleep(cfg.ShutdownDelay)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()

	var httpErr error
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		httpErr = fmt.Errorf("drain http: %w", err)
	} else if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		httpErr = fmt.Errorf("serve http: %w", err)
	}
	if metricsSrv != nil {
		// Last of the listeners, so the drain can still be scraped.
		_ = metricsSrv.Shutdown(shutdownCtx)
	}
	// Runs even when HTTP ran out of time, so every WebSocket hears 1001
	// and the dropped jobs are logged.
	if err := errors.Join(httpErr, stopWork(shutdownCtx)); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// startChat starts the WebSocket hub of /ws and /chat. With rdb
// (REDIS_URL) its chat travels over Redis pub/sub on WS_REDIS_CHANNEL, so
// the clients of every instance chat together; without, it stays within
// this instance. The hub uses rdb but does not own it.
func startChat(cfg config, rdb *redis.Client, log *slog.Logger) (*ws.Hub, error) {
	broker := ws.Broker(ws.NewMemoryBroker())
	if rdb != nil {
		broker = redisbroker.New(rdb, cfg.WSRedisChannel)
	}
	wsCfg := cfg.WebSockets
	wsCfg.UpgradeError = handlers.UpgradeError
	hub, err := ws.NewHub(wsCfg, broker, log)
	if err != nil {
		return nil, fmt.Errorf("websocket hub: %w", err)
	}
	return hub, nil
}

// closeWebSockets closes every WebSocket with 1001 (Going Away) and waits
// for the hub's goroutines, or cuts the connections when ctx ends first.
func closeWebSockets(ctx context.Context, hub *ws.Hub) error {
	if err := hub.Shutdown(ctx); err != nil {
		return fmt.Errorf("close websockets: %w", err)
	}
	return nil
}

// pageFiles returns the handler for the page and its assets: the files
// built into the binary, or those in dir (STATIC_DIR), read afresh on every
// request so edits show at once. The returned func closes dir.
func pageFiles(dir string, maxAge time.Duration) (*static.Handler, func(), error) {
	if dir == "" {
		h, err := static.New(web.Static(), static.Options{MaxAge: maxAge})
		if err != nil {
			return nil, nil, fmt.Errorf("load built-in static files: %w", err)
		}
		return h, func() {}, nil
	}
	// os.Root, unlike os.DirFS, refuses symbolic links out of the directory.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("STATIC_DIR: %w", err)
	}
	h, err := static.New(root.FS(), static.Options{Live: true, MaxAge: maxAge})
	if err != nil {
		root.Close()
		return nil, nil, fmt.Errorf("STATIC_DIR: %w", err)
	}
	return h, func() { root.Close() }, nil
}
