package files

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewStoreCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if _, err := NewStore(dir, Options{}); err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("directory not created: %v", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("NewStore left %q behind", got)
	}
}

func TestNewStoreFails(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		opts Options
	}{
		{"DirIsFile", notDir, Options{}},
		{"BadAllowedType", t.TempDir(), Options{AllowedTypes: []string{"png"}}},
		{"EmptyAllowedType", t.TempDir(), Options{AllowedTypes: []string{""}}},
		{"AnyFamily", t.TempDir(), Options{AllowedTypes: []string{"*/*"}}},
		{"AnyFamilyPNG", t.TempDir(), Options{AllowedTypes: []string{"*/png"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewStore(tt.dir, tt.opts); err == nil {
				t.Error("NewStore succeeded, want an error")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check on a writable directory: %v", err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("Check left %q behind", got)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err == nil {
		t.Error("Check on a removed directory succeeded, want an error")
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		name        string
		allowed     []string
		contentType string
		want        bool
	}{
		{"NoListAllowsAll", nil, "application/octet-stream", true},
		{"Exact", []string{"image/png"}, "image/png", true},
		{"Other", []string{"image/png"}, "image/jpeg", false},
		{"Family", []string{"image/*"}, "image/jpeg", true},
		{"FamilyOther", []string{"image/*"}, "text/plain; charset=utf-8", false},
		{"IgnoresParameters", []string{"text/plain"}, "text/plain; charset=utf-8", true},
		{"CaseInsensitiveList", []string{"Text/Plain"}, "text/plain; charset=utf-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, t.TempDir(), Options{AllowedTypes: tt.allowed})
			if got := s.allows(tt.contentType); got != tt.want {
				t.Errorf("allows(%q) with %q = %v, want %v", tt.contentType, tt.allowed, got, tt.want)
			}
		})
	}
}

// newStore returns a Store in dir or ends the test.
func newStore(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := NewStore(dir, opts)
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	return s
}

// listDir returns the sorted names in dir, temporary files included.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// TestParseAllowedList: items are split at commas, spaces and empty items
// dropped.
func TestParseAllowedList(t *testing.T) {
	got, err := ParseAllowedList("image/png, ,image/*,")
	if err != nil || strings.Join(got, ",") != "image/png,image/*" {
		t.Errorf("ParseAllowedList = %q, %v; want image/png and image/*", got, err)
	}
}
