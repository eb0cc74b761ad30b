package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"testing"
)

// part is one part of a test upload.
type part struct {
	field       string
	disposition string // full Content-Disposition, overriding field/filename
	filename    string
	content     string
	header      map[string]string // extra header lines
}

func filePart(name, content string) part {
	return part{field: FileField, filename: name, content: content}
}

// multipartBody encodes parts as multipart/form-data.
func multipartBody(t *testing.T, parts ...part) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		switch {
		case p.disposition != "":
			h.Set("Content-Disposition", p.disposition)
		case p.filename != "":
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.filename))
		default:
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		}
		for k, v := range p.header {
			h.Set(k, v)
		}
		pw, err := w.CreatePart(h)
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

func TestReceive(t *testing.T) {
	tests := []struct {
		name      string
		parts     []part
		wantFiles []string // name=content of each stored file; plain fields are dropped
	}{
		{"OneFile", []part{filePart("a.txt", "hello")}, []string{"a.txt=hello"}},
		{"SeveralFiles", []part{filePart("a.txt", "A"), filePart("b.txt", "B"), filePart("c.txt", "C")}, []string{"a.txt=A", "b.txt=B", "c.txt=C"}},
		{"EmptyFile", []part{filePart("empty", "")}, []string{"empty="}},
		{"FileWithoutName", []part{{field: FileField, content: "x"}}, []string{"file=x"}},
		{"FilesAndFields", []part{{field: "note", content: "hi"}, filePart("a.txt", "A")}, []string{"a.txt=A"}},
		{"OtherFileFieldIsAField", []part{{field: "other", filename: "x.txt", content: "X"}, filePart("a.txt", "A")}, []string{"a.txt=A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, dir := newStoreWithEarlier(t, Options{})
			body, ctype := multipartBody(t, tt.parts...)

			res, err := receive(t, NewReceiver(store, Limits{}), bytes.NewReader(body), ctype)
			if err != nil {
				t.Fatalf("Receive: %v", err)
			}
			var got []string
			for _, f := range res.Files {
				got = append(got, f.Filename+"="+readStored(t, store, f.ID))
				if f.SHA256 != sha256Hex(readStored(t, store, f.ID)) {
					t.Errorf("%s: wrong sha256", f.Filename)
				}
			}
			if !slices.Equal(got, tt.wantFiles) {
				t.Errorf("files = %q, want %q", got, tt.wantFiles)
			}
			if got, want := len(dirState(t, dir)), 2+2*len(tt.wantFiles); got != want {
				t.Errorf("directory holds %d entries, want %d", got, want)
			}
		})
	}
}

func TestReceiveHostileNames(t *testing.T) {
	tests := []struct {
		name        string
		disposition string
		want        string
	}{
		{"UnixTraversal", `form-data; name="file"; filename="../../etc/passwd"`, "passwd"},
		{"WindowsTraversal", `form-data; name="file"; filename="..\\..\\x"`, "x"},
		{"DotDot", `form-data; name="file"; filename=".."`, "file"},
		{"EncodedNUL", `form-data; name="file"; filename*=UTF-8''a%00b.txt`, "ab.txt"},
		{"EncodedCRLF", `form-data; name="file"; filename*=UTF-8''a%0D%0Ab.txt`, "ab.txt"},
		{"Long", `form-data; name="file"; filename="` + strings.Repeat("n", 4096) + `.txt"`, strings.Repeat("n", 251) + ".txt"},
		{"Script", `form-data; name="file"; filename="<script>alert(1)<\/script>"`, "script>"},
		{"RTLOverride", "form-data; name=\"file\"; filename=\"invoice\u202Efdp.exe\"", "invoicefdp.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, dir := newStoreWithEarlier(t, Options{})
			before := dirState(t, dir)
			body, ctype := multipartBody(t, part{disposition: tt.disposition, content: "x"})

			res, err := receive(t, NewReceiver(store, Limits{}), bytes.NewReader(body), ctype)
			if err != nil {
				t.Fatalf("Receive: %v", err)
			}
			if got := res.Files[0].Filename; got != tt.want {
				t.Errorf("filename = %q, want %q", got, tt.want)
			}
			id := res.Files[0].ID
			added := slices.DeleteFunc(dirState(t, dir), func(e string) bool { return slices.Contains(before, e) })
			if len(added) != 2 || !strings.HasPrefix(added[0], id+" ") || !strings.HasPrefix(added[1], id+".json ") {
				t.Errorf("upload added %q, want only %s and its metadata", added, id)
			}
		})
	}
}

func TestReceiveRefuses(t *testing.T) {
	good := filePart("good.txt", "stored before the failure")
	tests := []struct {
		name    string
		limits  Limits
		allowed []string
		body    func(t *testing.T) ([]byte, string)
		wantErr error
	}{
		{"NotMultipart", Limits{}, nil, func(*testing.T) ([]byte, string) {
			return []byte(`{"file":"x"}`), "application/json"
		}, ErrNotMultipart},
		{"MultipartMixed", Limits{}, nil, func(t *testing.T) ([]byte, string) {
			body, ct := multipartBody(t, part{field: "file", filename: "a.txt", content: "hi"})
			return body, strings.Replace(ct, "multipart/form-data", "multipart/mixed", 1)
		}, ErrNotMultipart},
		{"NoBoundary", Limits{}, nil, func(*testing.T) ([]byte, string) {
			return []byte("x"), "multipart/form-data"
		}, ErrBadMultipart},
		{"NoBoundaryLine", Limits{}, nil, func(*testing.T) ([]byte, string) {
			return []byte("garbage"), "multipart/form-data; boundary=xyz"
		}, ErrBadMultipart},
		{"NoBody", Limits{}, nil, func(*testing.T) ([]byte, string) {
			return nil, "multipart/form-data; boundary=xyz"
		}, ErrBadMultipart},
		{"NoFile", Limits{}, nil, func(t *testing.T) ([]byte, string) {
			return multipartBody(t, part{field: "note", content: "hi"})
		}, ErrNoFile},
		{"Empty", Limits{}, nil, func(t *testing.T) ([]byte, string) {
			return multipartBody(t)
		}, ErrNoFile},
		{"Truncated", Limits{}, nil, func(t *testing.T) ([]byte, string) {
			body, ctype := multipartBody(t, good, filePart("b.txt", strings.Repeat("b", 10_000)))
			return body[:len(body)-100], ctype
		}, ErrBadMultipart},
		{"RawNULInHeader", Limits{}, nil, func(t *testing.T) ([]byte, string) {
			return multipartBody(t, good, part{disposition: "form-data; name=\"file\"; filename=\"a\x00b\"", content: "x"})
		}, ErrBadMultipart},
		{"TooManyParts", Limits{MaxParts: 2}, nil, func(t *testing.T) ([]byte, string) {
			return multipartBody(t, good, good, good)
		}, ErrTooManyParts},
		{"FieldTooLarge", Limits{MaxFieldBytes: 10}, nil, func(t *testing.T) ([]byte, string) {
			return multipartBody(t, good, part{field: "note", content: strings.Repeat("x", 11)})
		}, ErrFieldTooLarge},
		{"HeaderTooLarge", Limits{MaxHeaderBytes: 512}, nil, func(t *testing.T) ([]byte, string) {
			p := filePart("b.txt", "b")
			p.header = map[string]string{"X-Padding": strings.Repeat("p", 512)}
			return multipartBody(t, good, p)
		}, ErrHeaderTooLarge},
		{"HeaderNeverEnds", Limits{MaxHeaderBytes: 512}, nil, func(t *testing.T) ([]byte, string) {
			body, ctype := multipartBody(t, good)
			body = bytes.TrimSuffix(body, []byte("--\r\n"))
			body = append(body, "\r\nX-Padding: "...)
			return append(body, bytes.Repeat([]byte("p"), 1<<20)...), ctype
		}, ErrHeaderTooLarge},
		{"TypeNotAllowed", Limits{}, []string{"text/plain"}, func(t *testing.T) ([]byte, string) {
			return multipartBody(t, good, filePart("x.png", "\x89PNG\r\n\x1a\n\x00\x00"))
		}, ErrTypeNotAllowed},
		{"TooLarge", Limits{MaxBytes: 1000}, nil, func(t *testing.T) ([]byte, string) {
			return multipartBody(t, good, filePart("big", strings.Repeat("x", 1000)))
		}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, dir := newStoreWithEarlier(t, Options{AllowedTypes: tt.allowed})
			before := dirState(t, dir)
			body, ctype := tt.body(t)

			for _, chunked := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(body)
				if chunked {
					r = io.MultiReader(r) // hides the length
				}
				_, err := receive(t, NewReceiver(store, tt.limits), r, ctype)
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("chunked=%v: Receive error = %v, want %v", chunked, err, tt.wantErr)
				}
				if err != nil && strings.Contains(err.Error(), "clean up") {
					t.Errorf("chunked=%v: Receive error = %v, reports a cleanup that succeeded", chunked, err)
				}
				if after := dirState(t, dir); !slices.Equal(after, before) {
					t.Errorf("chunked=%v: directory changed from %q to %q", chunked, before, after)
				}
			}
		})
	}
}

// TestReceiveLimit sends bodies of exactly MaxBytes and one byte more
// through a real server, with a Content-Length and chunked.
func TestReceiveLimit(t *testing.T) {
	const limit = 64 << 10
	store, dir := newStoreWithEarlier(t, Options{})
	srv, outcomes := newServer(t, NewReceiver(store, Limits{MaxBytes: limit}))
	before := dirState(t, dir)

	for _, tt := range []struct {
		name     string
		size     int
		chunked  bool
		wantCode int
		wantErr  error
	}{
		{"AtLimit", limit, false, http.StatusCreated, nil},
		{"AtLimitChunked", limit, true, http.StatusCreated, nil},
		{"OneOver", limit + 1, false, http.StatusRequestEntityTooLarge, ErrTooLarge},
		{"OneOverChunked", limit + 1, true, http.StatusRequestEntityTooLarge, ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := bodyOfSize(t, tt.size)
			var r io.Reader = bytes.NewReader(body)
			if tt.chunked {
				r = io.MultiReader(r)
			}
			res, err := http.Post(srv.URL, ctype, r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got := <-outcomes
			if res.StatusCode != tt.wantCode || !errors.Is(got.err, tt.wantErr) {
				t.Fatalf("status %d, error %v; want %d, %v", res.StatusCode, got.err, tt.wantCode, tt.wantErr)
			}
			if tt.wantErr == nil {
				for _, f := range got.res.Files {
					if err := store.Delete(context.Background(), f.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			if after := dirState(t, dir); !slices.Equal(after, before) {
				t.Errorf("directory changed from %q to %q", before, after)
			}
		})
	}
}

// bodyOfSize returns a one-file multipart body of exactly size bytes.
func bodyOfSize(t *testing.T, size int) ([]byte, string) {
	t.Helper()
	framing, _ := multipartBody(t, filePart("f.bin", ""))
	body, ctype := multipartBody(t, filePart("f.bin", strings.Repeat("x", size-len(framing))))
	if len(body) != size {
		t.Fatalf("built %d bytes, want %d", len(body), size)
	}
	return body, ctype
}

// TestReceiveClientDisconnects writes half a body on a raw connection and
// hangs up; the server must leave nothing behind.
func TestReceiveClientDisconnects(t *testing.T) {
	store, dir := newStoreWithEarlier(t, Options{})
	srv, outcomes := newServer(t, NewReceiver(store, Limits{}))
	body, ctype := multipartBody(t, filePart("a.txt", strings.Repeat("a", 200_000)), filePart("b.txt", strings.Repeat("b", 200_000)))
	before := dirState(t, dir)

	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			head := "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: " + ctype + "\r\n"
			half := body[:len(body)*3/4] // the first file and part of the second
			if chunked {
				fmt.Fprintf(conn, "%sTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", head, len(half), half)
			} else {
				fmt.Fprintf(conn, "%sContent-Length: %d\r\n\r\n%s", head, len(body), half)
			}
			conn.Close()

			got := <-outcomes
			if got.err == nil {
				t.Fatal("Receive succeeded on a half body")
			}
			if after := dirState(t, dir); !slices.Equal(after, before) {
				t.Errorf("directory changed from %q to %q", before, after)
			}
		})
	}
}

// TestReceiveConcurrent runs 20 uploads of 10 MiB at once.
func TestReceiveConcurrent(t *testing.T) {
	const (
		uploads = 20
		size    = 10 << 20
	)
	store, _ := newStoreWithEarlier(t, Options{})
	srv, outcomes := newServer(t, NewReceiver(store, Limits{}))
	go func() {
		for range outcomes { // newServer's handler reports every request
		}
	}()

	errs := make(chan error, uploads)
	for i := range uploads {
		go func() { errs <- uploadStream(srv.URL, byte(i), size) }()
	}
	for range uploads {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// uploadStream streams one file of size bytes, all equal to fill, and checks
// that the server reports its SHA-256.
func uploadStream(url string, fill byte, size int) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile(FileField, "f.bin")
		if err == nil {
			_, err = io.Copy(fw, io.LimitReader(repeatReader(fill), int64(size)))
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
	got, _ := io.ReadAll(res.Body)
	want := sha256.Sum256(bytes.Repeat([]byte{fill}, size))
	if res.StatusCode != http.StatusCreated || string(got) != hex.EncodeToString(want[:]) {
		return fmt.Errorf("upload %d: status %d, body %q", fill, res.StatusCode, got)
	}
	return nil
}

// repeatReader returns an endless reader of b.
func repeatReader(b byte) io.Reader {
	block := bytes.Repeat([]byte{b}, 32<<10)
	return readerFunc(func(p []byte) (int, error) {
		return copy(p, block), nil
	})
}

// outcome is what Receive returned inside a test server.
type outcome struct {
	res Result
	err error
}

// newServer starts a server whose handler calls rc.Receive and reports each
// outcome on the returned channel once it is final, answering 201 with the
// SHA-256 of the first file, or a status for the error.
func newServer(t *testing.T, rc *Receiver) (*httptest.Server, <-chan outcome) {
	t.Helper()
	outcomes := make(chan outcome, 32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := rc.Receive(w, r)
		outcomes <- outcome{res, err}
		switch {
		case errors.Is(err, ErrTooLarge):
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		case err != nil:
			w.WriteHeader(http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, res.Files[0].SHA256)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, outcomes
}

// receive calls Receive on a POST with body and Content-Type ctype.
func receive(t *testing.T, rc *Receiver, body io.Reader, ctype string) (Result, error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/upload", body)
	req.Header.Set("Content-Type", ctype)
	return rc.Receive(httptest.NewRecorder(), req)
}

// newStoreWithEarlier returns a store in a fresh directory holding one
// earlier upload, so tests can tell "unchanged" from "empty".
func newStoreWithEarlier(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := newStore(t, dir, opts)
	if _, err := s.Put(context.Background(), strings.NewReader("earlier"), "earlier.txt"); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// dirState lists the entries of dir as "name size", sorted.
func dirState(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var state []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		state = append(state, fmt.Sprintf("%s %d", e.Name(), info.Size()))
	}
	return state
}

func TestLimitsFillsDefaults(t *testing.T) {
	got := NewReceiver(nil, Limits{MaxParts: 3}).Limits()
	want := DefaultLimits
	want.MaxParts = 3
	if got != want {
		t.Errorf("Limits() = %+v, want %+v", got, want)
	}
}
