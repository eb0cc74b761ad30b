package service

import (
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"example.com/echotemplate/internal/testenv"
)

// securityToolchain is the oldest Go whose standard library has the
// security fixes the README names.
const securityToolchain = "go1.27.3"

// TestOlderToolchainRefusesToBuild: go.mod's go line names the toolchain
// with the security fixes, so a plain go build on an older Go stops with a
// message that says which one it needs (or, with GOTOOLCHAIN=auto,
// fetches it) instead of building quietly without them.
func TestOlderToolchainRefusesToBuild(t *testing.T) {
	gomod, err := os.ReadFile(repoRoot + "/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if m == nil || version.Compare("go"+string(m[1]), securityToolchain) < 0 {
		t.Fatalf("go.mod's go line is %q, want at least %s", m, securityToolchain)
	}

	// The oldest go on PATH, run as the machine runs it (GOTOOLCHAIN=local):
	// go test puts the toolchain it switched to first, and the machine's own
	// Go further on.
	goBin, goVersion := "", ""
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		bin := filepath.Join(dir, "go")
		cmd := exec.Command(bin, "env", "GOVERSION")
		cmd.Env = localEnv()
		cmd.Dir = t.TempDir() // outside the module, so go.mod cannot refuse it
		out, err := cmd.Output()
		if v := strings.TrimSpace(string(out)); err == nil && (goBin == "" || version.Compare(v, goVersion) < 0) {
			goBin, goVersion = bin, v
		}
	}
	if goBin == "" || version.Compare(goVersion, securityToolchain) >= 0 {
		testenv.Missing(t, "no go on PATH older than %s to try", securityToolchain)
	}
	build := exec.Command(goBin, "build", "-o", os.DevNull, "./cmd/api")
	build.Env = localEnv()
	build.Dir = repoRoot
	out, err := build.CombinedOutput()
	if want := "requires go >= " + strings.TrimPrefix(securityToolchain, "go"); err == nil || !strings.Contains(string(out), want) {
		t.Errorf("GOTOOLCHAIN=local go build with %s: %v\n%s\nwant a failure saying %q", goVersion, err, out, want)
	}
	t.Logf("%s, GOTOOLCHAIN=local: %s", goVersion, strings.TrimSpace(string(out)))
}

// localEnv is this process's environment with GOTOOLCHAIN=local and
// without the GOROOT of the toolchain go test runs under.
func localEnv() []string {
	env := []string{"GOTOOLCHAIN=local"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOROOT=") && !strings.HasPrefix(kv, "GOTOOLCHAIN=") {
			env = append(env, kv)
		}
	}
	return env
}
