package files

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDownload fetches one file over loopback HTTP through Serve and,
// for comparison, through a plain http.ServeFile handler. Both should reach
// sendfile(2), so their figures should match.
func BenchmarkDownload(b *testing.B) {
	size := benchFileBytes(b)
	path := writeBenchFile(b, size)
	handlers := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"Serve", func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Open(path)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer f.Close()
			_ = Serve(w, r, File{Name: "big.bin", ContentType: "application/octet-stream", ModTime: time.Now(), ETag: "abc", Content: f})
		}},
		{"ServeFile", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, path)
		}},
	}
	for _, hh := range handlers {
		b.Run(hh.name, func(b *testing.B) {
			srv := httptest.NewServer(hh.h)
			defer srv.Close()
			for b.Loop() {
				res, err := http.Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || n != size {
					b.Fatalf("read %d bytes (%v), want %d", n, err, size)
				}
			}
			b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
		})
	}
}

// writeBenchFile writes size pseudo-random bytes to a temporary file.
func writeBenchFile(b *testing.B, size int64) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8([32]byte{}).Read(block) // never fails
	for left := size; left > 0; left -= int64(len(block)) {
		if _, err := f.Write(block[:min(left, int64(len(block)))]); err != nil {
			b.Fatal(err)
		}
	}
	return path
}
