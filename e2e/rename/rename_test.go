// Package rename tests scripts/rename.sh, the script a new service runs
// first.
package rename

import (
	"os/exec"
	"strings"
	"testing"

	"example.com/echotemplate/e2e/internal/e2etest"
	"example.com/echotemplate/internal/testenv"
)

// TestRenameLeavesABuildableTree copies the tracked tree, renames the
// modules as a new user would, and checks that the service and e2e modules
// build and vet with no trace of the old path.
func TestRenameLeavesABuildableTree(t *testing.T) {
	if testing.Short() {
		testenv.Missing(t, "-short: this test builds a copy of the whole tree")
	}
	dir := e2etest.ListTree(t, "../..").Copy(t) // the service module's checkout, as a fresh one

	const newPath = "github.com/acme/orders"
	run(t, dir, "bash", "scripts/rename.sh", newPath)
	run(t, dir, "go", "build", "./...")
	run(t, dir, "go", "vet", "./...")
	run(t, dir, "go", "-C", "e2e", "build", "./...")
	run(t, dir, "go", "-C", "e2e", "vet", "./...")

	out := run(t, dir, "git", "grep", "-l", "--untracked", "example.com/echotemplate", "--", "*.go", "*go.mod")
	if strings.TrimSpace(out) != "" {
		t.Errorf("the old module path is still in:\n%s", out)
	}
	// The image and the compose project are named after the service too.
	out = run(t, dir, "git", "grep", "-n", "--untracked", "-w", "echotemplate")
	if strings.TrimSpace(out) != "" {
		t.Errorf("the old name is still in:\n%s", out)
	}
	if got := run(t, dir, "git", "grep", "-h", "--untracked", "^name:", "docker-compose.yml"); strings.TrimSpace(got) != "name: orders" {
		t.Errorf("docker-compose.yml has %q, want name: orders", strings.TrimSpace(got))
	}
	for _, m := range []struct{ dir, want string }{
		{".", newPath},
		{"e2e", newPath + "/e2e"},
		{"tools", newPath + "/tools"},
	} {
		if got := run(t, dir, "go", "-C", m.dir, "list", "-m"); strings.TrimSpace(got) != m.want {
			t.Errorf("module in %s is %q, want %q", m.dir, strings.TrimSpace(got), m.want)
		}
	}
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	gitGrep := name == "git" && args[0] == "grep" // It exits 1 when nothing matches.
	if err != nil && !gitGrep {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
