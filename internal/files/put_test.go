package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestPut(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 100)
	tests := []struct {
		name     string
		content  string
		wantType string
	}{
		{"Text", "hello, world\n", "text/plain; charset=utf-8"},
		{"Empty", "", "text/plain; charset=utf-8"},
		{"PNG", png, "image/png"},
		{"HTML", "<!DOCTYPE html><script>alert(1)</script>", "text/html; charset=utf-8"},
		{"Binary", "\x00\x01\x02\x03", "application/octet-stream"},
		{"LongerThanSniff", strings.Repeat("x", 3*sniffLen+7), "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newStore(t, dir, Options{})

			got, err := s.Put(context.Background(), strings.NewReader(tt.content), "name.bin")
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := Info{
				ID:          got.ID,
				Filename:    "name.bin",
				Size:        int64(len(tt.content)),
				SHA256:      sha256Hex(tt.content),
				ContentType: tt.wantType,
				ModTime:     got.ModTime,
			}
			if got != want {
				t.Errorf("Put = %+v, want %+v", got, want)
			}
			if !validID(got.ID) {
				t.Errorf("id %q is not valid", got.ID)
			}
			if names, want := listDir(t, dir), []string{got.ID, got.ID + ".json"}; !slices.Equal(names, want) {
				t.Errorf("directory holds %q, want %q", names, want)
			}
			if body := readStored(t, s, got.ID); body != tt.content {
				t.Errorf("stored content differs: got %d bytes, want %d", len(body), len(tt.content))
			}
		})
	}
}

func TestPutAllowedTypes(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		content string
		wantErr error
	}{
		{"Allowed", []string{"text/plain"}, "plain text", nil},
		{"AllowedFamily", []string{"image/*"}, "GIF89a" + strings.Repeat("\x00", 20), nil},
		{"Refused", []string{"image/*"}, "plain text", ErrTypeNotAllowed},
		{"ClientHeaderIsIrrelevant", []string{"image/png"}, "<html><body>not a png", ErrTypeNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newStore(t, dir, Options{AllowedTypes: tt.allowed})
			_, err := s.Put(context.Background(), strings.NewReader(tt.content), "x")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if names := listDir(t, dir); len(names) != 0 {
					t.Errorf("refused Put left %q", names)
				}
			}
		})
	}
}

// TestPutRefusedTypeStopsEarly checks that Put decides on the type after
// the first 512 bytes, before reading (or writing) the rest.
func TestPutRefusedTypeStopsEarly(t *testing.T) {
	s := newStore(t, t.TempDir(), Options{AllowedTypes: []string{"image/png"}})
	body := &countingReader{r: strings.NewReader(strings.Repeat("text ", 1<<20))}
	if _, err := s.Put(context.Background(), body, "x"); !errors.Is(err, ErrTypeNotAllowed) {
		t.Fatalf("Put error = %v, want ErrTypeNotAllowed", err)
	}
	if body.n != sniffLen {
		t.Errorf("Put read %d bytes, want %d", body.n, sniffLen)
	}
}

func TestPutFailureLeavesNothing(t *testing.T) {
	errRead := errors.New("connection reset")
	tests := []struct {
		name    string
		body    func(cancel context.CancelFunc) io.Reader
		wantErr error
	}{
		{"ReadErrorInSniff", func(context.CancelFunc) io.Reader {
			return io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errRead))
		}, errRead},
		{"ReadErrorMidway", func(context.CancelFunc) io.Reader {
			return io.MultiReader(strings.NewReader(strings.Repeat("a", 100_000)), iotest.ErrReader(errRead))
		}, errRead},
		{"CancelledMidway", func(cancel context.CancelFunc) io.Reader {
			return io.MultiReader(strings.NewReader(strings.Repeat("a", 100_000)), cancelReader(cancel), strings.NewReader("rest"))
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newStore(t, dir, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			_, err := s.Put(ctx, tt.body(cancel), "x")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put error = %v, want %v", err, tt.wantErr)
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("failed Put left %q", names)
			}
		})
	}
}

func TestPutConcurrent(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			content := strings.Repeat(string(rune('a'+i)), 64<<10)
			info, err := s.Put(context.Background(), strings.NewReader(content), "x")
			if err == nil && info.SHA256 != sha256Hex(content) {
				err = errors.New("wrong sha256")
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(listDir(t, dir)); got != 2*n {
		t.Errorf("directory holds %d entries, want %d", got, 2*n)
	}
}

// cancelReader returns a reader that cancels a context when first read and
// reports nothing read, as if the client went away at that point.
func cancelReader(cancel context.CancelFunc) io.Reader {
	return readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, nil
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// readStored returns the content stored under id.
func readStored(t *testing.T, s *Store, id string) string {
	t.Helper()
	f, _, err := s.Open(context.Background(), id)
	if err != nil {
		t.Fatalf("Open(%q): %v", id, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
