package ws_test

import (
	"context"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

// benchClients is the number of chat clients in the broadcast benchmarks.
const benchClients = 1000

// BenchmarkBroadcast broadcasts 64-byte messages to 1,000 chat clients, of
// which one never reads in the Stalled cases, under two loads:
//   - Saturated keeps 4 broadcasts in flight (as seen by a probe client),
//     which keeps the server busy while no reader falls behind: read its
//     deliveries/s and server-cpu-us/delivery;
//   - Paced sends 100 broadcasts a second (100,000 deliveries/s, about half
//     of what two cores sustain with the clients on the same machine): read
//     its p50-us and p99-us, the time from Broadcast to a client receiving
//     the message.
//
// server-cpu-us/delivery is the CPU time of the benchmark process per
// delivery: the hub, the broadcasting loop and one probe client. The other
// clients run in a child process (see fleet_test.go), whose CPU is reported
// as client-cpu-us/delivery. dropped counts clients the hub disconnected.
// Run with -benchtime=1000x: each run first connects 1,000 clients, which
// takes a few seconds, and Paced then takes 10 s.
func BenchmarkBroadcast(b *testing.B) {
	for _, stalled := range []int{0, 1} {
		name := ""
		if stalled > 0 {
			name = "/Stalled=1"
		}
		b.Run("Saturated"+name, func(b *testing.B) { benchBroadcast(b, stalled, 0) })
		b.Run("Paced"+name, func(b *testing.B) { benchBroadcast(b, stalled, 100) })
	}
}

// benchBroadcast runs b.N broadcasts, perSecond of them a second or, when
// perSecond is 0, as fast as a window of 4 in flight allows.
func benchBroadcast(b *testing.B, stalled, perSecond int) {
	hub, url := benchServer(b)
	ctx := context.Background()

	// The probe holds a window slot from Broadcast until it receives the
	// message.
	const inFlight = 4
	window := make(chan struct{}, inFlight)
	probe, _, err := websocket.DefaultDialer.Dial(url+"/chat", nil)
	if err != nil {
		b.Fatalf("dial probe: %v", err)
	}
	defer probe.Close()
	go func() {
		for {
			_, msg, err := probe.ReadMessage()
			if err != nil {
				return
			}
			if _, ok := sentAt(msg); ok && perSecond == 0 {
				<-window
			}
		}
	}()

	readers := benchClients - 1 - stalled
	f := startFleet(b, fleetConfig{URL: url + "/chat", Readers: readers, Stalled: stalled})
	defer f.stop(b)
	waitFor(b, hub, "the clients to join", func() bool { return hub.Stats().Connections == benchClients })
	time.Sleep(500 * time.Millisecond) // let the join notices drain before measuring

	f.measure(b)
	dropped0 := hub.Stats().Dropped
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if perSecond == 0 {
			window <- struct{}{}
		} else {
			time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))))
		}
		if err := hub.Broadcast(ctx, timedMessage()); err != nil {
			b.Fatalf("Broadcast: %v", err)
		}
	}
	report := f.wait(b, b.N)
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()

	if want := int64(b.N) * int64(readers); report.Messages != want || report.Errors != 0 {
		b.Fatalf("readers received %d messages with %d errors, want %d and none", report.Messages, report.Errors, want)
	}
	deliveries := float64(b.N) * float64(readers+1) // the probe reads too
	b.ReportMetric(deliveries/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(cpu.Seconds()*1e6/deliveries, "server-cpu-us/delivery")
	b.ReportMetric(report.CPUus/float64(report.Messages), "client-cpu-us/delivery")
	if perSecond > 0 {
		// Under saturation latency measures the backlog, not the server.
		b.ReportMetric(report.P50us, "p50-us")
		b.ReportMetric(report.P99us, "p99-us")
	}
	b.ReportMetric(float64(hub.Stats().Dropped-dropped0), "dropped")
	b.ReportMetric(0, "ns/op") // depends on the pacing; see deliveries/s
}

// BenchmarkIdleConnection reports the server memory one idle chat connection
// holds: the growth of live heap and goroutine stacks of the benchmark
// process when 1,000 clients of a child process connect, divided by 1,000.
// Kernel socket buffers are not included. It measures once, whatever b.N.
func BenchmarkIdleConnection(b *testing.B) {
	hub, url := benchServer(b)
	before := liveBytes()
	f := startFleet(b, fleetConfig{URL: url + "/chat", Readers: benchClients})
	defer f.stop(b)
	waitFor(b, hub, "the clients to join", func() bool { return hub.Stats().Connections == benchClients })
	time.Sleep(500 * time.Millisecond) // let the join notices drain before measuring
	after := liveBytes()
	for range b.N {
	}

	perConn := func(before, after uint64) float64 { return (float64(after) - float64(before)) / benchClients }
	b.ReportMetric(perConn(before.heap, after.heap), "heap-B/conn")
	b.ReportMetric(perConn(before.stack, after.stack), "stack-B/conn")
	b.ReportMetric(perConn(before.heap+before.stack, after.heap+after.stack), "B/conn")
	b.ReportMetric(0, "ns/op")
}

type memory struct{ heap, stack uint64 }

// liveBytes returns the live heap and the goroutine stacks after a full
// garbage collection.
func liveBytes() memory {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{heap: ms.HeapAlloc, stack: ms.StackInuse}
}

// benchServer starts a hub with default limits behind a test server.
func benchServer(b *testing.B) (*ws.Server, string) {
	b.Helper()
	hub, err := ws.NewServer(ws.Config{}, ws.NewMemoryBroker(), discard())
	if err != nil {
		b.Fatalf("NewHub: %v", err)
	}
	// Small kernel send buffers let a stalled client fill up within a run,
	// as it would after a while in production.
	srv := httptest.NewUnstartedServer(handler(hub))
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
		srv.Close()
	})
	return hub, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func waitFor(b *testing.B, hub *ws.Server, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s: %+v", what, hub.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
