package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// scenario is one way to run the service.
type scenario struct {
	name      string
	instances int
	redis     bool
}

func scenarioNamed(name string) (scenario, error) {
	switch name {
	case "embedded":
		return scenario{name: name, instances: 1}, nil
	case "redis":
		return scenario{name: name, instances: 2, redis: true}, nil
	}
	return scenario{}, fmt.Errorf("-scenarios: unknown scenario %q (embedded or redis)", name)
}

func (sc scenario) describe() string {
	if sc.redis {
		return fmt.Sprintf("%d instances, Redis task queue and chat broker, uploads in one S3 bucket", sc.instances)
	}
	return "1 instance, in-process task queue and chat"
}

const (
	// shutdownWait is how long an instance may take to exit after SIGTERM:
	// its SHUTDOWN_DELAY and SHUTDOWN_TIMEOUT (the defaults), and slack.
	shutdownWait = 30 * time.Second
	// feature:files begin
	// soakMaxUpload is the service's MAX_UPLOAD_BYTES during the soak:
	// smaller than the default, so that uploads over the limit stay cheap
	// on a small machine.
	soakMaxUpload = 16 << 20
	// feature:files end
	// feature:tasks begin
	// deliveryWait bounds the wait for the last emails after the load:
	// retries after the mail server's failure back off for up to 15s.
	deliveryWait = 90 * time.Second
	// feature:tasks end
)

// serviceEnv is the whole environment of an instance: the service's
// defaults but for where it listens, reaches Redis, keeps files and sends
// mail.
func (s *soak) serviceEnv(addr string) []string {
	env := []string{
		"HTTP_ADDR=" + addr,
		"LOG_FORMAT=json",
		"SHUTDOWN_DELAY=500ms",
		"TRUSTED_PROXIES=127.0.0.1/32",                    // see manyClients
		"STORAGE_DIR=" + s.storage,                        // feature:files (unused with a bucket)
		fmt.Sprintf("MAX_UPLOAD_BYTES=%d", soakMaxUpload), // feature:files
		"SMTP_URL=" + s.mail.url(),                        // feature:tasks
		"MAIL_FROM=soak@example.com",                      // feature:tasks
	}
	if s.redis != nil {
		env = append(env, "REDIS_URL="+s.redis.url())
	}
	// feature:files begin
	if s.objects != nil {
		env = append(env, s.objects.env()...)
	}
	// feature:files end
	return env
}

// soak is one scenario's run: the processes, the load and what it found.
type soak struct {
	sc       scenario
	opts     options
	progress io.Writer
	dir      string
	rep      *report

	client    *http.Client
	transport *http.Transport
	redis     *redisServer
	instances []*instance
	cluster   *cluster
	rec       *recorder
	faults    *faultLog

	// feature:tasks begin
	mail   *mailSink
	notify *notifyLoad
	// feature:tasks end
	// feature:files begin
	storage string       // the instances' STORAGE_DIR
	objects *objectStore // their bucket, in the two-instance scenario
	files   *fileLoad
	// feature:files end
	chat *chatLoad // feature:websockets

	mu       sync.Mutex
	baseline map[*instance]procSample
	peak     map[*instance]procSample
}

// runScenario starts everything, runs the load with its faults, checks the
// outcome and stops everything. An error means the soak itself could not
// run; failed checks are in the report.
func runScenario(ctx context.Context, sc scenario, opts options, progress io.Writer) (*report, error) {
	s := &soak{
		sc: sc, opts: opts, progress: progress,
		rep:      newReport(fmt.Sprintf("soak %s: %s, %v of load", sc.name, sc.describe(), opts.duration)),
		rec:      newRecorder(opts.maxRequests),
		faults:   newFaultLog(time.Now()),
		notify:   newNotifyLoad(sc.name), // feature:tasks
		baseline: map[*instance]procSample{},
		peak:     map[*instance]procSample{},
	}
	s.client, s.transport = newHTTPClient()
	defer s.tearDown(ctx)
	if err := s.setUp(ctx); err != nil {
		s.rep.check("start", false, err.Error()) // keeps the work directory
		return nil, fmt.Errorf("%w (work directory %s)", err, s.dir)
	}
	s.load(ctx)
	s.verify(ctx)
	return s.rep, nil
}

func (s *soak) logf(format string, args ...any) {
	fmt.Fprintf(s.progress, "soak %s: %s\n", s.sc.name, fmt.Sprintf(format, args...))
}

func (s *soak) setUp(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "soak-"+s.sc.name+"-")
	if err != nil {
		return fmt.Errorf("create work directory: %w", err)
	}
	s.dir = dir
	if s.sc.redis {
		if s.redis, err = startRedis(ctx, s.opts.redisServer, filepath.Join(dir, "redis")); err != nil {
			return err
		}
	}
	// feature:tasks begin
	if s.mail, err = startMailSink(ctx); err != nil {
		return err
	}
	// feature:tasks end
	// feature:files begin
	s.storage = filepath.Join(dir, "uploads")
	if s.sc.redis {
		if s.objects, err = startObjectStore(ctx, s.opts.versitygw, filepath.Join(dir, "s3")); err != nil {
			return err
		}
	}
	// feature:files end
	for i := range s.sc.instances {
		port, err := freePort(ctx)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("api-%d", i+1)
		log, err := os.Create(filepath.Join(dir, name+".log")) //nolint:gosec // a file of the soak's own work directory
		if err != nil {
			return fmt.Errorf("create log of %s: %w", name, err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		s.instances = append(s.instances, &instance{
			name: name, addr: addr, binary: s.opts.apiBinary, log: log,
			env: s.serviceEnv(addr),
		})
	}
	s.cluster = newCluster(s.instances)
	started := s.faults.begin(windowStart)
	for _, in := range s.instances {
		if err := in.start(ctx); err != nil {
			return err
		}
	}
	for _, in := range s.instances {
		if err := in.waitReady(ctx, s.client); err != nil {
			return err
		}
		s.cluster.setUp(in, true)
	}
	started()
	s.files = &fileLoad{cl: s.cluster, client: s.client, rec: s.rec, maxUpload: soakMaxUpload} // feature:files
	s.chat = newChatLoad(s.cluster, s.rec, s.faults, s.opts.chatClients)                       // feature:websockets

	// The starting level the leak checks compare with.
	for _, in := range s.instances {
		sample, err := s.sample(ctx, in)
		if err != nil {
			return err
		}
		s.baseline[in], s.peak[in] = sample, sample
	}
	s.logf("%s up (work directory %s)", s.sc.describe(), dir)
	return nil
}

// load runs every kind of traffic at once for the duration, with the
// faults, then lets the requests under way finish.
func (s *soak) load(ctx context.Context) {
	loadCtx, cancel := context.WithTimeout(ctx, s.opts.duration)
	defer cancel()
	s.faults.start = time.Now()
	s.logf("load for %v", s.opts.duration)
	rate := s.opts.rate

	var wg sync.WaitGroup
	wg.Go(func() { sendSmallGETs(loadCtx, s.cluster, s.client, s.rec, s.faults, rate) })
	wg.Go(func() { s.notify.send(loadCtx, s.cluster, s.client, s.rec, s.faults, rate/10) }) // feature:tasks
	// feature:files begin
	wg.Go(func() {
		paced(loadCtx, s.rec, rate/40, 2, func(reqCtx context.Context, rng *rand.Rand) { s.files.upload(reqCtx, loadCtx, rng) })
	})
	wg.Go(func() {
		paced(loadCtx, s.rec, rate/20, 2, func(reqCtx context.Context, rng *rand.Rand) { s.files.download(reqCtx, loadCtx, rng) })
	})
	// feature:files end
	s.chat.start(loadCtx) // feature:websockets
	wg.Go(func() { s.watch(loadCtx) })
	var faultErr error
	wg.Go(func() { faultErr = s.injectFaults(loadCtx) })
	wg.Wait()
	// feature:websockets begin
	s.logf("load over; closing the chat clients")
	s.chat.stop()
	// feature:websockets end
	if faultErr != nil {
		s.rep.check("faults injected", false, faultErr.Error())
	}
}

// injectFaults runs the faults, each at its point of the run: the mail
// server fails for a while, Redis restarts (in the Redis scenario) and the
// last instance restarts after a SIGTERM.
func (s *soak) injectFaults(ctx context.Context) error {
	// Each fault, once begun, is carried through even if the load ends
	// meanwhile, so that nothing is left half-broken.
	finish := context.WithoutCancel(ctx)
	// feature:tasks begin
	if s.until(ctx, 0.15) {
		outage := min(max(s.opts.duration/8, 2*time.Second), 6*time.Second)
		end := s.faults.begin(faultSMTP)
		s.mail.setFailing(true)
		s.event("SMTP server answers 451 to every message for %v", outage)
		time.Sleep(outage)
		s.mail.setFailing(false)
		end()
		s.event("SMTP server accepts mail again")
	}
	// feature:tasks end
	if s.redis != nil && s.until(ctx, 0.40) {
		end := s.faults.begin(faultRedis)
		s.event("Redis: SHUTDOWN SAVE, down for 1s, started again")
		start := time.Now()
		err := s.redis.restart(finish, time.Second)
		end()
		if err != nil {
			return fmt.Errorf("restart Redis: %w", err)
		}
		s.event("Redis answers again, %v after it went down", time.Since(start).Round(time.Millisecond))
	}
	if s.until(ctx, 0.60) {
		return s.restart(finish, s.instances[len(s.instances)-1])
	}
	return nil
}

// until sleeps until the given fraction of the load's duration and
// reports whether the load is still on.
func (s *soak) until(ctx context.Context, fraction float64) bool {
	at := s.faults.start.Add(time.Duration(fraction * float64(s.opts.duration)))
	sleepCtx(ctx, time.Until(at))
	return ctx.Err() == nil
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (s *soak) event(format string, args ...any) {
	s.faults.event(format, args...)
	s.logf("fault: "+format, args...)
}

// restart takes in out of the rotation, sends it SIGTERM, and starts it
// again once it has exited, as an orchestrator rolling out a release does.
func (s *soak) restart(ctx context.Context, in *instance) error {
	end := s.faults.begin(faultRestart)
	defer end()
	s.cluster.setUp(in, false)
	code, took, err := in.stop(shutdownWait)
	s.event("SIGTERM %s: exit code %d after %v", in.name, code, took.Round(time.Millisecond))
	if err != nil {
		return err
	}
	start := time.Now()
	if err := in.start(ctx); err != nil {
		return err
	}
	if err := in.waitReady(ctx, s.client); err != nil {
		return err
	}
	s.cluster.setUp(in, true)
	s.event("%s started again, ready in %v", in.name, time.Since(start).Round(time.Millisecond))
	return nil
}

// watch samples every instance each second during the load, for the peaks.
func (s *soak) watch(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, in := range s.instances {
			cur, err := sampleProcess(in.pid())
			if err != nil {
				continue // it is restarting
			}
			s.mu.Lock()
			p := s.peak[in]
			p.RSS, p.Threads, p.FDs = max(p.RSS, cur.RSS), max(p.Threads, cur.Threads), max(p.FDs, cur.FDs)
			s.peak[in] = p
			s.mu.Unlock()
		}
	}
}

// sample reads an instance's process and its goroutines.
func (s *soak) sample(ctx context.Context, in *instance) (procSample, error) {
	sample, err := sampleProcess(in.pid())
	if err != nil {
		return sample, fmt.Errorf("sample %s: %w", in.name, err)
	}
	// A connection of its own, closed after: the soak's pooled ones
	// would count among the descriptors.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: s.transport.DialContext}, Timeout: 10 * time.Second}
	sample.Goroutines = goroutines(ctx, client, in.base())
	return sample, nil
}

// tearDown stops whatever still runs and removes the work directory of a
// scenario that passed.
func (s *soak) tearDown(ctx context.Context) {
	for _, in := range s.instances {
		in.kill()
		in.log.Close()
	}
	if s.redis != nil {
		_ = s.redis.shutdown(context.WithoutCancel(ctx), false)
	}
	// feature:files begin
	if s.objects != nil {
		s.objects.stop()
	}
	// feature:files end
	// feature:tasks begin
	if s.mail != nil {
		s.mail.close()
	}
	// feature:tasks end
	s.transport.CloseIdleConnections()
	if s.dir == "" {
		return
	}
	if s.rep.passed() && !s.opts.keep {
		_ = os.RemoveAll(s.dir)
		return
	}
	s.rep.printf("logs, uploads and Redis files kept in %s\n", s.dir)
}
