// Package metrics owns the service's Prometheus registry: the HTTP request
// metrics, and gauges and counters that read the other packages' own
// statistics when scraped, so those packages need no Prometheus import.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric the service defines.
const namespace = "app"

// Metrics is one registry with the service's metrics. Each instance is
// independent, so tests can build as many as they like.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	uploaded prometheus.Counter

	// series caches each (method, route, status)'s counter and histogram:
	// the label lookup costs more than the update on a hot route.
	series sync.Map // requestKey -> *requestSeries
}

type requestKey struct {
	method, route string
	status        int
}

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// New returns a registry holding the Go runtime and process collectors and
// the HTTP request metrics.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "upload_bytes_total",
			Help: "Bytes of files stored by uploads that succeeded.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight, m.uploaded,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// RequestStarted counts a request in flight; call RequestDone when it ends.
func (m *Metrics) RequestStarted() {
	m.inFlight.Inc()
}

// RequestDone records one answered request. route must be the route
// pattern (/download/:id), never the raw path, so ids cannot multiply the
// series without bound.
func (m *Metrics) RequestDone(method, route string, status int, took time.Duration) {
	m.inFlight.Dec()
	key := requestKey{method, route, status}
	s, ok := m.series.Load(key)
	if !ok {
		s, _ = m.series.LoadOrStore(key, &requestSeries{
			count:    m.requests.WithLabelValues(method, route, strconv.Itoa(status)),
			duration: m.duration.WithLabelValues(method, route),
		})
	}
	rs := s.(*requestSeries)
	rs.count.Inc()
	rs.duration.Observe(took.Seconds())
}

// Uploaded counts n bytes of files stored by a successful upload.
func (m *Metrics) Uploaded(n int64) {
	m.uploaded.Add(float64(n))
}

// Stat is one figure a source reports when scraped.
type Stat struct {
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
	m.reg.MustRegister(source(read))
}

// source is an unchecked collector: it describes nothing up front, since its
// figures are known only when read.
type source func() []Stat

func (s source) Describe(chan<- *prometheus.Desc) {}

func (s source) Collect(ch chan<- prometheus.Metric) {
	for _, st := range s() {
		kind := prometheus.GaugeValue
		if st.Counter {
			kind = prometheus.CounterValue
		}
		desc := prometheus.NewDesc(prometheus.BuildFQName(namespace, "", st.Name), st.Help, nil, nil)
		ch <- prometheus.MustNewConstMetric(desc, kind, st.Value)
	}
}
