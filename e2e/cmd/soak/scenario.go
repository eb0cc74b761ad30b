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
		return fmt.Sprintf("%d instances, Redis task queue and chat broker, shared storage", sc.instances)
	}
	return "1 instance, in-process task queue and chat"
}

const (
	// soakMaxUpload is the service's MAX_UPLOAD_BYTES during the soak:
	// smaller than the default, so that uploads over the limit stay cheap
	// on a small machine.
	soakMaxUpload = 16 << 20
	// shutdownWait is how long an instance may take to exit after SIGTERM:
	// its SHUTDOWN_DELAY and SHUTDOWN_TIMEOUT (the defaults), and slack.
	shutdownWait = 30 * time.Second
	// deliveryWait bounds the wait for the last emails after the load:
	// retries after the mail server's failure back off for up to 15s.
	deliveryWait = 90 * time.Second
)

// serviceEnv is the whole environment of an instance: the service's
// defaults but for where it listens, keeps files and sends mail.
func serviceEnv(addr, storageDir, smtpURL, redisURL string) []string {
	env := []string{
		"HTTP_ADDR=" + addr,
		"STORAGE_DIR=" + storageDir,
		"LOG_FORMAT=json",
		"SHUTDOWN_DELAY=500ms",
		fmt.Sprintf("MAX_UPLOAD_BYTES=%d", soakMaxUpload),
		"SMTP_URL=" + smtpURL,
		"MAIL_FROM=soak@example.com",
	}
	if redisURL != "" {
		env = append(env, "REDIS_URL="+redisURL)
	}
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
	mail      *mailSink
	redis     *redisServer
	instances []*instance
	cluster   *cluster
	storage   string

	rec    *recorder
	faults *faultLog
	notify *notifyLoad
	files  *fileLoad
	chat   *chatLoad
	routes map[string]bool // which of notify, chat and ws the service has

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
		notify:   newNotifyLoad(sc.name),
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
	s.storage = filepath.Join(dir, "uploads")
	if s.mail, err = startMailSink(ctx); err != nil {
		return err
	}
	redisURL := ""
	if s.sc.redis {
		if s.redis, err = startRedis(ctx, s.opts.redisServer, filepath.Join(dir, "redis")); err != nil {
			return err
		}
		redisURL = s.redis.url()
	}
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
			env: serviceEnv(addr, s.storage, s.mail.url(), redisURL),
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
	s.routes = s.probeRoutes(ctx)
	s.files = &fileLoad{cl: s.cluster, client: s.client, rec: s.rec, maxUpload: soakMaxUpload}
	s.chat = newChatLoad(s.cluster, s.rec, s.faults, s.opts.chatClients)

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

// probeRoutes finds whether the service has POST /notify, GET /chat and
// GET /ws. Without one (a copy of the template that dropped a feature) the
// rest of the soak still runs, and the checks the route would feed fail
// with a clear reason rather than a flood of 404s.
func (s *soak) probeRoutes(ctx context.Context) map[string]bool {
	base := s.instances[0].base()
	found := map[string]bool{}
	for _, p := range []struct{ name, method, path string }{
		{"notify", http.MethodPost, "/notify"},
		{"chat", http.MethodGet, "/chat"},
		{"ws", http.MethodGet, "/ws"},
	} {
		req, err := http.NewRequestWithContext(ctx, p.method, base+p.path, nil)
		if err != nil {
			continue
		}
		resp, err := s.client.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		found[p.name] = resp.StatusCode != http.StatusNotFound
	}
	return found
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
	if s.routes["notify"] {
		wg.Go(func() { s.notify.send(loadCtx, s.cluster, s.client, s.rec, s.faults, rate/10) })
	}
	wg.Go(func() {
		paced(loadCtx, s.rec, rate/40, 2, func(reqCtx context.Context, rng *rand.Rand) { s.files.upload(reqCtx, loadCtx, rng) })
	})
	wg.Go(func() {
		paced(loadCtx, s.rec, rate/20, 2, func(reqCtx context.Context, rng *rand.Rand) { s.files.download(reqCtx, loadCtx, rng) })
	})
	chat := s.routes["chat"] && s.routes["ws"]
	if chat {
		s.chat.start(loadCtx)
	}
	wg.Go(func() { s.watch(loadCtx) })
	var faultErr error
	wg.Go(func() { faultErr = s.injectFaults(loadCtx) })
	wg.Wait()
	if chat {
		s.logf("load over; closing the chat clients")
		s.chat.stop()
	}
	if faultErr != nil {
		s.rep.check("faults injected", false, faultErr.Error())
	}
}

// injectFaults makes the mail server fail for a while, restarts Redis (in
// the Redis scenario) and restarts the last instance with SIGTERM, each at
// its point of the run.
func (s *soak) injectFaults(ctx context.Context) error {
	d := s.opts.duration
	// Each fault, once begun, is carried through even if the load ends
	// meanwhile, so that nothing is left half-broken.
	finish := context.WithoutCancel(ctx)
	if s.until(ctx, 0.15) {
		outage := min(max(d/8, 2*time.Second), 6*time.Second)
		end := s.faults.begin(faultSMTP)
		s.mail.setFailing(true)
		s.event("SMTP server answers 451 to every message for %v", outage)
		time.Sleep(outage)
		s.mail.setFailing(false)
		end()
		s.event("SMTP server accepts mail again")
	}
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
	if s.mail != nil {
		s.mail.close()
	}
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
