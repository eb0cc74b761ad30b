package handlers

import (
	"bytes"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"example.com/echotemplate/internal/files" // feature:files
	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/metrics"
)

// TestMetricsAfterScriptedRequests checks /metrics after a known set of
// requests: counters by route pattern, never by raw path.
func TestMetricsAfterScriptedRequests(t *testing.T) {
	log, _ := logging.New(&bytes.Buffer{}, "json", slog.LevelInfo)
	m := metrics.New()
	deps := Deps{Log: log, Health: NewHealth(), Metrics: m}
	// feature:files begin
	store, err := files.NewStore(t.TempDir(), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deps.Files = store
	// feature:files end
	e := NewServer(testConfig(), deps)
	serve := func(req *http.Request) int {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}

	for range 3 {
		serve(httptest.NewRequest(http.MethodGet, "/headers", nil))
	}
	serve(httptest.NewRequest(http.MethodGet, "/no/such/thing", nil))
	want := []string{
		`app_http_requests_total{method="GET",route="/headers",status="200"} 3`,
		`app_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`app_http_request_duration_seconds_count{method="GET",route="/headers"} 3`,
		`app_http_requests_in_flight 1`, // the scrape itself
	}

	// feature:files begin
	serve(httptest.NewRequest(http.MethodGet, "/download/0123456789abcdef0123456789abcdef", nil))
	serve(httptest.NewRequest(http.MethodGet, "/download/fedcba9876543210fedcba9876543210", nil))
	var body bytes.Buffer
	mp := multipart.NewWriter(&body)
	part, _ := mp.CreateFormFile("file", "hello.txt")
	_, _ = part.Write([]byte("hello, metrics"))
	_ = mp.Close()
	up := httptest.NewRequest(http.MethodPost, "/upload", &body)
	up.Header.Set("Content-Type", mp.FormDataContentType())
	if got := serve(up); got != http.StatusCreated {
		t.Fatalf("upload = %d, want 201", got)
	}
	want = append(want,
		`app_http_requests_total{method="GET",route="/download/:id",status="404"} 2`,
		`app_http_requests_total{method="POST",route="/upload",status="201"} 1`,
		`app_upload_bytes_total 14`,
	)
	// feature:files end

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := rec.Body.String()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	if strings.Contains(out, "0123456789abcdef") || strings.Contains(out, "/no/such/thing") {
		t.Error("/metrics has a raw path in a label")
	}
}

// TestMetricsInventedMethodsBounded sends 10,000 made-up methods, some 8 KB
// long: the label set must not grow with them, or /metrics is a memory leak.
func TestMetricsInventedMethodsBounded(t *testing.T) {
	log, _ := logging.New(&bytes.Buffer{}, "json", slog.LevelInfo)
	e := NewServer(testConfig(), Deps{Log: log, Health: NewHealth(), Metrics: metrics.New()})
	long := strings.Repeat("X", 8<<10)
	for i := range 10000 {
		m := "M" + strconv.Itoa(i)
		if i%10 == 0 {
			m = long + m
		}
		req := httptest.NewRequest(http.MethodGet, "/headers", nil)
		req.Method = m
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	series := 0
	for line := range strings.Lines(rec.Body.String()) {
		if line != "" && !strings.HasPrefix(line, "#") {
			series++
		}
	}
	t.Logf("/metrics: %d series, %d bytes after 10,000 invented methods", series, rec.Body.Len())
	if strings.Contains(rec.Body.String(), "M9999") || series > 200 || rec.Body.Len() > 64<<10 {
		t.Errorf("/metrics grew with invented methods: %d series, %d bytes", series, rec.Body.Len())
	}
	if !strings.Contains(rec.Body.String(), `method="OTHER"`) {
		t.Error("/metrics lacks method=\"OTHER\"")
	}
}
