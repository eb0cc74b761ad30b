package handlers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/httprange"
	"example.com/echotemplate/internal/mw"
)

// upload stores content through POST /upload and returns its description.
func (s *fileServer) upload(t *testing.T, name, content string) storedFile {
	t.Helper()
	body, ctype := multipartForm(t, filePart(name, content))
	rec := s.do(t, uploadRequest(body, ctype, false))
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload: status %d, body %s", rec.Code, rec.Body)
	}
	var f storedFile
	decodeJSON(t, rec, &f)
	return f
}

func TestDownloadRoundTrip(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	content := make([]byte, 300_000)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(content) // never fails
	f := s.upload(t, "résumé 'final'.bin", string(content))

	rec := s.get(t, "/download/"+f.ID)

	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), content) {
		t.Fatalf("got %d with %d bytes, want 200 with the %d bytes uploaded", rec.Code, rec.Body.Len(), len(content))
	}
	sum := sha256.Sum256(rec.Body.Bytes())
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		t.Errorf("sha256 of the download = %s, want the upload's %s", got, f.SHA256)
	}
	wantHeaders := map[string]string{
		"Content-Type":        "application/octet-stream",
		"Content-Disposition": `attachment; filename="r_sum_ 'final'.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%27final%27.bin`,
		"Etag":                `"` + f.SHA256 + `"`,
		"Accept-Ranges":       "bytes",
	}
	for k, want := range wantHeaders {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := http.ParseTime(rec.Header().Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified = %q: %v", rec.Header().Get("Last-Modified"), err)
	}
}

// TestDownloadConditionalAndRanges follows the cases of net/http's own
// ServeContent tests, through the whole stack.
func TestDownloadConditionalAndRanges(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	const content = "abcdefghijklmnopqrstuvwxyz"
	f := s.upload(t, "letters.txt", content)
	etag := `"` + f.SHA256 + `"`
	later := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	manyRanges := "bytes=" + strings.Repeat("0-0,", httprange.MaxRanges) + "0-0" // one over the cap

	tests := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
		body    string   // for single-part answers
		parts   []string // for multipart/byteranges answers
		cRange  string   // Content-Range
	}{
		{"Whole", "GET", nil, 200, content, nil, ""},
		{"Head", "HEAD", nil, 200, "", nil, ""},
		{"FirstBytes", "GET", map[string]string{"Range": "bytes=0-4"}, 206, "abcde", nil, "bytes 0-4/26"},
		{"From", "GET", map[string]string{"Range": "bytes=20-"}, 206, "uvwxyz", nil, "bytes 20-25/26"},
		{"Suffix", "GET", map[string]string{"Range": "bytes=-3"}, 206, "xyz", nil, "bytes 23-25/26"},
		{"EndPastSize", "GET", map[string]string{"Range": "bytes=24-1000"}, 206, "yz", nil, "bytes 24-25/26"},
		{"TwoRanges", "GET", map[string]string{"Range": "bytes=0-1,5-7"}, 206, "", []string{"ab", "fgh"}, ""},
		{"TooManyRanges", "GET", map[string]string{"Range": manyRanges}, 200, content, nil, ""},
		{"StartAtSize", "GET", map[string]string{"Range": "bytes=26-"}, 416, "", nil, "bytes */26"},
		{"PastEnd", "GET", map[string]string{"Range": "bytes=100-200"}, 416, "", nil, "bytes */26"},
		{"Backwards", "GET", map[string]string{"Range": "bytes=5-2"}, 416, "", nil, ""},
		{"IfNoneMatch", "GET", map[string]string{"If-None-Match": etag}, 304, "", nil, ""},
		{"IfNoneMatchOther", "GET", map[string]string{"If-None-Match": `"other"`}, 200, content, nil, ""},
		{"IfModifiedSince", "GET", map[string]string{"If-Modified-Since": later}, 304, "", nil, ""},
		{"IfRangeCurrent", "GET", map[string]string{"Range": "bytes=0-1", "If-Range": etag}, 206, "ab", nil, "bytes 0-1/26"},
		{"IfRangeStale", "GET", map[string]string{"Range": "bytes=0-1", "If-Range": `"stale"`}, 200, content, nil, ""},
		{"IfMatchStale", "GET", map[string]string{"If-Match": `"stale"`}, 412, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/download/"+f.ID, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := s.do(t, req)
			if tt.status >= 400 {
				wantProblem(t, rec, tt.status)
				if got := rec.Header().Get("Content-Disposition"); got != "" {
					t.Errorf("problem has Content-Disposition %q, which would save it as the file", got)
				}
			} else if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %q", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("Content-Range"); got != tt.cRange {
				t.Errorf("Content-Range = %q, want %q", got, tt.cRange)
			}
			switch {
			case tt.parts != nil:
				if got := readByteranges(t, rec); strings.Join(got, "|") != strings.Join(tt.parts, "|") {
					t.Errorf("parts = %q, want %q", got, tt.parts)
				}
			case tt.status < 400 && rec.Body.String() != tt.body:
				t.Errorf("body = %q, want %q", rec.Body, tt.body)
			}
		})
	}
}

// TestDownloadHeadStatuses sends HEAD with the headers that make a GET
// answer 206, 304 and 416, to both download routes: the contract check in
// do fails for any status the spec leaves out.
func TestDownloadHeadStatuses(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	f := s.upload(t, "letters.txt", "abcdefghijklmnopqrstuvwxyz")
	for _, path := range []string{"/download", "/download/" + f.ID} {
		etag := s.get(t, path).Header().Get("ETag")
		for _, tt := range []struct {
			name, header, value string
			status              int
		}{
			{"Range", "Range", "bytes=0-4", http.StatusPartialContent},
			{"IfNoneMatch", "If-None-Match", etag, http.StatusNotModified},
			{"RangePastEnd", "Range", "bytes=100000000-", http.StatusRequestedRangeNotSatisfiable},
		} {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodHead, path, nil)
				req.Header.Set(tt.header, tt.value)
				if rec := s.do(t, req); rec.Code != tt.status || rec.Body.Len() != 0 {
					t.Errorf("HEAD = %d with %d body bytes, want %d and none", rec.Code, rec.Body.Len(), tt.status)
				}
			})
		}
	}
}

// readByteranges returns the bodies of a multipart/byteranges answer.
func readByteranges(t *testing.T, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	if err != nil || mediaType != "multipart/byteranges" {
		t.Fatalf("Content-Type = %q, want multipart/byteranges", rec.Header().Get("Content-Type"))
	}
	var out []string
	mr := multipart.NewReader(rec.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		out = append(out, string(b))
	}
}

func TestDownloadNotFound(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	s.upload(t, "a.txt", "a")
	for _, path := range []string{
		"/download/00000000000000000000000000000000",
		"/download/ABCDEF0123456789ABCDEF0123456789",
		"/download/../../etc/passwd",
		"/download/%2e%2e",
		"/download/..%2f..%2fetc%2fpasswd",
		"/download/..%5c..%5cwin.ini",
		"/download/x.json",
	} {
		t.Run(path, func(t *testing.T) {
			wantProblem(t, s.get(t, path), http.StatusNotFound)
		})
	}
}

func TestDownloadSample(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	rec := s.get(t, "/download")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("got %d %q, want 200 application/zip", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got, want := rec.Header().Get("Content-Disposition"), `attachment; filename="downloaded.zip"; filename*=UTF-8''downloaded.zip`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatalf("the sample is not a zip: %v", err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "README.txt" {
		t.Errorf("the sample holds %d files, want README.txt alone", len(zr.File))
	}

	req := httptest.NewRequest(http.MethodGet, "/download", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("Etag"))
	if rec := s.do(t, req); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", rec.Code)
	}
}

// readFromRecorder is an httptest.ResponseRecorder with net/http's
// io.ReaderFrom, recording the source of each ReadFrom call: an *os.File,
// bare or in one io.LimitedReader, is what reaches sendfile(2).
type readFromRecorder struct {
	*httptest.ResponseRecorder
	sources []string
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	kind := fmt.Sprintf("%T", src)
	if lr, ok := src.(*io.LimitedReader); ok {
		kind = fmt.Sprintf("%T of %T", src, lr.R)
	}
	r.sources = append(r.sources, kind)
	return io.Copy(r.ResponseRecorder, src)
}

// TestDownloadReachesSendfile sends a download through the whole Echo
// stack to a writer that, like net/http's, has ReadFrom: every step of the
// paced copy must reach it with the *os.File, and the middleware must still
// see the response (X-Process-Time, X-Request-ID, the logged size).
func TestDownloadReachesSendfile(t *testing.T) {
	cfg := testConfig()
	cfg.DownloadPace = Pace{MinBytesPerSec: 4 << 10, Window: time.Second} // 4 KiB steps
	s := newFileServer(t, cfg, nil)
	content := strings.Repeat("0123456789abcdef", 1300) // 20,800 bytes: six steps
	f := s.upload(t, "big.txt", content)

	rec := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
	s.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/download/"+f.ID, nil))

	if rec.Code != http.StatusOK || rec.Body.String() != content {
		t.Fatalf("got %d with %d bytes, want 200 with %d", rec.Code, rec.Body.Len(), len(content))
	}
	if len(rec.sources) != 6 {
		t.Errorf("ReadFrom called %d times, want 6 paced steps", len(rec.sources))
	}
	for i, src := range rec.sources {
		if src != "*io.LimitedReader of *os.File" {
			t.Errorf("step %d: ReadFrom got %s, want *io.LimitedReader of *os.File", i, src)
		}
	}
	for _, h := range []string{mw.HeaderProcessTime, echo.HeaderXRequestID} {
		if rec.Header().Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
	if want := fmt.Sprintf(`"bytes_out":%d`, len(content)); !strings.Contains(s.logs.String(), want) {
		t.Errorf("log lacks %s:\n%s", want, s.logs)
	}
}

// TestDownloadToStalledReaderIsCutOff asks for a file larger than the
// socket buffers and reads nothing: the server must give up after the
// pace's window instead of holding the connection.
func TestDownloadToStalledReaderIsCutOff(t *testing.T) {
	cfg := testConfig()
	cfg.DownloadPace = Pace{MinBytesPerSec: 1 << 20, Window: 200 * time.Millisecond, Timeout: time.Minute}
	s := newFileServer(t, cfg, nil)
	size := 16 << 20 // more than loopback's socket buffers hold
	f := writeStoredFile(t, s, size)
	srv := s.start(t)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A small receive buffer keeps the kernel from taking it all in.
	if err := conn.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /download/%s HTTP/1.1\r\nHost: test\r\nX-Request-ID: stalled\r\n\r\n", f)
	s.waitLog(t, `"request_id":"stalled"`) // the handler has given up

	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if n >= int64(size) || err == nil {
		t.Errorf("read %d of %d bytes (%v), want the connection cut short", n, size, err)
	}
}

// writeStoredFile uploads size bytes through the server and returns the id.
func writeStoredFile(t *testing.T, s *fileServer, size int) string {
	t.Helper()
	return s.upload(t, "big.bin", strings.Repeat("\x00", size)).ID
}

// TestFileWriterPassesReaderFromOnce checks the unpaced path: one
// ReadFrom with the source as given.
func TestFileWriterPassesReaderFromOnce(t *testing.T) {
	path := t.TempDir() + "/f"
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rec := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	w := &fileWriter{res: c.Response()}

	n, err := w.ReadFrom(&io.LimitedReader{R: file, N: 3})

	if n != 3 || err != nil || rec.Body.String() != "hel" {
		t.Errorf("ReadFrom = %d, %v, body %q; want 3, nil, hel", n, err, rec.Body)
	}
	if len(rec.sources) != 1 || rec.sources[0] != "*io.LimitedReader of *os.File" || c.Response().Size != 3 {
		t.Errorf("sources %q, size %d; want one LimitedReader of the file, size 3", rec.sources, c.Response().Size)
	}
}

// TestDownloadNeverServesActiveContent: uploads are someone else's bytes.
// HTML, SVG, XML and script go back as application/octet-stream, every
// download is an attachment with nosniff and a sandbox CSP, and passive
// types keep their own.
func TestDownloadNeverServesActiveContent(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
	for _, tt := range []struct{ name, content, contentType string }{
		{"page.html", "<!doctype html><script>alert(document.cookie)</script>", "application/octet-stream"},
		{"image.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "application/octet-stream"},
		{"feed.xml", `<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>`, "application/octet-stream"},
		{"app.js", "alert(document.domain)", "application/octet-stream"},
		{"notes.txt", "just words", "text/plain; charset=utf-8"},
		{"dot.png", png, "image/png"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := s.upload(t, tt.name, tt.content)
			rec := s.get(t, "/download/"+f.ID)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			ct := rec.Header().Get("Content-Type")
			// Active content may come back as text/plain when the
			// sniffer calls it text: with nosniff, shown as text at most.
			if ct != tt.contentType && (tt.contentType != "application/octet-stream" || ct != "text/plain; charset=utf-8") {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": "sandbox",
			} {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if got := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(got, "attachment;") {
				t.Errorf("Content-Disposition = %q, want an attachment", got)
			}
		})
	}
}

// headerRecorder is a ResponseRecorder that counts WriteHeader calls, to
// tell "nothing written" from an explicit 200.
type headerRecorder struct {
	*httptest.ResponseRecorder
	statuses []int
}

func (r *headerRecorder) WriteHeader(code int) {
	r.statuses = append(r.statuses, code)
	r.ResponseRecorder.WriteHeader(code)
}

// TestClientGoneIsNeverAServerFault: when the client has gone (its
// request's context is cancelled, as net/http does when the connection
// closes, a half-close after a complete request included), a download and
// an upload write nothing, not even a 499 status line, and the request is
// logged once as 499, below ERROR.
func TestClientGoneIsNeverAServerFault(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	f := s.upload(t, "notes.txt", "some words")
	body, ctype := multipartForm(t, filePart("a.txt", "aaaa"))
	for _, tt := range []struct {
		name, id string
		req      *http.Request
	}{
		{"download", "gone-download", httptest.NewRequest(http.MethodGet, "/download/"+f.ID, nil)},
		{"upload", "gone-upload", uploadRequest(body, ctype, false)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(tt.req.Context())
			cancel()
			req := tt.req.WithContext(ctx)
			req.Header.Set("X-Request-ID", tt.id)
			rec := &headerRecorder{ResponseRecorder: httptest.NewRecorder()}
			s.e.ServeHTTP(rec, req)
			if len(rec.statuses) != 0 || rec.Body.Len() != 0 {
				t.Errorf("wrote statuses %v and %d bytes to a client that has gone", rec.statuses, rec.Body.Len())
			}
			logs := s.waitLog(t, `"request_id":"`+tt.id+`"`)
			var line string
			for l := range strings.SplitSeq(logs, "\n") {
				if strings.Contains(l, `"request_id":"`+tt.id+`"`) && strings.Contains(l, `"msg":"request"`) {
					line = l
				}
			}
			if !strings.Contains(line, `"status":499`) || !strings.Contains(line, `"level":"WARN"`) {
				t.Errorf("request line %q, want status 499 at WARN", line)
			}
			if strings.Contains(logs, `"level":"ERROR"`) {
				t.Errorf("an ERROR was logged for a client that went away:\n%s", logs)
			}
		})
	}
}
