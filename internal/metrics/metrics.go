// Package metrics owns the service's metrics and serves them in the
// Prometheus text format: the HTTP request metrics, the Go runtime and
// process figures, and gauges and counters that read the other packages' own
// statistics when scraped, so those packages need no metrics import.
package metrics

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	vmetrics "github.com/VictoriaMetrics/metrics"
)

// namespace prefixes every metric the service defines.
const namespace = "app"

// durationBuckets are the request duration histogram's upper bounds, in
// seconds. Dashboards and alerts name these le values, so change them with
// those.
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics is one set of the service's metrics. Each instance is independent,
// so tests can build as many as they like.
type Metrics struct {
	set      *vmetrics.Set
	inFlight *vmetrics.Gauge
	uploaded *vmetrics.Counter

	// series caches each (method, route, status)'s counter and histogram:
	// building the series name and looking it up costs more than the update
	// on a hot route. A typed map under a read lock, rather than a
	// sync.Map, which would box each key: one allocation a request.
	mu     sync.RWMutex
	series map[requestKey]*requestSeries
}

type requestKey struct {
	method, route string
	status        int
}

type requestSeries struct {
	count    *vmetrics.Counter
	duration *vmetrics.PrometheusHistogram
}

// New returns a set holding the HTTP request metrics.
func New() *Metrics {
	// The library writes TYPE lines (and HELP lines without text) only when
	// this process-wide switch is on. Every New turns it on, so instances
	// cannot disagree.
	vmetrics.ExposeMetadata(true)
	set := vmetrics.NewSet()
	return &Metrics{
		set:      set,
		inFlight: set.NewGauge(namespace+"_http_requests_in_flight", nil),
		uploaded: set.NewCounter(namespace + "_upload_bytes_total"),
		series:   make(map[requestKey]*requestSeries),
	}
}

// Handler serves the set, then the Go runtime and process figures, in the
// Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.set.WritePrometheus(w)
		vmetrics.WriteProcessMetrics(w)
		vmetrics.WriteFDMetrics(w)
	})
}

// RequestStarted counts a request in flight; call RequestDone when it ends.
func (m *Metrics) RequestStarted() {
	m.inFlight.Inc()
}

// RequestDone records one answered request. route must be the route
// pattern (/download/:id), never the raw path, so ids cannot multiply the
// series without bound; a method outside the standard ones is recorded as
// OTHER for the same reason.
func (m *Metrics) RequestDone(method, route string, status int, took time.Duration) {
	m.inFlight.Dec()
	key := requestKey{methodLabel(method), route, status}
	m.mu.RLock()
	rs := m.series[key]
	m.mu.RUnlock()
	if rs == nil {
		m.mu.Lock()
		if rs = m.series[key]; rs == nil {
			rs = &requestSeries{
				count: m.set.GetOrCreateCounter(fmt.Sprintf(`%s_http_requests_total{method=%q,route=%q,status="%d"}`,
					namespace, key.method, key.route, key.status)),
				duration: m.set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`%s_http_request_duration_seconds{method=%q,route=%q}`,
					namespace, key.method, key.route), durationBuckets),
			}
			m.series[key] = rs
		}
		m.mu.Unlock()
	}
	rs.count.Inc()
	rs.duration.Update(took.Seconds())
}

// methodLabel returns method if it is one of net/http's methods and OTHER
// if not: the method comes from the client, who may send any token.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// Uploaded counts n bytes of files stored by a successful upload.
func (m *Metrics) Uploaded(n int64) {
	m.uploaded.AddInt64(n)
}

// Stat is one figure a source reports when scraped.
type Stat struct {
	// Name is a metric name without the namespace (tasks_queued); Help is
	// one line.
	Name, Help string
	// Counter marks a figure that only goes up; others are gauges.
	Counter bool
	Value   float64
}

// AddSource registers read, which is called once per scrape and returns the
// figures to expose, each prefixed with the service's namespace. A source
// must return the same names every time. One call per scrape lets a source
// take its figures from one consistent snapshot.
func (m *Metrics) AddSource(read func() []Stat) {
	m.set.RegisterMetricsWriter(func(w io.Writer) {
		for _, st := range read() {
			kind := "gauge"
			if st.Counter {
				kind = "counter"
			}
			name := namespace + "_" + st.Name
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n",
				name, st.Help, name, kind, name, strconv.FormatFloat(st.Value, 'g', -1, 64))
		}
	})
}
