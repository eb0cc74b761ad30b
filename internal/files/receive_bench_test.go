package files

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchFileBytes is the upload and download size: BENCH_FILE_MIB mebibytes,
// default 64 so that `make bench` stays quick; BENCH_FILE_MIB=1024 for the
// 1 GiB figure.
func benchFileBytes(b *testing.B) int64 {
	b.Helper()
	mib := 64
	if v := os.Getenv("BENCH_FILE_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_FILE_MIB=%q: want a positive integer", v)
		}
		mib = n
	}
	return int64(mib) << 20
}

// BenchmarkReceive streams one file through a real HTTP server into a store
// and reports the throughput and how far the process's resident memory
// rose above its level before the upload, for each backend side by side:
// Dir on local disk (fsync included), S3 a bucket of versitygw on the same
// disk (which runs as its own process, so its memory is not counted). The
// client runs in the same process, so the memory figure bounds the server's.
func BenchmarkReceive(b *testing.B) {
	size := benchFileBytes(b)
	b.Run("Dir", func(b *testing.B) {
		store, err := NewStore(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchReceive(b, store, size)
	})
	b.Run("S3", func(b *testing.B) {
		store, _, _ := newS3Store(b, Options{})
		benchReceive(b, store, size)
	})
}

func benchReceive(b *testing.B, store *Store, size int64) {
	rc := NewReceiver(store, Limits{MaxBytes: size + 1<<20})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := rc.Receive(w, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// Keep the disk from filling up over many iterations.
		if err := store.Delete(context.Background(), res.Files[0].ID); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	block := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8([32]byte{}).Read(block) // never fails

	b.SetBytes(size)
	peak := startRSSSampler()
	for b.Loop() {
		if err := streamUpload(srv.URL, block, size); err != nil {
			b.Fatal(err)
		}
	}
	growth := peak.stop()
	b.ReportMetric(float64(growth)/(1<<20), "peak-RSS-growth-MiB")
}

// streamUpload posts size bytes made of block, repeated, as one file part.
func streamUpload(url string, block []byte, size int64) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile(FileField, "big.bin")
		for left := size; err == nil && left > 0; left -= int64(len(block)) {
			_, err = fw.Write(block[:min(left, int64(len(block)))])
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := http.Post(url, mw.FormDataContentType(), pr)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(res.Body)
		return &uploadError{res.StatusCode, string(msg)}
	}
	return nil
}

type uploadError struct {
	status int
	msg    string
}

func (e *uploadError) Error() string { return strconv.Itoa(e.status) + ": " + e.msg }

// rssSampler polls VmRSS from /proc/self/status and keeps the highest value
// above the level it started at. Linux only; elsewhere it reports 0.
type rssSampler struct {
	base, peak int64
	done       chan struct{}
	wg         sync.WaitGroup
}

func startRSSSampler() *rssSampler {
	s := &rssSampler{base: readRSS(), done: make(chan struct{})}
	s.peak = s.base
	s.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
				s.peak = max(s.peak, readRSS())
			}
		}
	})
	return s
}

// stop ends sampling and returns the peak growth in bytes.
func (s *rssSampler) stop() int64 {
	close(s.done)
	s.wg.Wait()
	return max(s.peak, readRSS()) - s.base
}

// readRSS returns the process's resident set size in bytes, or 0.
func readRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
