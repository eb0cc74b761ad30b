// Package e2etest holds the helpers the proving ground's tests share: a copy
// of the repository's tree, the built service binary, a free loopback
// address and a locked buffer for a process's output. It is for tests only;
// what a machine may lack is still asked for through internal/testenv.
package e2etest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"example.com/echotemplate/internal/testenv"
)

// Tree is the files of a git checkout: those git tracks and those it would
// (untracked but not ignored), as in the work tree.
type Tree struct {
	root  string
	files []string
}

// ListTree lists the files of the checkout at root. Outside a git checkout,
// as in a release tarball, there is nothing to copy: the test is Missing
// (skipped, or failed in CI).
func ListTree(t testing.TB, root string) Tree {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	ls := exec.CommandContext(t.Context(), "git", "ls-files", "-co", "--exclude-standard")
	ls.Dir = abs
	out, err := ls.Output()
	if err != nil {
		testenv.Missing(t, "not in a git checkout: %v", err)
	}
	return Tree{root: abs, files: strings.Fields(string(out))}
}

// Copy copies the tree into a new temporary directory and returns it. The
// copy is a fresh checkout with every file added, so that the scripts' git
// ls-files and git grep see what they would in a clone.
func (tr Tree) Copy(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range tr.files {
		copyFile(t, filepath.Join(tr.root, name), filepath.Join(dir, name))
	}
	for _, cmd := range []*exec.Cmd{
		exec.CommandContext(t.Context(), "git", "init", "-q"),
		exec.CommandContext(t.Context(), "git", "add", "-A"),
	} {
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
		}
	}
	return dir
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src) //nolint:gosec // a file git lists in this checkout
	if os.IsNotExist(err) {
		return // Deleted in the work tree but still tracked.
	}
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil { //nolint:gosec // as a clone's directories are
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil { //nolint:gosec // a file of the test's own copy
		t.Fatal(err)
	}
}

// BuildService returns the service binary the tests run: API_BIN when set
// (an absolute path, or one relative to the test's directory), or else
// ./cmd/api of the module at root, built into a temporary directory that
// cleanup removes. It is built with -race when the tests run with it, so a
// data race in the service fails the test that caused it. It takes no
// testing.TB because TestMain calls it, once per test binary.
func BuildService(root string) (bin string, cleanup func(), err error) {
	if bin := os.Getenv("API_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return "", nil, err
		}
		if _, err := os.Stat(abs); err != nil { //nolint:gosec // API_BIN names the binary to test
			return "", nil, fmt.Errorf("API_BIN: %w", err)
		}
		return abs, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "e2e-api-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "api")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "./cmd/api") //nolint:gosec // bin is our own temporary file
	if raceEnabled() {
		cmd.Args = slices.Insert(cmd.Args, 2, "-race")
	}
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	return bin, func() { _ = os.RemoveAll(dir) }, nil
}

// PlainService returns a service binary built without -race, for a test
// that measures the service's own memory, of which the race detector's
// shadow memory would otherwise be most. It returns bin, the suite's
// binary, when that has no race detector: the tests run without -race, or
// API_BIN names the binary.
func PlainService(t testing.TB, root, bin string) string {
	t.Helper()
	if !raceEnabled() || os.Getenv("API_BIN") != "" {
		return bin
	}
	plain := filepath.Join(t.TempDir(), "api")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", plain, "./cmd/api") //nolint:gosec // plain is our own temporary file
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/api: %v\n%s", err, out)
	}
	return plain
}

// raceEnabled says whether this test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// FreeAddr returns a loopback address that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
