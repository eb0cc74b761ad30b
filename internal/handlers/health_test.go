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
	s := newTestServer(t, testConfig(), Check{Name: "storage", Func: func(context.Context) error { return storageErr }})

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
