// Command soak runs the service under a mixed load while it injects faults,
// then checks that nothing was lost: every accepted email delivered (exactly
// once with the in-memory queue, at least once and recognisably so with
// Redis), every upload byte-identical on download, no temporary file left
// behind, every chat message delivered to every client that kept reading,
// memory, goroutines and descriptors back near where they started, and a
// clean exit (0) after every SIGTERM. It prints a report and exits 1 if any
// check failed.
//
// It runs a built service binary in two scenarios: "embedded" (one instance,
// the in-process task queue, a storage directory) and "redis" (two
// instances sharing a Redis and an S3 bucket). It starts everything it talks
// to itself, on free loopback ports: the service, a redis-server of its own
// (restarted as a fault, so the machine's Redis is never touched), a
// versitygw serving the bucket and an SMTP server in-process. It sends traffic to 127.0.0.1 only, and is bounded in time
// (-duration per scenario) and in requests (-max-requests).
//
//	make build && go -C e2e run ./cmd/soak -api ../bin/api -duration 60s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(1)
	}
}

// options are the soak's flags.
type options struct {
	apiBinary   string
	redisServer string
	versitygw   string // feature:files
	duration    time.Duration
	scenarios   []scenario
	chatClients int // feature:websockets
	rate        float64
	maxRequests int64
	keep        bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	opts, err := parseOptions(ctx, args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var failed []string
	for _, sc := range opts.scenarios {
		rep, err := runScenario(ctx, sc, opts, stdout)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		rep.write(stdout)
		if !rep.passed() {
			failed = append(failed, sc.name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("checks failed in: %s", strings.Join(failed, ", "))
	}
	fmt.Fprintln(stdout, "\nsoak: every check passed")
	return nil
}

func parseOptions(ctx context.Context, args []string, usage io.Writer) (options, error) {
	var (
		o         options
		scenarios string
	)
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&o.apiBinary, "api", "../bin/api", "the service binary to run (make build; the default is bin/api, seen from e2e/)")
	fs.StringVar(&o.redisServer, "redis-server", "redis-server", "the redis-server binary the redis scenario starts")
	fs.StringVar(&o.versitygw, "versitygw", "versitygw", "the versitygw binary (on PATH or in $(go env GOPATH)/bin) the redis scenario keeps uploads in") // feature:files
	fs.DurationVar(&o.duration, "duration", time.Minute, "how long the load runs, per scenario")
	fs.StringVar(&scenarios, "scenarios", "embedded,redis", "scenarios to run, comma-separated: embedded, redis")
	fs.IntVar(&o.chatClients, "chat-clients", 200, "chat clients, of which one in ten stalls and one in ten vanishes") // feature:websockets
	fs.Float64Var(&o.rate, "rate", 120, "small GETs per second; the other requests scale with it")
	fs.Int64Var(&o.maxRequests, "max-requests", 1_000_000, "stop sending after this many requests, whatever the duration")
	fs.BoolVar(&o.keep, "keep", false, "keep the logs, uploads and Redis files of passing scenarios too")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for name := range strings.SplitSeq(scenarios, ",") {
		sc, err := scenarioNamed(strings.TrimSpace(name))
		if err != nil {
			return o, err
		}
		o.scenarios = append(o.scenarios, sc)
	}
	switch {
	case o.duration < 5*time.Second || o.duration > time.Hour:
		return o, fmt.Errorf("-duration: %v is not between 5s and 1h", o.duration)
	// feature:websockets begin
	case o.chatClients < 0 || o.chatClients > 2000:
		return o, fmt.Errorf("-chat-clients: %d is not between 0 and 2000", o.chatClients)
	// feature:websockets end
	case o.rate <= 0 || o.rate > 5000:
		return o, fmt.Errorf("-rate: %v is not between 0 and 5000", o.rate)
	case o.maxRequests <= 0:
		return o, errors.New("-max-requests: must be positive")
	}
	if _, err := os.Stat(o.apiBinary); err != nil {
		return o, fmt.Errorf("-api: %w (build it with make build)", err)
	}
	for _, sc := range o.scenarios {
		if sc.redis {
			path, err := exec.LookPath(o.redisServer)
			if err != nil {
				return o, fmt.Errorf("-redis-server: %w (the redis scenario needs it; apt-get install redis-server)", err)
			}
			o.redisServer = path
			// feature:files begin
			if o.versitygw, err = findVersitygw(ctx, o.versitygw); err != nil {
				return o, fmt.Errorf("-versitygw: %w (the redis scenario keeps uploads in S3; go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)", err)
			}
			// feature:files end
		}
	}
	return o, nil
}
