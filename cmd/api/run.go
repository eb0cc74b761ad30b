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
	"slices"
	"syscall"
	"time"

	"example.com/echotemplate/internal/files" // feature:files
	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/mailer" // feature:tasks
	"example.com/echotemplate/internal/metrics"
	"example.com/echotemplate/internal/ratelimit"
	"example.com/echotemplate/internal/static"
	"example.com/echotemplate/web"
)

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
		fmt.Fprintln(stdout, versionLine())
		return nil
	case cfg.Healthcheck:
		return handlers.CheckLive(ctx, cfg.HTTPAddr)
	}
	logOut := logging.NewFlushWriter(stdout, logging.FlushInterval)
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
	// The operator's listeners, each when set: /metrics and profiles.
	operator := map[string]net.Listener{}
	for name, addr := range map[string]string{"METRICS_ADDR": cfg.MetricsAddr, "PPROF_ADDR": cfg.PprofAddr} {
		if addr != "" {
			if operator[name], err = lc.Listen(ctx, "tcp", addr); err != nil {
				return fmt.Errorf("listen on %s %s: %w", name, addr, err)
			}
			defer operator[name].Close()
		}
	}

	page, closePage, err := static.Open(web.Static(), cfg.StaticDir, cfg.StaticMaxAge)
	if err != nil {
		return err
	}
	defer closePage()
	m := metrics.New()
	deps := handlers.Deps{Log: log, Static: page, Metrics: m}
	var checks []handlers.Check

	// Each feature is one block (make remove-feature deletes it). Whatever
	// a block starts, it adds to stops, which run calls in reverse order at
	// shutdown, as defers are: the WebSockets (which http.Server.Shutdown
	// leaves open) close with 1001, then the task queue drains, then Redis,
	// which both use, closes.
	var stops []func(context.Context) error
	addStop := func(what string, stop func(context.Context) error) {
		stops = append(stops, func(ctx context.Context) error {
			if err := stop(ctx); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		})
	}
	stopWork := func(ctx context.Context) error {
		var errs []error
		for _, stop := range slices.Backward(stops) {
			errs = append(errs, stop(ctx))
		}
		return errors.Join(errs...)
	}
	rdb, err := openRedis(ctx, cfg.Redis, log)
	if err != nil {
		return err
	}
	if rdb != nil {
		addStop("close redis", func(context.Context) error { return rdb.Close() })
		// Reported, never failing readiness: only POST /notify needs Redis.
		checks = append(checks, handlers.Check{Name: "redis", Func: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }})
	}
	if n := cfg.RateLimitPerMinute; n > 0 {
		deps.RateLimit = ratelimit.New(ratelimit.Limit{N: n, Period: time.Minute}, "client", rdb)
	}
	// feature:files begin
	store, err := openStore(ctx, cfg)
	if err != nil {
		return errors.Join(err, stopWork(ctx))
	}
	deps.Files = store
	// A local directory is this instance's own: unwritable, it cannot serve.
	// A bucket is shared, so like Redis it is reported, never failing
	// readiness: one S3 blip would otherwise empty the load balancer.
	checks = append(checks, handlers.Check{Name: "storage", Func: store.Check, Required: cfg.StorageS3 == nil})
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	swept := make(chan struct{})
	go func() { defer close(swept); store.RunSweeper(sweepCtx, log) }()
	addStop("stop upload sweeper", func(context.Context) error { stopSweep(); <-swept; return nil })
	// feature:files end
	// feature:tasks begin
	queue, err := startTasks(ctx, cfg, rdb, m, log)
	if err != nil {
		return errors.Join(fmt.Errorf("background tasks: %w", err), stopWork(ctx))
	}
	deps.Tasks = queue
	if n := cfg.NotifyPerRecipientPerHour; n > 0 {
		deps.NotifyLimit = ratelimit.New(ratelimit.Limit{N: n, Period: time.Hour}, "recipient", rdb)
	}
	addStop("drain tasks", queue.Shutdown)
	if cfg.SMTP != nil { // Reported, never failing readiness: jobs wait and retry.
		checks = append(checks, handlers.Check{Name: "smtp", Func: mailer.Reachable(*cfg.SMTP)})
	}
	// feature:tasks end
	// feature:websockets begin
	//nolint:contextcheck // The hub's goroutines outlive the start; Shutdown stops them.
	hub, err := startChat(cfg, rdb, m, log)
	if err != nil {
		return errors.Join(err, stopWork(ctx))
	}
	deps.WebSockets = hub
	addStop("close websockets", hub.Shutdown)
	// Down while the chat cannot reach the other instances (see README).
	checks = append(checks, handlers.Check{Name: "chat", Func: func(context.Context) error { return hub.Ready() }})
	// feature:websockets end

	deps.Health = handlers.NewHealth(checks...)
	//nolint:contextcheck // Handlers use each request's own context.
	e := handlers.NewServer(cfg.Server, deps)

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

	var operatorSrvs []*http.Server
	for name, h := range map[string]http.Handler{"METRICS_ADDR": m.Handler(), "PPROF_ADDR": handlers.Pprof()} {
		if ln := operator[name]; ln != nil {
			s := &http.Server{Handler: h, ReadHeaderTimeout: cfg.ReadHeaderTimeout}
			operatorSrvs = append(operatorSrvs, s)
			go func() { _ = s.Serve(ln) }() // Ends with ErrServerClosed at shutdown.
			log.Info("serving "+name, "addr", ln.Addr().String())
		}
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
	deps.Health.StartShutdown()
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
	for _, s := range operatorSrvs {
		_ = s.Shutdown(shutdownCtx) // Last, so the drain can still be scraped.
	}
	// Runs even when HTTP ran out of time, so every WebSocket hears 1001
	// and the dropped jobs are logged.
	if err := errors.Join(httpErr, stopWork(shutdownCtx)); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// feature:files begin

// openStore opens the bucket STORAGE_URL names, else STORAGE_DIR. Either
// unreachable fails the start.
func openStore(ctx context.Context, cfg config) (*files.Store, error) {
	if cfg.StorageS3 == nil {
		store, err := files.NewStore(cfg.StorageDir, cfg.Storage)
		if err != nil {
			return nil, fmt.Errorf("open storage (STORAGE_DIR=%s): %w", cfg.StorageDir, err)
		}
		return store, nil
	}
	store, err := files.NewS3Store(ctx, *cfg.StorageS3, cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("open storage (STORAGE_URL bucket %s): %w", cfg.StorageS3.Bucket, err)
	}
	return store, nil
}

// feature:files end
