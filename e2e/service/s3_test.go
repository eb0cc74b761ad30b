package service

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/e2e/internal/e2etest"
	"example.com/echotemplate/internal/files/versitygw"
	"example.com/echotemplate/internal/testenv"
)

// startS3Service runs the service on bucket of gw, with a STORAGE_DIR that
// must stay empty, and returns it and that directory.
func startS3Service(t *testing.T, gw *versitygw.Server, bucket string, pairs ...string) (*runningService, string) {
	t.Helper()
	return startS3Binary(t, apiBinary, gw, bucket, pairs...)
}

func startS3Binary(t *testing.T, bin string, gw *versitygw.Server, bucket string, pairs ...string) (*runningService, string) {
	t.Helper()
	dir := t.TempDir()
	env := []string{"STORAGE_DIR", dir, "STORAGE_URL", gw.StorageURL(bucket)}
	for _, kv := range gw.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, k, v)
	}
	return startBinary(t, bin, append(env, pairs...)...), dir
}

// TestS3TwoInstancesShareBucket: a file uploaded through one instance is
// downloaded, whole and by range across a part boundary, through another
// on the same bucket, and neither writes to its local disk.
func TestS3TwoInstancesShareBucket(t *testing.T) {
	gw := versitygw.Start(t)
	bucket := gw.Bucket("uploads")
	a, dirA := startS3Service(t, gw, bucket)
	b, dirB := startS3Service(t, gw, bucket)

	content := make([]byte, 10<<20) // two parts of a multipart upload
	_, _ = rand.Read(content)
	id := uploadTo(t, a.base, "shared.bin", bytes.NewReader(content))

	sum := sha256.Sum256(content)
	res, body := get(t, b.base+"/download/"+id, nil)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
		t.Fatalf("download from the other instance: %d, %d bytes, want 200 and the %d uploaded", res.StatusCode, len(body), len(content))
	}
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	if got := res.Header.Get("ETag"); got != etag {
		t.Errorf("ETag = %s, want %s", got, etag)
	}
	lo, hi := 8<<20-100, 8<<20+99 // across the boundary between the parts
	res, body = get(t, b.base+"/download/"+id, map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", lo, hi)})
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, content[lo:hi+1]) {
		t.Errorf("ranged download: %d, %d bytes, want 206 and bytes %d-%d", res.StatusCode, len(body), lo, hi)
	}
	res, _ = get(t, b.base+"/download/"+id, map[string]string{"Range": fmt.Sprintf("bytes=%d-", len(content))})
	if got := res.Header.Get("Content-Range"); res.StatusCode != http.StatusRequestedRangeNotSatisfiable || got != fmt.Sprintf("bytes */%d", len(content)) {
		t.Errorf("unsatisfiable range: %d with Content-Range %q, want 416 and bytes */%d", res.StatusCode, got, len(content))
	}
	res, _ = get(t, b.base+"/download/"+id, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", res.StatusCode)
	}

	res, body = get(t, a.base+"/readyz", nil)
	var ready struct{ Checks map[string]string }
	if err := json.Unmarshal(body, &ready); err != nil || res.StatusCode != http.StatusOK || ready.Checks["storage"] != "ok" {
		t.Errorf("/readyz = %d %s, want 200 with storage ok", res.StatusCode, body)
	}
	for _, dir := range []string{dirA, dirB} {
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("STORAGE_DIR %s holds %d entries, want none: the files are in the bucket", dir, len(entries))
		}
	}
}

// TestS3PresignedDownload: with STORAGE_PRESIGN_DOWNLOADS, a download is a
// 307 to the bucket, which answers ranges itself.
func TestS3PresignedDownload(t *testing.T) {
	gw := versitygw.Start(t)
	bucket := gw.Bucket("uploads")
	svc, _ := startS3Service(t, gw, bucket, "STORAGE_PRESIGN_DOWNLOADS", "true")
	id := uploadTo(t, svc.base, "notes.txt", strings.NewReader("0123456789"))

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(svc.base + "/download/" + id)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, gw.Endpoint+"/"+bucket+"/"+id+"?") {
		t.Fatalf("download = %d to %q, want 307 to %s/%s/%s?...", res.StatusCode, loc, gw.Endpoint, bucket, id)
	}
	res, body := get(t, loc, map[string]string{"Range": "bytes=2-4"})
	if res.StatusCode != http.StatusPartialContent || string(body) != "234" {
		t.Errorf("ranged GET of the presigned URL = %d %q, want 206 \"234\"", res.StatusCode, body)
	}
	if got := res.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment") {
		t.Errorf("Content-Disposition = %q, want an attachment", got)
	}
	if res, _ := get(t, svc.base+"/download/"+strings.Repeat("0", 32), nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown id = %d, want 404", res.StatusCode)
	}
}

// TestS3ServerKilledMidUpload: when the S3 server dies during an upload,
// the client gets a 5xx problem+json, and once the server is back the
// bucket holds neither the object nor any part of it.
func TestS3ServerKilledMidUpload(t *testing.T) {
	gw := versitygw.Start(t)
	bucket := gw.Bucket("uploads")
	svc, _ := startS3Service(t, gw, bucket)

	pr, pw := io.Pipe()
	form := multipart.NewWriter(pw)
	type answer struct {
		res  *http.Response
		body []byte
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := http.Post(svc.base+"/upload", form.FormDataContentType(), pr)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		answered <- answer{res, body, err}
	}()
	part, err := form.CreateFormFile("file", "cut.bin")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for range 10 {                                           // the first 8 MiB part goes to the bucket
		if _, err := part.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	gw.Kill()
	// The rest of the body: the second part's upload fails.
	for range 2 {
		if _, err := part.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := form.Close(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	// Long enough for the SDK's retries of that part to give up; the
	// service keeps trying to abort the upload meanwhile.
	time.Sleep(8 * time.Second)
	gw.Restart()

	var got answer
	select {
	case got = <-answered:
	case <-time.After(60 * time.Second):
		t.Fatalf("no answer to the upload; log:\n%s", svc.logs)
	}
	if got.err != nil {
		t.Fatalf("upload: %v", got.err)
	}
	if got.res.StatusCode < 500 || got.res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("upload = %d %s %s, want a 5xx problem+json", got.res.StatusCode, got.res.Header.Get("Content-Type"), got.body)
	}
	if strings.Contains(string(got.body), "connect") || strings.Contains(string(got.body), "s3") {
		t.Errorf("the answer leaks the internal error: %s", got.body)
	}
	if names := gw.List(bucket); len(names) != 0 {
		t.Errorf("bucket holds %q after the failed upload", names)
	}
}

// TestS3UploadMemory: a 100 MiB upload to the bucket raises the service's
// peak resident memory by less than 32 MiB: it streams in fixed parts. The
// binary has no race detector, which would triple the figure.
func TestS3UploadMemory(t *testing.T) {
	gw := versitygw.Start(t)
	bucket := gw.Bucket("uploads")
	bin := e2etest.PlainService(t, repoRoot, apiBinary)
	svc, _ := startS3Binary(t, bin, gw, bucket, "MAX_UPLOAD_BYTES", "200MiB")
	// A small upload first, so the clients and pools exist before the
	// baseline.
	uploadTo(t, svc.base, "warm.txt", strings.NewReader("warm up"))

	status := fmt.Sprintf("/proc/%d/status", svc.cmd.Process.Pid)
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", svc.cmd.Process.Pid), []byte("5"), 0); err != nil {
		testenv.Missing(t, "cannot reset the peak RSS (Linux only): %v", err)
	}
	before := procField(t, status, "VmRSS")
	const size = 100 << 20
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	uploadTo(t, svc.base, "big.bin", io.LimitReader(repeat(chunk), size))
	peak := procField(t, status, "VmHWM")
	growth := peak - before
	t.Logf("100 MiB upload to S3: RSS %d MiB before, peak %d MiB, growth %.1f MiB", before>>20, peak>>20, float64(growth)/(1<<20))
	if growth >= 32<<20 {
		t.Errorf("peak RSS grew by %.1f MiB during a 100 MiB upload, want under 32 MiB", float64(growth)/(1<<20))
	}
}

// uploadTo streams r as the file part of POST /upload and returns the id.
func uploadTo(t *testing.T, base, name string, r io.Reader) string {
	t.Helper()
	pr, pw := io.Pipe()
	form := multipart.NewWriter(pw)
	go func() {
		part, err := form.CreateFormFile("file", name)
		if err == nil {
			_, err = io.Copy(part, r)
		}
		if err == nil {
			err = form.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := http.Post(base+"/upload", form.FormDataContentType(), pr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", name, res.StatusCode, body)
	}
	return strings.TrimPrefix(res.Header.Get("Location"), "/download/")
}

// get sends a GET with headers and returns the response and its body.
func get(t *testing.T, url string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// procField reads a kB field of /proc/PID/status, in bytes.
func procField(t *testing.T, path, field string) int64 {
	t.Helper()
	f, err := os.Open(path) //nolint:gosec // the test's own child process
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("%s has no %s", path, field)
	return 0
}

// repeat reads b over and over.
func repeat(b []byte) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		n := 0
		for n < len(p) {
			n += copy(p[n:], b)
		}
		return n, nil
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
