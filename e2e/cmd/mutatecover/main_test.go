package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// profile is what go test -coverprofile writes for testdata/example after
// a test that calls class('-') only.
const profile = `mode: set
example.com/m/example.go:7.26,7.42 1 0
example.com/m/example.go:9.27,10.9 1 1
example.com/m/example.go:11.28,12.18 1 0
example.com/m/example.go:14.12,15.16 1 1
example.com/m/example.go:17.2,17.16 1 0
example.com/m/example.go:20.23,21.9 1 0
example.com/m/example.go:22.13,23.11 1 0
example.com/m/example.go:25.2,25.10 1 0
`

func TestRun(t *testing.T) {
	root := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "example", "example.go"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"go.mod":       "module example.com/m\n",
		"example.go":   string(src),
		"coverage.out": profile,
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(root, "coverage.out")
	if err := run([]string{"-root", root, out}, io.Discard); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := strings.CutPrefix(string(data), profile)
	if !ok {
		t.Fatalf("the profile was changed, not added to:\n%s", data)
	}
	want := []string{
		"example.com/m/example.go:3.15,3.21 0 1",  // const limit = 2 * 64
		"example.com/m/example.go:5.13,5.32 0 1",  // var names: its value
		"example.com/m/example.go:11.7,11.27 0 1", // the first case of the switch that ran
		"example.com/m/example.go:13.7,14.11 0 1", // its second case, over two lines
	}
	// Not the function literal's value, which has a block of its own,
	// nor the case of never's switch, which did not run.
	if lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); !slices.Equal(lines, want) {
		t.Errorf("added\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if _, err := parseProfile(data); err != nil {
		t.Errorf("the widened profile does not parse: %v", err)
	}
}

func TestRunRefusesABrokenProfile(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "coverage.out")
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("mode: set\nexample.com/m/example.go:7.26 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-root", root, out}, io.Discard); err == nil {
		t.Error("a broken profile was accepted")
	}
}
