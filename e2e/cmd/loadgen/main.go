// Command loadgen drives HTTP load at a server on this machine and prints
// throughput and latency, so `make bench` needs nothing beyond Go. With
// -serve-bare it instead runs a bare net/http server that answers GET
// /headers as the service does, as a baseline for the middleware cost;
// -headers-like URL adds the response headers URL answers with, so a second
// baseline shows what those bytes on the wire cost without any code, and
// -log FILE writes a JSON request line per request as the service does,
// with log/slog, buffered: what the line costs without a framework.
package main

import (
	"bufio"
	"context"
	"encoding/json"
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
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var (
		target      = fs.String("url", "", "URL to GET (must be on this machine)")
		conns       = fs.Int("c", 32, "concurrent keep-alive connections")
		duration    = fs.Duration("d", 5*time.Second, "how long to send requests")
		maxRequests = fs.Int("n", 10_000_000, "stop after this many requests")
		label       = fs.String("label", "", "name printed with the result")
		bare        = fs.String("serve-bare", "", "instead of sending load, serve the bare baseline on this address")
		like        = fs.String("headers-like", "", "with -serve-bare: send the response headers this URL answers with too")
		logFile     = fs.String("log", "", "with -serve-bare: log a JSON line per request to this file, as the service does")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *bare != "" {
		extra := http.Header{}
		if *like != "" {
			var err error
			if extra, err = headersOf(ctx, *like); err != nil {
				return err
			}
		}
		return serveBare(ctx, *bare, extra, *logFile)
	}
	if *target == "" {
		return errors.New("-url is required")
	}
	res, err := drive(ctx, *target, *conns, *duration, *maxRequests)
	if err != nil {
		return err
	}
	res.print(stdout, *label)
	return nil
}

// headersOf returns the response headers of a GET of url, but for those
// net/http writes itself.
func headersOf(ctx context.Context, url string) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("headers of %s: %w", url, err)
	}
	_ = res.Body.Close()
	h := res.Header.Clone()
	for _, k := range []string{"Date", "Content-Length", "Content-Type"} {
		h.Del(k)
	}
	return h, nil
}

// serveBare answers GET /headers like the service, with nothing around it
// but the extra headers, which it copies into each response.
func serveBare(ctx context.Context, addr string, extra http.Header, logFile string) error {
	var log *slog.Logger
	if logFile != "" {
		f, err := os.Create(logFile) //nolint:gosec // The operator names the file on the command line.
		if err != nil {
			return err
		}
		defer f.Close()
		buf := bufio.NewWriterSize(f, 64<<10) // as the service's logging.FlushWriter
		defer buf.Flush()
		log = slog.New(slog.NewJSONHandler(buf, nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /headers", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var body struct {
			UserAgent *string `json:"User-Agent"`
		}
		if ua := r.Header.Values("User-Agent"); len(ua) > 0 {
			body.UserAgent = &ua[0]
		}
		h := w.Header()
		for k, v := range extra {
			h[k] = v
		}
		h.Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
		if log != nil {
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", "/headers"),
				slog.Int("status", http.StatusOK), slog.String("latency", time.Since(start).String()),
				slog.Int64("bytes_out", 29), slog.String("remote_ip", r.RemoteAddr),
				slog.String("user_agent", r.UserAgent()), slog.String("request_id", h.Get("X-Request-Id")))
		}
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		// ctx is already done; the shutdown gets a short budget of its own.
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type result struct {
	requests  int
	errors    int
	statuses  map[int]int
	latencies []time.Duration
	elapsed   time.Duration
}

// drive sends GETs to target from conns workers until duration or max
// requests, whichever comes first. Load only ever goes to loopback.
func drive(ctx context.Context, target string, conns int, duration time.Duration, maxRequests int) (*result, error) {
	tr := &http.Transport{
		MaxIdleConnsPerHost: conns,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("refusing to send load to %s: loopback only", host)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var (
		mu    sync.Mutex
		total = &result{statuses: map[int]int{}}
		left  = maxRequests
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			local := &result{statuses: map[int]int{}}
			for ctx.Err() == nil {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					break
				}
				left--
				mu.Unlock()

				req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				if err != nil {
					local.errors++
					break
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						local.errors++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local.latencies = append(local.latencies, time.Since(t0))
				local.statuses[resp.StatusCode]++
				local.requests++
			}
			mu.Lock()
			total.requests += local.requests
			total.errors += local.errors
			total.latencies = append(total.latencies, local.latencies...)
			for k, v := range local.statuses {
				total.statuses[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	if total.requests == 0 {
		return nil, fmt.Errorf("no request to %s succeeded (%d errors)", target, total.errors)
	}
	return total, nil
}

func (r *result) print(w io.Writer, label string) {
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration { return r.latencies[int(p*float64(len(r.latencies)-1))] }
	fmt.Fprintf(w, "%-12s %9.0f req/s  p50 %-9v p99 %-9v requests %d errors %d statuses %v\n",
		label, float64(r.requests)/r.elapsed.Seconds(), pct(0.50).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), r.requests, r.errors, r.statuses)
}
