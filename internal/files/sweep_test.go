package files

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSweep: expired files and partial files older than StaleAfter go;
// fresh files, young partial files (an upload in progress) and files a
// concurrent sweep already removed are left alone or skipped.
func TestSweep(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s := newStore(t, dir, Options{Retention: 24 * time.Hour, StaleAfter: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()

	old, err := s.Put(ctx, strings.NewReader("old"), "old.txt")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Hour)
	fresh, err := s.Put(ctx, strings.NewReader("fresh"), "fresh.txt")
	if err != nil {
		t.Fatal(err)
	}
	// A killed process's partial file, and one still being written.
	dead := filepath.Join(dir, ".upload-dead")
	writing := filepath.Join(dir, ".upload-writing")
	orphan := filepath.Join(dir, strings.Repeat("ab", idBytes)) // content whose metadata never came
	for _, p := range []string{dead, writing, orphan} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(4 * time.Hour) // old is 24h old, fresh 4h.
	for _, p := range []string{dead, orphan} {
		if err := os.Chtimes(p, now, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(writing, now, now.Add(-time.Hour+time.Second)); err != nil {
		t.Fatal(err)
	}

	swept, err := s.Sweep(ctx)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if want := (Swept{Expired: 1, Partial: 2}); swept != want {
		t.Errorf("Sweep = %+v, want %+v", swept, want)
	}
	for _, p := range []string{dead, orphan, s.b.(*dirBackend).contentPath(old.ID), s.b.(*dirBackend).metaPath(old.ID)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the sweep (stat: %v)", filepath.Base(p), err)
		}
	}
	for _, p := range []string{writing, s.b.(*dirBackend).contentPath(fresh.ID), s.b.(*dirBackend).metaPath(fresh.ID)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was swept: %v", filepath.Base(p), err)
		}
	}
	if f, _, err := s.Open(ctx, fresh.ID); err != nil {
		t.Errorf("Open(fresh) after the sweep: %v", err)
	} else {
		f.Close()
	}

	// A second instance sweeping the same directory finds nothing left.
	other := newStore(t, dir, Options{Retention: 24 * time.Hour, StaleAfter: time.Hour, Now: func() time.Time { return now }})
	if swept, err := other.Sweep(ctx); err != nil || swept != (Swept{}) {
		t.Errorf("second Sweep = %+v, %v; want nothing removed and no error", swept, err)
	}
}

// TestSweepKeepsForever: with no retention, only dead partial files go.
func TestSweepKeepsForever(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newStore(t, t.TempDir(), Options{Now: func() time.Time { return now }})
	info, err := s.Put(context.Background(), strings.NewReader("kept"), "kept.txt")
	if err != nil {
		t.Fatal(err)
	}
	now = now.AddDate(10, 0, 0)
	if swept, err := s.Sweep(context.Background()); err != nil || swept != (Swept{}) {
		t.Errorf("Sweep = %+v, %v; want nothing removed", swept, err)
	}
	f, _, err := s.Open(context.Background(), info.ID)
	if err != nil {
		t.Fatalf("Open after ten years without retention: %v", err)
	}
	f.Close()
}

func TestSweepInterval(t *testing.T) {
	for _, tt := range []struct{ retention, want time.Duration }{
		{24 * time.Hour, time.Hour}, {5 * time.Hour, 30 * time.Minute}, {time.Minute, time.Minute}, {0, time.Minute * 6},
	} {
		s := newStore(t, t.TempDir(), Options{Retention: tt.retention})
		if got := s.SweepInterval(); got != tt.want {
			t.Errorf("retention %s: SweepInterval = %s, want %s", tt.retention, got, tt.want)
		}
	}
}

// TestPutStorageFull: a Put past MaxBytes fails with ErrStorageFull and
// leaves no temporary file behind.
func TestPutStorageFull(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{MaxBytes: 10 << 10})
	_, err := s.Put(context.Background(), strings.NewReader(strings.Repeat("x", 10<<10+1)), "big.txt")
	if !errors.Is(err, ErrStorageFull) {
		t.Fatalf("Put = %v, want ErrStorageFull", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("directory holds %d entries after a refused Put, want none", len(entries))
	}
}
