package ws_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The benchmarks measure the server's CPU with getrusage, which counts the
// whole process. WebSocket clients in the same process would be counted too,
// so the benchmarks start them in a child process: a "fleet" made from this
// test binary (TestMain runs runFleet when fleetEnv is set). The fleet and the
// benchmark talk over the child's stdin and stdout, one JSON line at a time.

// fleetEnv carries the fleet's fleetConfig, as JSON, to the child process.
const fleetEnv = "WS_BENCH_FLEET"

type fleetConfig struct {
	URL     string // chat URL to dial
	Readers int    // clients that read and time every message
	Stalled int    // clients that never read
	// Quiet says the server sends no join notices (gorilla's chat example),
	// so a client does not wait for its own before the next one dials.
	Quiet bool
	// Echoers, when set, makes an echo fleet instead: clients of URL that
	// each run round trips (send a timed message, read the reply).
	Echoers int
}

// fleetReport is the fleet's last line: what its readers received.
type fleetReport struct {
	Messages int64   // timed messages received by all readers together
	P50us    float64 // delivery latency percentiles, microseconds
	P99us    float64
	CPUus    float64 // CPU time the fleet used while counting, microseconds
	Errors   int64   // readers whose connection failed
}

// fleet is the benchmark's handle on the child process.
type fleet struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startFleet starts the child process and returns once all its clients are
// connected.
func startFleet(b *testing.B, cfg fleetConfig) *fleet {
	b.Helper()
	env, err := json.Marshal(cfg)
	if err != nil {
		b.Fatalf("encode fleet config: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fleetEnv+"="+string(env))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatalf("fleet stdin: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatalf("fleet stdout: %v", err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start fleet: %v", err)
	}
	f := &fleet{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	if line := f.line(b); line != "ready" {
		b.Fatalf("fleet said %q, want ready", line)
	}
	return f
}

func (f *fleet) line(b *testing.B) string {
	b.Helper()
	if !f.out.Scan() {
		b.Fatalf("fleet ended: %v", f.out.Err())
	}
	return f.out.Text()
}

// measure tells the fleet to start counting and timing messages.
func (f *fleet) measure(b *testing.B) {
	b.Helper()
	fmt.Fprintln(f.stdin, "measure")
	if line := f.line(b); line != "measuring" {
		b.Fatalf("fleet said %q, want measuring", line)
	}
}

// wait blocks until every reader has received n timed messages since measure
// and returns the fleet's report.
func (f *fleet) wait(b *testing.B, n int) fleetReport {
	b.Helper()
	fmt.Fprintln(f.stdin, n)
	var r fleetReport
	if err := json.Unmarshal([]byte(f.line(b)), &r); err != nil {
		b.Fatalf("fleet report: %v", err)
	}
	return r
}

// stop ends the child process, closing its connections.
func (f *fleet) stop(b *testing.B) {
	b.Helper()
	f.stdin.Close()
	if err := f.cmd.Wait(); err != nil {
		b.Errorf("fleet: %v", err)
	}
}

// timedMessage returns a chat line of 64 bytes that starts with the time it
// was sent, so a reader can tell its delivery latency.
func timedMessage() string {
	ts := strconv.FormatInt(time.Now().UnixNano(), 10)
	return ts + " " + strings.Repeat("x", 64-len(ts)-1)
}

// sentAt parses the time written by timedMessage; ok is false for other
// messages, such as join notices.
func sentAt(msg []byte) (t time.Time, ok bool) {
	i := strings.IndexByte(string(msg), ' ')
	if i <= 0 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(msg[:i]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// runFleet is the child process: it connects the clients, says "ready", and
// then follows the benchmark's commands on stdin: "measure" resets the
// counters, a number n waits until every reader has n timed messages (or
// gives up after a minute) and prints a fleetReport; end of input ends it.
func runFleet() int {
	var cfg fleetConfig
	if err := json.Unmarshal([]byte(os.Getenv(fleetEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fleet config:", err)
		return 2
	}
	if cfg.Echoers > 0 {
		return runEchoFleet(cfg)
	}
	var (
		hist     histogram
		counting atomic.Bool
		errs     atomic.Int64
		counts   = make([]atomic.Int64, cfg.Readers)
		conns    []*websocket.Conn
		wg       sync.WaitGroup
	)
	dialer := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 256}
	for i := range cfg.Readers + cfg.Stalled {
		d := dialer
		if i >= cfg.Readers {
			// A small receive buffer lets a stalled client fill up soon.
			d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetReadBuffer(4 << 10)
				}
				return conn, err
			}
		}
		conn, _, err := d.Dial(cfg.URL, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet dial:", err)
			return 1
		}
		conns = append(conns, conn)
		if i >= cfg.Readers {
			continue
		}
		// Each join is announced to everyone, so joining at full speed would
		// cost the server N²/2 deliveries in a burst and skew the measurement
		// (notices are best-effort and drop no one). The next client dials
		// once this one has its own join notice, its first message.
		joined := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := true; ; first = false {
				_, msg, err := conn.ReadMessage()
				if first && !cfg.Quiet {
					close(joined)
				}
				if err != nil {
					if counting.Load() {
						if errs.Add(1) == 1 {
							fmt.Fprintln(os.Stderr, "fleet read:", err)
						}
					}
					return
				}
				if sent, ok := sentAt(msg); ok && counting.Load() {
					hist.add(time.Since(sent))
					counts[i].Add(1)
				}
			}
		}()
		if !cfg.Quiet {
			<-joined
		}
	}
	fmt.Println("ready")

	var cpu0 time.Duration
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "measure" {
			hist.reset()
			for i := range counts {
				counts[i].Store(0)
			}
			cpu0 = processCPU()
			counting.Store(true)
			fmt.Println("measuring")
			continue
		}
		n, err := strconv.ParseInt(in.Text(), 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet command:", err)
			return 2
		}
		deadline := time.Now().Add(time.Minute)
		for i := range counts {
			for counts[i].Load() < n && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		report := fleetReport{
			CPUus:  float64(processCPU()-cpu0) / 1e3,
			P50us:  hist.quantile(0.50).Seconds() * 1e6,
			P99us:  hist.quantile(0.99).Seconds() * 1e6,
			Errors: errs.Load(),
		}
		for i := range counts {
			report.Messages += counts[i].Load()
		}
		line, _ := json.Marshal(report)
		fmt.Println(string(line))
	}
	counting.Store(false)
	for _, conn := range conns {
		conn.Close()
	}
	wg.Wait()
	return 0
}

// runEchoFleet is the child process of an echo benchmark: it connects
// cfg.Echoers clients and says "ready"; then "measure" resets the CPU count,
// and a number n makes every client run n round trips, one after another,
// and prints a fleetReport whose Messages counts the round trips.
func runEchoFleet(cfg fleetConfig) int {
	conns := make([]*websocket.Conn, cfg.Echoers)
	for i := range conns {
		conn, _, err := websocket.DefaultDialer.Dial(cfg.URL, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet dial:", err)
			return 1
		}
		defer conn.Close()
		conns[i] = conn
	}
	fmt.Println("ready")
	var cpu0 time.Duration
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "measure" {
			cpu0 = processCPU()
			fmt.Println("measuring")
			continue
		}
		n, err := strconv.Atoi(in.Text())
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet command:", err)
			return 2
		}
		var (
			hist  histogram
			trips atomic.Int64
			errs  atomic.Int64
			wg    sync.WaitGroup
		)
		for _, conn := range conns {
			wg.Go(func() {
				for range n {
					msg := []byte(timedMessage())
					sent := time.Now()
					if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
						errs.Add(1)
						return
					}
					if _, _, err := conn.ReadMessage(); err != nil {
						errs.Add(1)
						return
					}
					hist.add(time.Since(sent))
					trips.Add(1)
				}
			})
		}
		wg.Wait()
		line, _ := json.Marshal(fleetReport{
			Messages: trips.Load(),
			CPUus:    float64(processCPU()-cpu0) / 1e3,
			P50us:    hist.quantile(0.50).Seconds() * 1e6,
			P99us:    hist.quantile(0.99).Seconds() * 1e6,
			Errors:   errs.Load(),
		})
		fmt.Println(string(line))
	}
	return 0
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(fmt.Sprintf("getrusage: %v", err))
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// histogram counts durations in buckets 1% wide, so its quantiles are exact
// to 1% without keeping every sample. It is safe for concurrent use.
type histogram struct {
	counts [2048]atomic.Int64 // bucket i holds [1.01^(i-1), 1.01^i) µs
}

var logStep = math.Log(1.01)

func (h *histogram) add(d time.Duration) {
	us := float64(d) / float64(time.Microsecond)
	i := 0
	if us >= 1 {
		i = min(int(math.Log(us)/logStep)+1, len(h.counts)-1)
	}
	h.counts[i].Add(1)
}

func (h *histogram) reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	var total int64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	rank := int64(math.Ceil(q * float64(total)))
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank && seen > 0 {
			return time.Duration(math.Pow(1.01, float64(i)) * float64(time.Microsecond))
		}
	}
	return 0
}
