package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status %d", rec.Code)
	}
	return string(body)
}

func TestMetrics(t *testing.T) {
	m := New()
	m.RequestStarted()
	m.RequestStarted()
	m.RequestDone("GET", "/download/:id", 200, 3*time.Millisecond)
	m.Uploaded(14)
	depth := 7.0
	m.AddSource(func() []Stat {
		return []Stat{
			{Name: "tasks_queue_depth", Help: "Jobs waiting.", Value: depth},
			{Name: "ws_dropped_total", Help: "Slow clients dropped.", Counter: true, Value: 2},
		}
	})

	out := scrape(t, m)
	for _, want := range []string{
		`# TYPE app_http_requests_total counter`,
		`app_http_requests_total{method="GET",route="/download/:id",status="200"} 1`,
		`# TYPE app_http_request_duration_seconds histogram`,
		`app_http_request_duration_seconds_bucket{method="GET",route="/download/:id",le="0.0025"} 0`,
		`app_http_request_duration_seconds_bucket{method="GET",route="/download/:id",le="0.005"} 1`,
		`app_http_request_duration_seconds_bucket{method="GET",route="/download/:id",le="10"} 1`,
		`app_http_request_duration_seconds_bucket{method="GET",route="/download/:id",le="+Inf"} 1`,
		`app_http_request_duration_seconds_count{method="GET",route="/download/:id"} 1`,
		`# TYPE app_http_requests_in_flight gauge`,
		`app_http_requests_in_flight 1`,
		`app_upload_bytes_total 14`,
		`# HELP app_tasks_queue_depth Jobs waiting.`,
		`# TYPE app_tasks_queue_depth gauge`,
		`app_tasks_queue_depth 7`,
		`# TYPE app_ws_dropped_total counter`,
		`app_ws_dropped_total 2`,
		`# TYPE go_goroutines gauge`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
		`process_open_fds `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	depth = 3
	if out := scrape(t, m); !strings.Contains(out, "app_tasks_queue_depth 3") {
		t.Error("gauge func not read at scrape time")
	}
}

// TestMetadataOncePerFamily: a family with two HELP or TYPE lines fails
// the whole scrape in Prometheus.
func TestMetadataOncePerFamily(t *testing.T) {
	m := New()
	m.RequestDone("GET", "/a", 200, time.Millisecond)
	m.RequestDone("GET", "/b", 404, time.Millisecond)
	m.AddSource(func() []Stat { return []Stat{{Name: "ws_connections", Help: "Open.", Value: 1}} })
	seen := map[string]bool{}
	for line := range strings.Lines(scrape(t, m)) {
		if !strings.HasPrefix(line, "# HELP ") && !strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		key := strings.Join(strings.Fields(line)[:3], " ")
		if seen[key] {
			t.Errorf("second %q", key)
		}
		seen[key] = true
	}
}

// TestUnknownMethodsShareOneSeries: the method comes from the client, so
// invented ones must not add a series each.
func TestUnknownMethodsShareOneSeries(t *testing.T) {
	m := New()
	for i := range 150 {
		m.RequestStarted()
		m.RequestDone(fmt.Sprintf("INVENTED%d", i), "unmatched", 405, time.Millisecond)
	}
	m.RequestStarted()
	m.RequestDone(http.MethodPatch, "unmatched", 405, time.Millisecond)

	out := scrape(t, m)
	if got, want := strings.Count(out, "app_http_requests_total{"), 2; got != want {
		t.Errorf("%d request series, want %d (OTHER and PATCH)", got, want)
	}
	for _, want := range []string{
		`app_http_requests_total{method="OTHER",route="unmatched",status="405"} 150`,
		`app_http_requests_total{method="PATCH",route="unmatched",status="405"} 1`,
		`app_http_request_duration_seconds_count{method="OTHER",route="unmatched"} 150`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(out, "INVENTED") {
		t.Error("an invented method shows as a label")
	}
}

func TestInstancesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.RequestStarted()
	a.RequestDone("GET", "/x", 200, time.Millisecond)
	a.Uploaded(5)
	out := scrape(t, b)
	if strings.Contains(out, `route="/x"`) {
		t.Error("a request recorded in one set shows in another")
	}
	if !strings.Contains(out, "app_upload_bytes_total 0") {
		t.Error("bytes uploaded through one set show in another")
	}
}
