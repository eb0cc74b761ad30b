package handlers

import (
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDownload fetches one stored file over loopback through the
// whole service (middleware, GET /download/{id}, the paced fileWriter) and,
// in the same iteration, through a bare http.ServeFile handler on the same
// file, and reports both throughputs and their ratio. Both should reach
// sendfile(2), so the ratio should be close to 100%.
func BenchmarkDownload(b *testing.B) {
	size := benchFileBytes(b)
	s := newFileServer(b, testConfig(), nil)
	block := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8([32]byte{}).Read(block) // never fails
	info, err := s.store.Put(b.Context(), io.LimitReader(repeatReader(block), size), "big.bin")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(s.dir, info.ID) // storage keeps the content under its id
	service := httptest.NewServer(s.e)
	defer service.Close()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	}))
	defer bare.Close()

	// One round first, untimed, so neither side pays for a cold start.
	timeDownload(b, service.URL+"/download/"+info.ID, size)
	timeDownload(b, bare.URL, size)

	var serviceTime, bareTime time.Duration
	for b.Loop() {
		serviceTime += timeDownload(b, service.URL+"/download/"+info.ID, size)
		bareTime += timeDownload(b, bare.URL, size)
	}
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(serviceTime), "MB/s")
	b.ReportMetric(mbps(bareTime), "ServeFile-MB/s")
	b.ReportMetric(100*bareTime.Seconds()/serviceTime.Seconds(), "%-of-ServeFile")
}

// timeDownload GETs url, reads the whole body and returns how long it took.
func timeDownload(b *testing.B, url string, size int64) time.Duration {
	b.Helper()
	start := time.Now()
	res, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || n != size || res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d, read %d bytes (%v), want 200 and %d", url, res.StatusCode, n, err, size)
	}
	return time.Since(start)
}

// repeatReader reads block over and over.
func repeatReader(block []byte) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		return copy(p, block), nil
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
