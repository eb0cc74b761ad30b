package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Leak bounds: how far above its starting level an instance may be once
// the load is over. They are generous, since the Go runtime returns memory
// to the system lazily and a busy machine is noisy; a leak grows with the
// load (one goroutine and descriptor per lost connection, memory per lost
// buffer) and overshoots them.
const (
	rssSlackRatio  = 1.5
	rssSlack       = 64 << 20
	fdSlack        = 50 // the Redis client's pool grows under load
	goroutineSlack = 20
	threadSlack    = 64 // Go keeps the threads it made for blocking calls
	settleTimeout  = 30 * time.Second
)

// verify checks everything the load left behind and writes the report.
func (s *soak) verify(ctx context.Context) {
	rep := s.rep
	rep.printf("faults\n")
	s.faults.print(&rep.body)

	// feature:tasks begin
	s.logf("waiting for the last emails")
	waited := s.notify.waitDelivered(ctx, s.mail, deliveryWait)
	// feature:tasks end
	// feature:files begin
	s.logf("downloading every stored file")
	files := s.files.verifyAll(ctx)
	// feature:files end

	s.logf("waiting for the instances to settle")
	s.transport.CloseIdleConnections()
	settled := map[*instance]procSample{}
	leaks := map[*instance][]string{}
	for _, in := range s.instances {
		settled[in], leaks[in] = s.settle(ctx, in)
	}

	s.logf("stopping the instances")
	for _, in := range s.instances {
		if _, _, err := in.stop(shutdownWait); err != nil {
			rep.check("exit after SIGTERM", false, err.Error())
		}
	}

	logs := s.scanLogs()

	// Requests.
	rep.printf("requests\n")
	s.rec.print(&rep.body)
	totals := s.rec.totals()
	var byOutcome []string
	for _, o := range slices.Sorted(maps.Keys(totals)) {
		byOutcome = append(byOutcome, fmt.Sprintf("%s:%d", o, totals[o]))
	}
	rep.printf("  all routes: %s\n", strings.Join(byOutcome, " "))
	n, problems := s.rec.problems()
	rep.check("every answer as expected", n == 0, fmt.Sprintf("%d unexpected outcomes", n)+samples(problems))

	s.checkEmails(waited)    // feature:tasks
	s.checkFiles(ctx, files) // feature:files
	s.checkChat()            // feature:websockets
	s.checkProcesses(settled, leaks)
	s.checkLogs(logs)
}

// settle waits for an instance to come back near its starting level after
// the load and returns its last sample, with what is still above bounds.
func (s *soak) settle(ctx context.Context, in *instance) (procSample, []string) {
	s.mu.Lock()
	base := s.baseline[in]
	s.mu.Unlock()
	deadline := time.Now().Add(settleTimeout)
	for {
		cur, err := s.sample(ctx, in)
		if err != nil {
			return cur, []string{err.Error()}
		}
		over := overBounds(base, cur)
		if len(over) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return cur, over
		}
		sleepCtx(ctx, time.Second)
	}
}

// overBounds lists what in cur is above the leak bounds set from base.
func overBounds(base, cur procSample) []string {
	var over []string
	if limit := max(int64(float64(base.RSS)*rssSlackRatio), base.RSS+rssSlack); cur.RSS > limit {
		over = append(over, fmt.Sprintf("RSS %s, over %s", mib(cur.RSS), mib(limit)))
	}
	if limit := base.FDs + fdSlack; cur.FDs > limit {
		over = append(over, fmt.Sprintf("%d descriptors, over %d", cur.FDs, limit))
	}
	if limit := base.Threads + threadSlack; cur.Threads > limit {
		over = append(over, fmt.Sprintf("%d threads, over %d", cur.Threads, limit))
	}
	if base.Goroutines >= 0 && cur.Goroutines >= 0 {
		if limit := base.Goroutines + max(goroutineSlack, base.Goroutines/5); cur.Goroutines > limit {
			over = append(over, fmt.Sprintf("%d goroutines, over %d", cur.Goroutines, limit))
		}
	}
	return over
}

func (s *soak) checkProcesses(settled map[*instance]procSample, leaks map[*instance][]string) {
	s.rep.printf("processes (start → peak → after the load)\n")
	var leaking []string
	goroutinesKnown := true
	for _, in := range s.instances {
		s.mu.Lock()
		base, peak := s.baseline[in], s.peak[in]
		s.mu.Unlock()
		cur := settled[in]
		g := "goroutines unknown (no /metrics)"
		if base.Goroutines >= 0 && cur.Goroutines >= 0 {
			g = fmt.Sprintf("goroutines %d → %d", base.Goroutines, cur.Goroutines)
		} else {
			goroutinesKnown = false
		}
		s.rep.printf("  %s: RSS %s → %s → %s, descriptors %d → %d → %d, threads %d → %d → %d, %s; exit codes %v\n",
			in.name, mib(base.RSS), mib(peak.RSS), mib(cur.RSS), base.FDs, peak.FDs, cur.FDs,
			base.Threads, peak.Threads, cur.Threads, g, in.codes())
		for _, o := range leaks[in] {
			leaking = append(leaking, in.name+": "+o)
		}
	}
	detail := "RSS within +50% or +64 MiB, descriptors +50, threads +64"
	if goroutinesKnown {
		detail += ", goroutines +20"
	}
	s.rep.check("memory, descriptors and goroutines back near their start", len(leaking) == 0, detail+samples(leaking))
	if !goroutinesKnown {
		s.rep.skip("goroutines", "the service exports no go_goroutines on /metrics; RSS, threads and descriptors stand in")
	}

	var bad []string
	for _, in := range s.instances {
		for _, code := range in.codes() {
			if code != 0 {
				bad = append(bad, fmt.Sprintf("%s exited %d", in.name, code))
			}
		}
	}
	s.rep.check("every process exited 0 after SIGTERM", len(bad) == 0, fmt.Sprintf("%d processes", s.processes())+samples(bad))
}

func (s *soak) processes() int {
	n := 0
	for _, in := range s.instances {
		n += len(in.codes())
	}
	return n
}

// serviceLogs is what the logs of every instance say, together.
type serviceLogs struct {
	lines, errors, excused, unexpected int
	samples                            []string
}

// scanLogs reads every instance's log once its processes have ended.
func (s *soak) scanLogs() serviceLogs {
	var all serviceLogs
	for _, in := range s.instances {
		c, err := scanLog(in.log.Name(), s.faults)
		if err != nil {
			all.unexpected++
			all.samples = append(all.samples, err.Error())
		}
		all.lines, all.errors, all.excused, all.unexpected = all.lines+c.lines, all.errors+c.errors, all.excused+c.excused, all.unexpected+c.unexpected
		for _, p := range c.samples {
			all.samples = append(all.samples, in.name+": "+p)
		}
	}
	return all
}

func (s *soak) checkLogs(logs serviceLogs) {
	s.rep.printf("logs\n  %d lines, %d at ERROR (%d of them during or just after a fault)\n", logs.lines, logs.errors, logs.excused)
	s.rep.check("no error logged outside the faults, and nothing but JSON", logs.unexpected == 0,
		fmt.Sprintf("%d unexpected", logs.unexpected)+samples(logs.samples))
}
