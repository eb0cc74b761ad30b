package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/v5")

// rewriteTestdata copies the package testdata/name to a fresh tree and
// rewrites it there, as scripts/echo-v5.sh does with the service.
func rewriteTestdata(t *testing.T, name string) (out string, stdout string, err error) {
	t.Helper()
	rel := filepath.Join("scripts", "echo-v5", "testdata", name)
	out = t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, rel), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", name, "*.go"))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, rel, filepath.Base(f)), src, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	err = run(t.Context(), []string{"-src", "../..", "-out", out, "./" + filepath.ToSlash(rel)}, &buf)
	return filepath.Join(out, rel), buf.String(), err
}

// TestRewrite rewrites testdata/v4, which uses each API a rule ports, and
// compares the result with testdata/v5 (go test -update writes it anew).
// That the output builds on Echo v5 is what `make echo-v5` shows for the
// service; testdata/v5 was checked the same way when a rule changed.
func TestRewrite(t *testing.T) {
	dir, stdout, err := rewriteTestdata(t, "v4")
	if err != nil {
		t.Fatalf("rewrite: %v\n%s", err, stdout)
	}
	for _, name := range []string{"rules.go", "echov5.go"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "v5", name+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; go test -update rewrites it, then check the diff:\n%s", name, golden, got)
		}
	}
	if !strings.Contains(stdout, "echo.Context → *echo.Context") {
		t.Errorf("the report does not list the rules applied:\n%s", stdout)
	}
}

// TestRewriteNeedsHand: code no rule can port is named, with its place,
// and the rewrite fails.
func TestRewriteNeedsHand(t *testing.T) {
	_, _, err := rewriteTestdata(t, "byhand")
	if err == nil {
		t.Fatal("rewrite succeeded, want it to fail on code to port by hand")
	}
	for _, want := range []string{"byhand.go:14", "TimeoutWithConfig is gone", "byhand.go:15", "message is a string"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
