package files

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpen(t *testing.T) {
	s := newStore(t, t.TempDir(), Options{})
	put, err := s.Put(context.Background(), strings.NewReader("hello"), "greeting.txt")
	if err != nil {
		t.Fatal(err)
	}

	f, got, err := s.Open(context.Background(), put.ID)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	// Open returns what Put returned, apart from the clock's monotonic part.
	if !got.ModTime.Equal(put.ModTime) || time.Since(got.ModTime) > time.Minute {
		t.Errorf("ModTime = %v, want %v", got.ModTime, put.ModTime)
	}
	got.ModTime = put.ModTime
	if got != put {
		t.Errorf("Open info = %+v, want %+v", got, put)
	}
	if size, err := f.Seek(0, io.SeekEnd); err != nil || size != put.Size {
		t.Errorf("file size = %v (%v), want %d", size, err, put.Size)
	}
}

func TestOpenNotFound(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	put, err := s.Put(context.Background(), strings.NewReader("x"), "x")
	if err != nil {
		t.Fatal(err)
	}
	// A file outside the store that a traversal would try to reach.
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Content without metadata, as a crash between the two renames leaves it.
	orphan := strings.Repeat("ab", idBytes)
	if err := os.WriteFile(filepath.Join(dir, orphan), []byte("o"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, id string }{
		{"Empty", ""},
		{"Unknown", strings.Repeat("0", 2*idBytes)},
		{"Orphan", orphan},
		{"Uppercase", strings.ToUpper(put.ID)},
		{"Metadata", put.ID + ".json"},
		{"Traversal", "../secret"},
		{"EncodedTraversal", "..%2fsecret"},
		{"Absolute", "/etc/passwd"},
		{"Dot", "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := s.Open(context.Background(), tt.id)
			if !errors.Is(err, ErrNotFound) {
				if f != nil {
					f.Close()
				}
				t.Errorf("Open(%q) error = %v, want ErrNotFound", tt.id, err)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	put, err := s.Put(context.Background(), strings.NewReader("x"), "x")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanup after an aborted request runs with a cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if err := s.Delete(ctx, put.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("Delete left %q", names)
	}
	if err := s.Delete(ctx, put.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete error = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "../x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a malformed id error = %v, want ErrNotFound", err)
	}
}
