package handlers

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"example.com/echotemplate/internal/testenv"
)

// benchFileBytes is the size of the file the upload and download benchmarks
// move: BENCH_FILE_MIB mebibytes, 64 by default so a plain -bench run is
// quick; `make bench` sets 1024 for the 1 GiB figures.
func benchFileBytes(b *testing.B) int64 {
	b.Helper()
	mib := 64
	if v := os.Getenv("BENCH_FILE_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_FILE_MIB=%q: want a positive number", v)
		}
		mib = n
	}
	return int64(mib) << 20
}

// BenchmarkUpload streams one file through the whole service (middleware,
// POST /upload, a store on disk with fsync) over loopback, and reports the
// throughput and how far the process's peak resident memory rose above its
// level before. The client streams from a 1 MiB block in the same process,
// so the figure bounds the server's growth.
func BenchmarkUpload(b *testing.B) {
	size := benchFileBytes(b)
	cfg := testConfig()
	cfg.Upload.MaxBytes = size + 1<<20
	s := newFileServer(b, cfg, nil)
	srv := httptest.NewServer(s.e)
	defer srv.Close()
	block := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8([32]byte{}).Read(block) // never fails

	debug.FreeOSMemory()
	base := resetPeakRSS(b)
	for b.Loop() {
		id, err := streamUpload(srv.URL+"/upload", block, size)
		if err != nil {
			b.Fatal(err)
		}
		// Keep the disk from filling up over many iterations.
		if err := s.store.Delete(b.Context(), id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(peakRSS(b)-base)/(1<<20), "peak-RSS-growth-MiB")
}

// streamUpload posts size bytes made of block, repeated, as one file part
// of a chunked body, and returns the stored file's id.
func streamUpload(url string, block []byte, size int64) (string, error) {
	pr, pw := io.Pipe()
	form := multipart.NewWriter(pw)
	go func() {
		fw, err := form.CreateFormFile("file", "big.bin")
		for left := size; err == nil && left > 0; left -= int64(len(block)) {
			_, err = fw.Write(block[:min(left, int64(len(block)))])
		}
		if err == nil {
			err = form.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := http.Post(url, form.FormDataContentType(), pr)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, "/download/") {
		msg, _ := io.ReadAll(res.Body)
		return "", fmt.Errorf("upload: %d %s", res.StatusCode, msg)
	}
	return strings.TrimPrefix(loc, "/download/"), nil
}

// resetPeakRSS resets the kernel's record of the process's peak resident
// memory (VmHWM) and returns the current resident size. Linux only: the
// benchmark is skipped elsewhere.
func resetPeakRSS(b *testing.B) int64 {
	b.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		testenv.Missing(b, "cannot reset the peak RSS (Linux only): %v", err)
	}
	return procStatus(b, "VmRSS:")
}

// peakRSS returns the process's peak resident memory since resetPeakRSS.
func peakRSS(b *testing.B) int64 {
	b.Helper()
	return procStatus(b, "VmHWM:")
}

// procStatus reads one size field of /proc/self/status, in bytes.
func procStatus(b *testing.B, field string) int64 {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
