// Package removefeature tests scripts/remove-feature.sh, which deletes one
// of the template's optional features: that the tree it leaves builds,
// vets and passes its tests, the e2e module's included, and that nothing of
// the feature is left.
package removefeature

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/e2e/internal/e2etest"
	"example.com/echotemplate/internal/testenv"
)

// feature is what removing one feature must leave behind.
type feature struct {
	name     string
	gone     []string // paths that must not exist
	routes   []string // paths in neither internal/handlers/routes.go nor api/openapi.yaml
	modules  []string // modules go.mod must no longer require
	settings *regexp.Regexp
}

// TestRemoveFeatureLeavesAWorkingTree copies the tree once per feature,
// removes the feature as a user would, and checks that the service module
// builds, vets and passes its tests, that the e2e module vets and the
// soak's unit tests pass, and that no file, route,
// requirement, setting or marker of the feature is left.
//
// The go commands in the copies run with -trimpath (through GOFLAGS, so
// that it reaches the script's go commands and the service build in
// e2e/service too): without it each copy's directory is part of every
// cache key, and each copy would compile everything anew.
func TestRemoveFeatureLeavesAWorkingTree(t *testing.T) {
	if testing.Short() {
		testenv.Missing(t, "-short: this test builds and tests three copies of the whole tree")
	}
	tree := e2etest.ListTree(t, "../..") // the service module's checkout
	env := append(os.Environ(), "GOFLAGS="+withTrimpath(os.Getenv("GOFLAGS")))

	features := []feature{
		{
			name:     "websockets",
			gone:     []string{"internal/ws", "cmd/api/chat.go", "e2e/cmd/wsclient", "e2e/cmd/soak/chat.go"},
			routes:   []string{"/ws", "/chat"},
			modules:  []string{"github.com/gorilla/websocket"},
			settings: regexp.MustCompile(`^(WS|CHAT)_`),
		},
		{
			name:     "files",
			gone:     []string{"internal/files", "internal/handlers/upload.go", "e2e/cmd/soak/files.go"},
			routes:   []string{"/upload", "/download"},
			settings: regexp.MustCompile(`^(STORAGE_DIR|MAX_UPLOAD_BYTES|UPLOAD_|DOWNLOAD_|TRANSFER_)`),
		},
		{
			name:     "tasks",
			gone:     []string{"internal/tasks", "internal/mailer", "cmd/api/tasks.go", "e2e/cmd/soak/notify.go"},
			routes:   []string{"/notify"},
			modules:  []string{"github.com/hibiken/asynq"},
			settings: regexp.MustCompile(`^(TASK_|SMTP_URL|MAIL_FROM)`),
		},
	}
	for _, f := range features {
		t.Run(f.name, func(t *testing.T) {
			dir := tree.Copy(t)
			run(t, dir, env, "bash", "scripts/remove-feature.sh", f.name)
			run(t, dir, env, "go", "build", "./...")
			run(t, dir, env, "go", "vet", "./...")
			// The copies' Redis tests use the machine's Redis as the service
			// module's own do, which have finished by now (make test runs
			// them first; the e2e tests that use Redis keep to keys of their own). Without -count=1 a
			// package the removal left as it was reuses the result of the
			// same test binary in an earlier copy.
			run(t, dir, env, "go", "test", "./...")
			// The e2e module must still build; its soak's unit tests run. Its
			// tests of the built binary run on the whole tree in make test.
			run(t, dir, env, "go", "-C", "e2e", "vet", "./...")
			run(t, dir, env, "go", "-C", "e2e", "test", "./cmd/...")

			// The gofmt of the toolchain the go command chose, as make lint runs it.
			gofmt := filepath.Join(strings.TrimSpace(run(t, dir, env, "go", "env", "GOROOT")), "bin", "gofmt")
			if out := run(t, dir, env, gofmt, "-l", "."); out != "" {
				t.Errorf("gofmt would change:\n%s", out)
			}
			checkGone(t, dir, f)
		})
	}
}

// checkGone checks that the copy in dir holds nothing of f.
func checkGone(t *testing.T, dir string, f feature) {
	t.Helper()
	for _, p := range f.gone {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	for _, file := range []string{"internal/handlers/routes.go", "api/openapi.yaml"} {
		b := readFile(t, filepath.Join(dir, file))
		for _, route := range f.routes {
			if strings.Contains(b, route) {
				t.Errorf("%s still has %s", file, route)
			}
		}
	}

	var mod struct{ Require []struct{ Path string } }
	if err := json.Unmarshal([]byte(run(t, dir, nil, "go", "mod", "edit", "-json")), &mod); err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	for _, r := range mod.Require {
		if slices.Contains(f.modules, r.Path) {
			t.Errorf("go.mod still requires %s", r.Path)
		}
	}

	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)=`).FindAllStringSubmatch(readFile(t, filepath.Join(dir, ".env.example")), -1) {
		if f.settings.MatchString(m[1]) {
			t.Errorf(".env.example still lists %s", m[1])
		}
	}

	// Written in two parts, so that this file holds no marker itself.
	marker := "feature:" + f.name
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		if strings.Contains(readFile(t, path), marker) {
			rel, _ := filepath.Rel(dir, path)
			t.Errorf("%s still has a %s marker", rel, marker)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withTrimpath adds -trimpath to a GOFLAGS value that lacks it.
func withTrimpath(goflags string) string {
	if slices.Contains(strings.Fields(goflags), "-trimpath") {
		return goflags
	}
	return strings.TrimSpace(goflags + " -trimpath")
}

// run runs a command in dir with env (nil: this process's) and returns its
// output; a failure fails the test, with the output.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s %s: %v", name, strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	return string(out)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // a file of the test's own copy
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
