package handlers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/files"
	"example.com/echotemplate/internal/logging"
)

// formPart is one part of a test form; disposition is its whole
// Content-Disposition header, so tests can send names as hostile clients do.
type formPart struct {
	disposition, content string
}

func filePart(name, content string) formPart {
	return formPart{`form-data; name="file"; filename="` + name + `"`, content}
}

// multipartForm encodes parts as a multipart/form-data body.
func multipartForm(t *testing.T, parts ...formPart) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {p.disposition}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(pw, p.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// uploadRequest is POST /upload with body; chunked drops the length, as a
// client streaming a body of unknown size does.
func uploadRequest(body []byte, contentType string, chunked bool) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/upload", bytes.NewReader(body))
	req.Header.Set(echo.HeaderContentType, contentType)
	if chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	return req
}

// storedFile is the JSON description of one uploaded file.
type storedFile struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
}

// dirState lists a directory's entries with their sizes, to show that a
// failed request left it as it was.
func dirState(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d", e.Name(), info.Size()))
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestUpload(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	text := "hello, world\n"
	tests := []struct {
		name   string
		parts  []formPart
		single bool         // one file part: a bare object and a Location
		want   []storedFile // ids aside
	}{
		{"One", []formPart{filePart("hello.txt", text)}, true,
			[]storedFile{{Filename: "hello.txt", Size: 13, SHA256: sha256Hex(text), ContentType: "text/plain; charset=utf-8"}}},
		{"Several", []formPart{filePart("a.bin", "\x00\x01"), {`form-data; name="note"`, "hi"}, filePart("b.txt", "B")}, false,
			[]storedFile{
				{Filename: "a.bin", Size: 2, SHA256: sha256Hex("\x00\x01"), ContentType: "application/octet-stream"},
				{Filename: "b.txt", Size: 1, SHA256: sha256Hex("B"), ContentType: "text/plain; charset=utf-8"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := multipartForm(t, tt.parts...)
			rec := s.do(t, uploadRequest(body, ctype, false))
			if rec.Code != http.StatusCreated {
				t.Fatalf("status = %d, want 201; body %s", rec.Code, rec.Body)
			}
			var got []storedFile
			if tt.single {
				var f storedFile
				decodeJSON(t, rec, &f)
				got = []storedFile{f}
				if loc, want := rec.Header().Get(echo.HeaderLocation), "/download/"+f.ID; loc != want {
					t.Errorf("Location = %q, want %q", loc, want)
				}
			} else {
				var several struct{ Files []storedFile }
				decodeJSON(t, rec, &several)
				got = several.Files
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d files, want %d: %s", len(got), len(tt.want), rec.Body)
			}
			for i, f := range got {
				if len(f.ID) != 32 {
					t.Errorf("file %d: id = %q, want 32 hex digits", i, f.ID)
				}
				f.ID = ""
				if f != tt.want[i] {
					t.Errorf("file %d = %+v, want %+v", i, f, tt.want[i])
				}
			}
		})
	}
}

func decodeJSON(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("body is not the expected JSON: %v: %s", err, rec.Body)
	}
}

// TestUploadHostileNames checks that names meant to traverse, inject or
// mislead come back sanitised; the upload package tests the full list.
func TestUploadHostileNames(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	tests := []struct {
		name, disposition, want string
	}{
		{"UnixTraversal", `form-data; name="file"; filename="../../etc/passwd"`, "passwd"},
		{"WindowsTraversal", `form-data; name="file"; filename="..\\..\\x"`, "x"},
		{"NUL", `form-data; name="file"; filename*=UTF-8''a%00b.txt`, "ab.txt"},
		{"CRLF", `form-data; name="file"; filename*=UTF-8''a%0D%0Ab.txt`, "ab.txt"},
		{"Long", `form-data; name="file"; filename="` + strings.Repeat("n", 4096) + `.txt"`, strings.Repeat("n", 251) + ".txt"},
		{"Script", `form-data; name="file"; filename="<script>alert(1)<\/script>"`, "script>"},
		{"RTLOverride", "form-data; name=\"file\"; filename=\"invoice\u202Efdp.exe\"", "invoicefdp.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := multipartForm(t, formPart{tt.disposition, "x"})
			rec := s.do(t, uploadRequest(body, ctype, false))
			var got storedFile
			decodeJSON(t, rec, &got)
			if rec.Code != http.StatusCreated || got.Filename != tt.want {
				t.Errorf("got %d with filename %q, want 201 with %q", rec.Code, got.Filename, tt.want)
			}
			if strings.Contains(rec.Body.String(), "<") {
				t.Errorf("body has a raw <: %s", rec.Body)
			}
		})
	}
}

func TestUploadRefuses(t *testing.T) {
	file := filePart("a.txt", strings.Repeat("a", 1000))
	note := formPart{`form-data; name="note"`, "abc"}
	tests := []struct {
		name    string
		cfg     func(c *Config, bodyLen int64)
		parts   []formPart // the body, or when nil, raw with rawType
		raw     string
		rawType string
		chunked bool
		status  int
		detail  string // a part of the problem's detail
	}{
		{name: "OneByteOver", cfg: func(c *Config, n int64) { c.Upload.MaxBytes = n - 1 },
			parts: []formPart{file}, status: 413, detail: "larger than"},
		{name: "OneByteOverChunked", cfg: func(c *Config, n int64) { c.Upload.MaxBytes = n - 1 },
			parts: []formPart{file}, chunked: true, status: 413, detail: "larger than"},
		{name: "TooManyParts", cfg: func(c *Config, _ int64) { c.Upload.MaxParts = 1 },
			parts: []formPart{file, file}, status: 413, detail: "more than 1 parts"},
		{name: "FieldTooLarge", cfg: func(c *Config, _ int64) { c.Upload.MaxFieldBytes = 2 },
			parts: []formPart{note, file}, status: 413, detail: "form field is larger than 2 bytes"},
		{name: "TypeNotAllowed", cfg: func(c *Config, _ int64) { c.UploadAllowedTypes = []string{"image/png", "image/jpeg"} },
			parts: []formPart{file}, status: 415, detail: "image/png, image/jpeg"},
		{name: "NotMultipart", raw: `{"file":"x"}`, rawType: "application/json", status: 415, detail: "multipart/form-data"},
		{name: "Malformed", raw: "--x\r\nno header end", rawType: "multipart/form-data; boundary=x", status: 400, detail: "malformed"},
		{name: "NoBoundaryLine", raw: "garbage", rawType: "multipart/form-data; boundary=x", status: 400, detail: "malformed"},
		{name: "NoFilePart", parts: []formPart{note}, status: 422, detail: "invalid fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := []byte(tt.raw), tt.rawType
			if tt.parts != nil {
				body, ctype = multipartForm(t, tt.parts...)
			}
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg, int64(len(body)))
			}
			s := newFileServer(t, cfg, nil)
			before := dirState(t, s.dir)

			p := wantProblem(t, s.do(t, uploadRequest(body, ctype, tt.chunked)), tt.status)

			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to mention %q", p.Detail, tt.detail)
			}
			if after := dirState(t, s.dir); !slices.Equal(after, before) {
				t.Errorf("storage changed from %q to %q", before, after)
			}
		})
	}
}

// TestUploadAtLimit is the other side of OneByteOver: a body exactly at
// the limit is stored.
func TestUploadAtLimit(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			body, ctype := multipartForm(t, filePart("a.txt", strings.Repeat("a", 1000)))
			cfg := testConfig()
			cfg.Upload.MaxBytes = int64(len(body))
			s := newFileServer(t, cfg, nil)
			if rec := s.do(t, uploadRequest(body, ctype, chunked)); rec.Code != http.StatusCreated {
				t.Errorf("status = %d, want 201; body %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestUploadAllowedTypes(t *testing.T) {
	cfg := testConfig()
	cfg.UploadAllowedTypes = []string{"image/png"}
	s := newFileServer(t, cfg, nil)
	// The client's claim is ignored: only the bytes count.
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 32)
	tests := []struct {
		name, filename, content string
		status                  int
	}{
		{"PNG", "image.txt", png, http.StatusCreated},
		{"TextNamedPNG", "image.png", "not an image", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := multipartForm(t, formPart{
				`form-data; name="file"; filename="` + tt.filename + `"` + "\r\nContent-Type: image/png", tt.content})
			if rec := s.do(t, uploadRequest(body, ctype, false)); rec.Code != tt.status {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
}

// TestUploadClientDisconnects cuts the connection midway: nothing may be
// left behind, and the server must not log it as its own error.
func TestUploadClientDisconnects(t *testing.T) {
	s := newFileServer(t, testConfig(), nil)
	srv := s.start(t)
	body, ctype := multipartForm(t, filePart("a.txt", strings.Repeat("a", 300_000)), filePart("b.txt", strings.Repeat("b", 300_000)))
	before := dirState(t, s.dir)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: test\r\nX-Request-ID: gone-away\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		ctype, len(body), body[:len(body)*3/4])
	conn.Close()

	logs := s.waitLog(t, `"request_id":"gone-away"`)
	if after := dirState(t, s.dir); !slices.Equal(after, before) {
		t.Errorf("storage changed from %q to %q", before, after)
	}
	if strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, `"status":499`) {
		t.Errorf("want the request logged as 499 and no error:\n%s", logs)
	}
}

// TestUploadOutlivesServerTimeouts sends a body for longer than the
// server's read and write timeouts, at a steady pace: the upload's own
// deadline moves with its progress, so it succeeds.
func TestUploadOutlivesServerTimeouts(t *testing.T) {
	cfg := testConfig()
	cfg.UploadPace = Pace{MinBytesPerSec: 16 << 10, Window: 400 * time.Millisecond, Timeout: time.Minute}
	s := newFileServer(t, cfg, nil)
	srv := httptest.NewUnstartedServer(s.e)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()

	pr, pw := io.Pipe()
	form := multipart.NewWriter(pw)
	go func() {
		fw, err := form.CreateFormFile("file", "slow.txt")
		for i := 0; err == nil && i < 12; i++ { // about 1.2s at 160 KiB/s
			_, err = fw.Write(bytes.Repeat([]byte("s"), 16<<10))
			time.Sleep(100 * time.Millisecond)
		}
		if err == nil {
			err = form.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := http.Post(srv.URL+"/upload", form.FormDataContentType(), pr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("status = %d, want 201; body %s", res.StatusCode, b)
	}
}

// TestUploadTooSlowIsCutOff sends a few bytes and stalls: the server must
// give up after the pace's window, not wait for the server-wide timeout,
// and leave nothing behind.
func TestUploadTooSlowIsCutOff(t *testing.T) {
	cfg := testConfig()
	cfg.UploadPace = Pace{MinBytesPerSec: 1 << 10, Window: 300 * time.Millisecond, Timeout: time.Minute}
	s := newFileServer(t, cfg, nil)
	srv := s.start(t)
	before := dirState(t, s.dir)
	body, ctype := multipartForm(t, filePart("a.txt", strings.Repeat("a", 10_000)))

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		ctype, len(body), body[:300])
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status = %d, want 408", res.StatusCode)
	}
	if after := dirState(t, s.dir); !slices.Equal(after, before) {
		t.Errorf("storage changed from %q to %q", before, after)
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{100 << 20, "100 MiB"}, {8 << 10, "8 KiB"}, {1 << 30, "1 GiB"}, {1000, "1000 bytes"}, {1025, "1025 bytes"}, {0, "0 bytes"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// newStoreServer serves a store with the given quota and retention, on a
// clock the test moves.
func newStoreServer(t *testing.T, opts files.Options) (*testServer, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := files.NewStore(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log, err := logging.New(&logs, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	health := NewHealth()
	e := NewServer(testConfig(), Deps{Log: log, Health: health, Files: store})
	return &testServer{e: e, logs: &logs, health: health}, dir
}

// TestUploadStorageFull: an upload that would take the store past its
// quota gets 507 and leaves the directory as it was; one that fits
// exactly is stored, and then nothing more fits.
func TestUploadStorageFull(t *testing.T) {
	content := strings.Repeat("a", 1000)
	body, ctype := multipartForm(t, filePart("a.txt", content))

	s, dir := newStoreServer(t, files.Options{MaxBytes: int64(len(content)) - 1})
	p := wantProblem(t, s.do(t, uploadRequest(body, ctype, false)), http.StatusInsufficientStorage)
	if !strings.Contains(p.Detail, "no room") {
		t.Errorf("detail = %q, want it to say there is no room", p.Detail)
	}
	if after := dirState(t, dir); len(after) != 0 {
		t.Errorf("storage holds %q after a refused upload, want nothing", after)
	}

	s, dir = newStoreServer(t, files.Options{MaxBytes: int64(len(content))})
	if rec := s.do(t, uploadRequest(body, ctype, false)); rec.Code != http.StatusCreated {
		t.Fatalf("upload at the quota: status = %d, want 201; body %s", rec.Code, rec.Body)
	}
	before := dirState(t, dir)
	one, onetype := multipartForm(t, filePart("b.txt", "b"))
	wantProblem(t, s.do(t, uploadRequest(one, onetype, true)), http.StatusInsufficientStorage)
	if after := dirState(t, dir); !slices.Equal(after, before) {
		t.Errorf("storage changed from %q to %q", before, after)
	}
}

// TestDownloadExpired: a file past UPLOAD_RETENTION answers 404 at once,
// before any sweep has removed it.
func TestDownloadExpired(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, _ := newStoreServer(t, files.Options{Retention: time.Hour, Now: func() time.Time { return now }})
	body, ctype := multipartForm(t, filePart("a.txt", "hello"))
	rec := s.do(t, uploadRequest(body, ctype, false))
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload: status = %d; body %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get(echo.HeaderLocation)

	now = now.Add(time.Hour - time.Second)
	if rec := s.get(t, loc); rec.Code != http.StatusOK {
		t.Fatalf("just before expiry: status = %d, want 200", rec.Code)
	}
	now = now.Add(time.Second)
	wantProblem(t, s.get(t, loc), http.StatusNotFound)
}
