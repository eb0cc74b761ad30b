package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	var storageErr error
	s := newTestServer(t, testConfig(), Check{Name: "storage", Func: func(context.Context) error { return storageErr }, Required: true})

	if rec := s.get(t, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("healthz = %d, want 200", rec.Code)
	}
	if rec := s.get(t, "/readyz"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"storage":"ok"`) {
		t.Errorf("readyz = %d %s, want 200 with storage ok", rec.Code, rec.Body)
	}

	storageErr = errors.New("open /srv/data: read-only file system")
	rec := s.get(t, "/readyz")
	p := wantProblem(t, rec, http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, "storage") || strings.Contains(rec.Body.String(), "/srv/data") {
		t.Errorf("detail = %q, want the failing check named and its cause kept out", p.Detail)
	}
	storageErr = nil

	s.health.StartShutdown()
	wantProblem(t, s.get(t, "/readyz"), http.StatusServiceUnavailable)
	if rec := s.get(t, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("healthz during shutdown = %d, want 200", rec.Code)
	}
}

// TestHealth_DependencyDown checks that a dependency that is down (Redis,
// SMTP) is reported in the body and in /metrics but leaves readiness 200,
// so one Redis blip does not empty the load balancer.
func TestHealth_DependencyDown(t *testing.T) {
	var redisErr error
	s := newTestServer(t, testConfig(),
		Check{Name: "storage", Func: func(context.Context) error { return nil }, Required: true},
		Check{Name: "redis", Func: func(context.Context) error { return redisErr }})

	rec := s.get(t, "/readyz")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ready"`) || !strings.Contains(rec.Body.String(), `"redis":"ok"`) {
		t.Errorf("readyz = %d %s, want 200 ready with redis ok", rec.Code, rec.Body)
	}
	if body := s.get(t, "/metrics").Body.String(); !strings.Contains(body, "\napp_redis_up 1\n") || !strings.Contains(body, "\napp_storage_up 1\n") {
		t.Errorf("metrics lack app_redis_up 1 and app_storage_up 1")
	}

	redisErr = errors.New("dial tcp 10.0.0.7:6379: connection refused")
	rec = s.get(t, "/readyz")
	if rec.Code != http.StatusOK {
		t.Fatalf("readyz with Redis down = %d %s, want 200", rec.Code, rec.Body)
	}
	for _, want := range []string{`"status":"degraded"`, `"redis":"down"`, `"storage":"ok"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("readyz body %s lacks %s", rec.Body, want)
		}
	}
	if strings.Contains(rec.Body.String(), "10.0.0.7") {
		t.Errorf("readyz body %s shows the cause", rec.Body)
	}
	if body := s.get(t, "/metrics").Body.String(); !strings.Contains(body, "\napp_redis_up 0\n") {
		t.Errorf("metrics lack app_redis_up 0")
	}
}
