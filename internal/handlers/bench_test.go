package handlers

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"example.com/echotemplate/internal/logging"
)

// BenchmarkHeaders measures GET /headers through the whole middleware
// chain, request logging included, next to a bare handler with the same
// body. Both write to a recorder, so the difference is the chain's cost.
func BenchmarkHeaders(b *testing.B) {
	log, err := logging.New(io.Discard, "json", slog.LevelInfo)
	if err != nil {
		b.Fatal(err)
	}
	full := NewServer(testConfig(), Deps{Log: log, Health: NewHealth()})
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			UserAgent *string `json:"User-Agent"`
		}
		if ua := r.Header.Values("User-Agent"); len(ua) > 0 {
			body.UserAgent = &ua[0]
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
	for _, bm := range []struct {
		name string
		h    http.Handler
	}{{"FullStack", full}, {"Bare", bare}} {
		b.Run(bm.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.Header.Set("User-Agent", "bench/1.0")
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				bm.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
