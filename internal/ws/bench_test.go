package ws_test

import (
	"context"
	"fmt"
	"net/http"
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
		b.Run("Saturated"+name, func(b *testing.B) { benchBroadcast(b, serviceChat(b, 0), benchClients, stalled, 0) })
		b.Run("Paced"+name, func(b *testing.B) { benchBroadcast(b, serviceChat(b, 0), benchClients, stalled, 100) })
	}
}

// BenchmarkChat compares the server CPU per chat delivery of the service's
// hub with that of gorilla's examples/chat hub (floor_test.go), saturated as
// in BenchmarkBroadcast, for 200 and 1,000 clients. The Service line's
// x-floor is its server-cpu-us/delivery over the Gorilla line's just before.
func BenchmarkChat(b *testing.B) {
	for _, clients := range []int{200, benchClients} {
		var floor float64
		b.Run(fmt.Sprintf("Clients=%d/Gorilla", clients), func(b *testing.B) {
			floor = benchBroadcast(b, gorillaChat(b), clients, 0, 0)
		})
		b.Run(fmt.Sprintf("Clients=%d/Service", clients), func(b *testing.B) {
			if cpu := benchBroadcast(b, serviceChat(b, floorSendBuffer), clients, 0, 0); floor > 0 {
				b.ReportMetric(cpu/floor, "x-floor")
			}
		})
	}
}

// chatTarget is a chat server under benchmark.
type chatTarget struct {
	url       string // of the chat endpoint
	quiet     bool   // sends no join notices
	broadcast func(text string)
	open      func() int64 // connections open
	dropped   func() int64 // clients dropped as too slow; nil when not counted
}

// floorSendBuffer is the send buffer of gorilla's chat example. Under
// saturation the readers in the child process may fall behind the probe by
// more than the service's default 64 messages, so BenchmarkChat gives the
// service the floor's buffer.
const floorSendBuffer = 256

// serviceChat is the service's chat, with sendBuffer (0: the default).
func serviceChat(b *testing.B, sendBuffer int) chatTarget {
	hub, url := benchServer(b, sendBuffer)
	return chatTarget{
		url: url + "/chat",
		broadcast: func(text string) {
			if err := hub.Broadcast(context.Background(), text); err != nil {
				b.Fatalf("Broadcast: %v", err)
			}
		},
		open:    func() int64 { return hub.Stats().Connections },
		dropped: func() int64 { return hub.Stats().Dropped },
	}
}

func gorillaChat(b *testing.B) chatTarget {
	hub := newFloorHub()
	go hub.run()
	url := benchListen(b, hub.serveWs())
	b.Cleanup(func() { close(hub.stop) })
	return chatTarget{
		url:       url,
		quiet:     true,
		broadcast: func(text string) { hub.broadcast <- []byte(text) },
		open:      hub.open.Load,
	}
}

// benchBroadcast runs b.N broadcasts to clients chat clients, perSecond of
// them a second or, when perSecond is 0, as fast as a window of 4 in flight
// allows. It returns the server CPU per delivery, in microseconds.
func benchBroadcast(b *testing.B, target chatTarget, clients, stalled, perSecond int) float64 {
	url := target.url

	// The probe holds a window slot from Broadcast until it receives the
	// message.
	const inFlight = 4
	window := make(chan struct{}, inFlight)
	probe, _, err := websocket.DefaultDialer.Dial(url, nil)
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

	readers := clients - 1 - stalled
	f := startFleet(b, fleetConfig{URL: url, Readers: readers, Stalled: stalled, Quiet: target.quiet})
	defer f.stop(b)
	waitFor(b, "the clients to join", func() bool { return target.open() == int64(clients) })
	time.Sleep(500 * time.Millisecond) // let the join notices drain before measuring

	f.measure(b)
	var dropped0 int64
	if target.dropped != nil {
		dropped0 = target.dropped()
	}
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if perSecond == 0 {
			window <- struct{}{}
		} else {
			time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))))
		}
		target.broadcast(timedMessage())
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
	perDelivery := cpu.Seconds() * 1e6 / deliveries
	b.ReportMetric(perDelivery, "server-cpu-us/delivery")
	b.ReportMetric(report.CPUus/float64(report.Messages), "client-cpu-us/delivery")
	if perSecond > 0 {
		// Under saturation latency measures the backlog, not the server.
		b.ReportMetric(report.P50us, "p50-us")
		b.ReportMetric(report.P99us, "p99-us")
	}
	if target.dropped != nil {
		b.ReportMetric(float64(target.dropped()-dropped0), "dropped")
	}
	b.ReportMetric(0, "ns/op") // depends on the pacing; see deliveries/s
	return perDelivery
}

// echoClients is the number of clients in the echo benchmark, each running
// its round trips one after another.
const echoClients = 100

// BenchmarkEcho compares the server CPU per echo round trip of the service's
// /ws with that of gorilla's examples/echo handler (floor_test.go): 100
// clients in a child process each run b.N round trips of a 64-byte message.
// The Service line's x-floor is its server-cpu-us/roundtrip over the
// Gorilla line's just before.
func BenchmarkEcho(b *testing.B) {
	var floor float64
	b.Run("Gorilla", func(b *testing.B) {
		floor = benchEcho(b, benchListen(b, floorEcho()))
	})
	b.Run("Service", func(b *testing.B) {
		_, url := benchServer(b, 0)
		if cpu := benchEcho(b, url+"/ws"); floor > 0 {
			b.ReportMetric(cpu/floor, "x-floor")
		}
	})
}

// benchEcho runs b.N round trips on each of echoClients connections to url
// and returns the server CPU per round trip, in microseconds.
func benchEcho(b *testing.B, url string) float64 {
	f := startFleet(b, fleetConfig{URL: url, Echoers: echoClients})
	defer f.stop(b)
	f.measure(b)
	cpu0 := processCPU()
	b.ResetTimer()
	report := f.wait(b, b.N)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if want := int64(b.N) * echoClients; report.Messages != want || report.Errors != 0 {
		b.Fatalf("clients made %d round trips with %d errors, want %d and none", report.Messages, report.Errors, want)
	}
	perTrip := cpu.Seconds() * 1e6 / float64(report.Messages)
	b.ReportMetric(perTrip, "server-cpu-us/roundtrip")
	b.ReportMetric(report.CPUus/float64(report.Messages), "client-cpu-us/roundtrip")
	b.ReportMetric(report.P50us, "p50-us")
	b.ReportMetric(report.P99us, "p99-us")
	b.ReportMetric(0, "ns/op")
	return perTrip
}

// BenchmarkIdleConnection reports the server memory one idle chat connection
// holds: the growth of live heap and goroutine stacks of the benchmark
// process when 1,000 clients of a child process connect, divided by 1,000.
// Kernel socket buffers are not included. It measures once, whatever b.N.
func BenchmarkIdleConnection(b *testing.B) {
	hub, url := benchServer(b, 0)
	before := liveBytes()
	f := startFleet(b, fleetConfig{URL: url + "/chat", Readers: benchClients})
	defer f.stop(b)
	waitFor(b, "the clients to join", func() bool { return hub.Stats().Connections == benchClients })
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

// benchServer starts a server behind a test server, with default limits
// (sendBuffer 0 is the default SendBuffer) except those that would stop the
// benchmark's clients: they all come from one address, and the echo
// clients send as fast as they can.
func benchServer(b *testing.B, sendBuffer int) (*ws.Server, string) {
	b.Helper()
	hub, err := ws.NewServer(ws.Config{
		SendBuffer:          sendBuffer,
		MaxConnectionsPerIP: 10 * benchClients,
		MessageRate:         1e9,
		MessageBurst:        1e9,
		MaxBytes:            1 << 50,
	}, nil, discard())
	if err != nil {
		b.Fatalf("NewHub: %v", err)
	}
	url := benchListen(b, handler(hub))
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
	})
	return hub, url
}

// benchListen serves h on a test server that is closed when the benchmark
// ends, and returns its ws:// URL. Small kernel send buffers let a stalled
// client fill up within a run, as it would after a while in production;
// the floors get the same, so the figures compare.
func benchListen(b *testing.B, h http.Handler) string {
	b.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = smallBufferListener{srv.Listener}
	srv.Start()
	b.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func waitFor(b *testing.B, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
