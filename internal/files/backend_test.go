package files

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"example.com/echotemplate/internal/files/versitygw"
)

// testBackend opens Stores over one kind of backend and lists what they
// hold, so one test checks both backends against the same behaviour.
type testBackend struct {
	name string
	// open returns a new, empty Store and a function listing everything
	// it holds: files, metadata, temporary files, multipart uploads.
	open func(t *testing.T, opts Options) (*Store, func() []string)
}

// testBackends are the local directory and, when versitygw is installed,
// an S3 bucket.
func testBackends() []testBackend {
	return []testBackend{
		{name: "Dir", open: func(t *testing.T, opts Options) (*Store, func() []string) {
			dir := t.TempDir()
			return newStore(t, dir, opts), func() []string { return listDir(t, dir) }
		}},
		{name: "S3", open: func(t *testing.T, opts Options) (*Store, func() []string) {
			s, gw, bucket := newS3Store(t, opts)
			return s, func() []string { return gw.List(bucket) }
		}},
	}
}

// newS3Store starts versitygw (once per test) and returns a Store over a
// new bucket in it, the server and the bucket's name.
func newS3Store(t testing.TB, opts Options) (*Store, *versitygw.Server, string) {
	t.Helper()
	gw := versitygw.Start(t)
	cfg := S3Config{
		Bucket: gw.Bucket("uploads"), Endpoint: gw.Endpoint, Region: "us-east-1",
		AccessKeyID: versitygw.AccessKey, SecretAccessKey: versitygw.SecretKey,
	}
	s, err := NewS3Store(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("NewS3Store: %v", err)
	}
	return s, gw, cfg.Bucket
}

// bigContent is larger than two parts of a multipart upload, with a short
// third part, and random so a misplaced part shows.
func bigContent() []byte {
	b := make([]byte, 2*partSize+12345)
	_, _ = rand.Read(b)
	return b
}

func TestBackendPutOpen(t *testing.T) {
	big := bigContent()
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, Options{})
			for _, tt := range []struct{ name, content, filename string }{
				{"Empty", "", "empty.txt"},
				{"Small", "hello", "grüße \"x\"\r\n.txt"},
				{"Multipart", string(big), "big.bin"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					put, err := s.Put(context.Background(), strings.NewReader(tt.content), tt.filename)
					if err != nil {
						t.Fatalf("Put: %v", err)
					}
					if put.Size != int64(len(tt.content)) || put.SHA256 != sha256Hex(tt.content) {
						t.Errorf("Put = %+v, want size %d and sha256 %s", put, len(tt.content), sha256Hex(tt.content))
					}
					f, got, err := s.Open(context.Background(), put.ID)
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					defer f.Close()
					if !got.ModTime.Equal(put.ModTime) {
						t.Errorf("ModTime = %v, want %v", got.ModTime, put.ModTime)
					}
					got.ModTime = put.ModTime
					if got != put {
						t.Errorf("Open info = %+v, want %+v", got, put)
					}
					body, err := io.ReadAll(f)
					if err != nil || string(body) != tt.content {
						t.Errorf("content read back: %d bytes (%v), want %d", len(body), err, len(tt.content))
					}
					// A seek back across a part boundary reads on from there.
					if len(tt.content) > partSize {
						off := int64(partSize - 3)
						if _, err := f.Seek(off, io.SeekStart); err != nil {
							t.Fatal(err)
						}
						p := make([]byte, 6)
						if _, err := io.ReadFull(f, p); err != nil || !bytes.Equal(p, big[off:off+6]) {
							t.Errorf("read at %d = %x (%v), want %x", off, p, err, big[off:off+6])
						}
					}
				})
			}
		})
	}
}

// TestBackendServe: a stored file goes through Serve with ranges,
// multi-range, 416, If-Range and 304 on both backends.
func TestBackendServe(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, Options{})
			put, err := s.Put(context.Background(), strings.NewReader(content), "report.txt")
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				name      string
				header    map[string]string
				wantCode  int
				wantRange string
				wantBody  string
				wantParts []string
			}{
				{name: "Full", wantCode: 200, wantBody: content},
				{name: "Range", header: map[string]string{"Range": "bytes=5-9"}, wantCode: 206, wantRange: "bytes 5-9/20", wantBody: "56789"},
				{name: "Suffix", header: map[string]string{"Range": "bytes=-3"}, wantCode: 206, wantRange: "bytes 17-19/20", wantBody: "hij"},
				{name: "MultiRange", header: map[string]string{"Range": "bytes=0-1,5-8,-2"}, wantCode: 206, wantParts: []string{"01", "5678", "ij"}},
				{name: "Unsatisfiable", header: map[string]string{"Range": "bytes=20-"}, wantCode: 416, wantRange: "bytes */20"},
				{name: "IfRangeMatch", header: map[string]string{"Range": "bytes=0-4", "If-Range": `"` + put.SHA256 + `"`}, wantCode: 206, wantRange: "bytes 0-4/20", wantBody: "01234"},
				{name: "IfRangeMismatch", header: map[string]string{"Range": "bytes=0-4", "If-Range": `"other"`}, wantCode: 200, wantBody: content},
				{name: "NotModified", header: map[string]string{"If-None-Match": `"` + put.SHA256 + `"`}, wantCode: 304},
			} {
				t.Run(tt.name, func(t *testing.T) {
					f, info, err := s.Open(context.Background(), put.ID)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					req := httptest.NewRequest(http.MethodGet, "/download/"+put.ID, nil)
					for k, v := range tt.header {
						req.Header.Set(k, v)
					}
					rec := httptest.NewRecorder()
					err = Serve(rec, req, File{Name: info.Filename, ContentType: info.ContentType, ModTime: info.ModTime, ETag: info.SHA256, Content: f})
					if errors.Is(err, ErrRangeNotSatisfiable) {
						rec.WriteHeader(http.StatusRequestedRangeNotSatisfiable) // as the handler does
					}
					res := rec.Result()
					if res.StatusCode != tt.wantCode {
						t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantCode)
					}
					if got := res.Header.Get("Content-Range"); got != tt.wantRange && tt.wantParts == nil {
						t.Errorf("Content-Range = %q, want %q", got, tt.wantRange)
					}
					switch {
					case tt.wantParts != nil:
						if got := readParts(t, res); !slices.Equal(got, tt.wantParts) {
							t.Errorf("parts = %q, want %q", got, tt.wantParts)
						}
					case tt.wantCode < 300:
						if got := rec.Body.String(); got != tt.wantBody {
							t.Errorf("body = %q, want %q", got, tt.wantBody)
						}
					}
				})
			}
		})
	}
}

// TestBackendRefusedLeavesNothing: an upload refused for its type, over
// the quota, failing or cancelled midway (the client gone) leaves no file,
// no temporary file, no object and no multipart upload.
func TestBackendRefusedLeavesNothing(t *testing.T) {
	errRead := errors.New("connection reset")
	big := bigContent()
	tests := []struct {
		name    string
		opts    Options
		body    func(cancel context.CancelFunc) io.Reader
		wantErr error
	}{
		{"TypeNotAllowed", Options{AllowedTypes: []string{"image/png"}}, func(context.CancelFunc) io.Reader {
			return strings.NewReader("plain text")
		}, ErrTypeNotAllowed},
		{"OverQuotaSmall", Options{MaxBytes: 10 << 10}, func(context.CancelFunc) io.Reader {
			return strings.NewReader(strings.Repeat("x", 10<<10+1))
		}, ErrStorageFull},
		{"OverQuotaInSecondPart", Options{MaxBytes: partSize + 1}, func(context.CancelFunc) io.Reader {
			return bytes.NewReader(big)
		}, ErrStorageFull},
		{"ReadErrorInSecondPart", Options{}, func(context.CancelFunc) io.Reader {
			return io.MultiReader(bytes.NewReader(big[:partSize+100]), iotest.ErrReader(errRead))
		}, errRead},
		{"CancelledInSecondPart", Options{}, func(cancel context.CancelFunc) io.Reader {
			return io.MultiReader(bytes.NewReader(big[:partSize+100]), cancelReader(cancel), strings.NewReader("rest"))
		}, context.Canceled},
	}
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s, list := b.open(t, tt.opts)
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					if _, err := s.Put(ctx, tt.body(cancel), "x"); !errors.Is(err, tt.wantErr) {
						t.Fatalf("Put error = %v, want %v", err, tt.wantErr)
					}
					if names := list(); len(names) != 0 {
						t.Errorf("failed Put left %q", names)
					}
				})
			}
		})
	}
}

// TestBackendQuota: an upload may fill the store to exactly MaxBytes;
// usage counts what is stored, so even one byte more is then refused.
func TestBackendQuota(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, Options{MaxBytes: 40 << 10})
			if _, err := s.Put(context.Background(), strings.NewReader(strings.Repeat("a", 40<<10)), "a"); err != nil {
				t.Fatalf("Put of exactly MaxBytes = %v, want it stored", err)
			}
			_, err := s.Put(context.Background(), strings.NewReader("b"), "b")
			if !errors.Is(err, ErrStorageFull) {
				t.Errorf("second Put = %v, want ErrStorageFull", err)
			}
		})
	}
}

// TestBackendRetention: an expired file is not found at once and the
// sweep deletes it; a fresh one stays; Delete removes at once.
func TestBackendRetention(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			now := time.Now()
			s, list := b.open(t, Options{Retention: time.Hour, StaleAfter: time.Hour, Now: func() time.Time { return now }})
			ctx := context.Background()
			old, err := s.Put(ctx, strings.NewReader("old"), "old.txt")
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(50 * time.Minute)
			fresh, err := s.Put(ctx, strings.NewReader("fresh"), "fresh.txt")
			if err != nil {
				t.Fatal(err)
			}
			gone, err := s.Put(ctx, strings.NewReader("gone"), "gone.txt")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, gone.ID); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if err := s.Delete(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("second Delete = %v, want ErrNotFound", err)
			}
			now = now.Add(10 * time.Minute)
			if _, _, err := s.Open(ctx, old.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open(expired) = %v, want ErrNotFound", err)
			}
			swept, err := s.Sweep(ctx)
			if err != nil || swept != (Swept{Expired: 1}) {
				t.Errorf("Sweep = %+v, %v; want one expired", swept, err)
			}
			if got := list(); !slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, fresh.ID) }) ||
				slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, old.ID) }) {
				t.Errorf("after the sweep the store holds %q; want %s and not %s", got, fresh.ID, old.ID)
			}
		})
	}
}

// TestS3SweepStaleUploads: a multipart upload a killed process left, and
// an object it never gave its checksum, are removed once StaleAfter old;
// younger ones are left to finish.
func TestS3SweepStaleUploads(t *testing.T) {
	now := time.Now()
	s, gw, bucket := newS3Store(t, Options{StaleAfter: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()
	client, err := newS3Client(ctx, S3Config{Bucket: bucket, Endpoint: gw.Endpoint, Region: "us-east-1",
		AccessKeyID: versitygw.AccessKey, SecretAccessKey: versitygw.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{newID(), newID()} {
		if _, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &id}); err != nil {
			t.Fatal(err)
		}
	}
	id := newID()
	m := metadata{Filename: "x", Created: now}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &id, Body: strings.NewReader("x"), Metadata: m.headers(false)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(object without checksum) = %v, want ErrNotFound", err)
	}
	if swept, err := s.Sweep(ctx); err != nil || swept != (Swept{}) {
		t.Errorf("Sweep of young uploads = %+v, %v; want nothing removed", swept, err)
	}
	now = now.Add(time.Hour + time.Minute)
	if swept, err := s.Sweep(ctx); err != nil || swept != (Swept{Partial: 3}) {
		t.Errorf("Sweep = %+v, %v; want 3 partial", swept, err)
	}
	if names := gw.List(bucket); len(names) != 0 {
		t.Errorf("bucket holds %q after the sweep", names)
	}
}

func TestParseS3URL(t *testing.T) {
	got, err := ParseS3URL("s3://uploads?endpoint=http://127.0.0.1:7070&region=eu-west-1")
	if want := (S3Config{Bucket: "uploads", Endpoint: "http://127.0.0.1:7070", Region: "eu-west-1"}); err != nil || got != want {
		t.Errorf("ParseS3URL = %+v, %v; want %+v", got, err, want)
	}
	if got, err := ParseS3URL("s3://uploads"); err != nil || got.Region != "us-east-1" || got.Endpoint != "" {
		t.Errorf("ParseS3URL without parameters = %+v, %v; want region us-east-1, no endpoint", got, err)
	}
	for _, bad := range []string{"http://uploads", "s3://", "s3://b/path", "s3://b?endpoint=ftp://x", "s3://b?bucket=x", "s3://key:secret@b"} {
		if _, err := ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) succeeded, want an error", bad)
		}
	}
}
