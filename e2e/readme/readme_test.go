// Package readme runs the shell examples in README.md against the built
// service and checks that each shows what the README says it does, so the
// README cannot drift from the service. The examples are the "Try it"
// column of the tutorial table and the curl lines of its sh blocks; each
// runs in bash and, where it is installed, in zsh (macOS's shell, stricter
// about ? and * in unquoted words), with localhost:8080 changed to the test
// service's address.
package readme

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"example.com/echotemplate/e2e/internal/e2etest"
	"example.com/echotemplate/internal/testenv"
)

// repoRoot is the service module's directory, seen from this package.
const repoRoot = "../.."

// commandTimeout bounds one example; the first go run of wsclient compiles it.
const commandTimeout = 2 * time.Minute

// examples holds, for every shell example in the README, what its output
// must contain: what the README says next to it. A command the README gains
// fails the test until it is added here, and one it loses fails it too.
var examples = []struct {
	command string
	want    []string
}{
	{`curl -s localhost:8080/headers`, []string{`{"User-Agent":"curl/`}},
	{`curl -si localhost:8080/custom-headers`, []string{"HTTP/1.1 200", "X-Custom-Header: Echo"}},
	{`curl -si localhost:8080/set-cookie`, []string{"Set-Cookie: user=fake-user; Path=/; HttpOnly; SameSite=Lax"}},
	{`curl -s -c jar 'localhost:8080/set-signed-cookie?user=alice' && curl -s -b jar localhost:8080/read-signed-cookie`, []string{"Signed cookie set", `{"user":"alice"}`}},
	{`curl -si localhost:8080/redirect`, []string{"HTTP/1.1 307", "Location: https://echo.labstack.com/"}},
	{`curl -si localhost:8080/static/robots.txt`, []string{"HTTP/1.1 200", `Etag: "`, "User-agent"}},
	{`curl -si -F file=@README.md localhost:8080/upload`, []string{"HTTP/1.1 201", "Location: /download/", `"filename":"README.md"`}},                                         // feature:files
	{`curl -sOJ localhost:8080/download && unzip -l downloaded.zip`, []string{"README.txt", "1 file"}},                                                                        // feature:files
	{`curl -s -r 0-99 "localhost:8080$(curl -s -o /dev/null -w '%header{location}' -F file=@README.md localhost:8080/upload)"`, []string{"# Echo advanced-features service"}}, // feature:files
	{`echo hello | go -C e2e run ./cmd/wsclient ws://localhost:8080/ws`, []string{"Echo: hello"}},                                                                             // feature:websockets
	{`printf 'hi\n' | go -C e2e run ./cmd/wsclient 'ws://localhost:8080/chat?name=Ann'`, []string{"Ann joined", "Ann said: hi"}},                                              // feature:websockets
	{`curl -s localhost:8080/chat/members`, []string{`{"members":[`}},                                                                                                         // feature:websockets
	{`curl -si localhost:8080/nowhere`, []string{"HTTP/1.1 404", "X-Process-Time: ", "application/problem+json"}},
	{`curl -si -X OPTIONS -H 'Origin: http://localhost:8080' -H 'Access-Control-Request-Method: POST' localhost:8080/headers`, []string{"Access-Control-Allow-Origin: http://localhost:"}},
	{`curl -s -X POST 'localhost:8080/notify?email=a@example.com'`, []string{`{"message":"Notification sent in background"}`}}, // feature:tasks
	{`curl -s 'localhost:8080/set-signed-cookie?user=no%20spaces'`, []string{`"status":422`, `"request_id":"`, `"field":"user"`, "must contain only letters and digits"}},
	{`curl -s -X POST localhost:8080/notify -H 'Content-Type: application/json' -d '{"email": "a@example.com", "message": "Hi from Echo"}'`, []string{`{"message":"Notification sent in background"}`}}, // feature:tasks
}

// TestREADMEExamples runs every example in bash and in zsh.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		testenv.Missing(t, "-short: this test starts the service and runs go run")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands := extractCommands(string(readme))
	want := map[string][]string{}
	for _, ex := range examples {
		want[ex.command] = ex.want
	}
	for _, c := range commands {
		if _, ok := want[c]; !ok {
			t.Errorf("README.md has an example the test does not know; add it to examples with what it shows:\n%s", c)
		}
	}
	for _, ex := range examples {
		if !slices.Contains(commands, ex.command) {
			t.Errorf("examples has a command README.md no longer shows; remove or update it:\n%s", ex.command)
		}
	}
	if t.Failed() {
		return
	}

	for _, shell := range []string{"bash", "zsh"} {
		t.Run(shell, func(t *testing.T) {
			sh, err := exec.LookPath(shell)
			if err != nil {
				testenv.Missing(t, "%s is not installed (apt-get install %s)", shell, shell)
			}
			addr := startService(t)
			dir := workDir(t)
			for i, c := range commands {
				t.Run(fmt.Sprintf("%02d", i+1), func(t *testing.T) {
					cmd := strings.ReplaceAll(c, "localhost:8080", "localhost:"+port(addr))
					out, err := runShell(t, sh, dir, cmd)
					if err != nil {
						t.Fatalf("%s -c %q: %v\n%s", shell, cmd, err, out)
					}
					for _, w := range want[c] {
						if !strings.Contains(out, w) {
							t.Errorf("%s -c %q: the output lacks %q:\n%s", shell, cmd, w, out)
						}
					}
				})
			}
		})
	}
}

// extractCommands returns the README's examples: the shell code spans of
// the tutorial table's "Try it" column, and the curl, echo and printf
// commands of its sh blocks (continuation lines joined).
func extractCommands(readme string) []string {
	var commands []string
	isExample := func(c string) bool {
		first, _, _ := strings.Cut(c, " ")
		return first == "curl" || first == "echo" || first == "printf"
	}
	lines := strings.Split(readme, "\n")
	tryIt := -1 // the index of the "Try it" column while in the table
	inSh := false
	span := regexp.MustCompile("`([^`]+)`")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "```"):
			inSh = !inSh && strings.TrimPrefix(line, "```") == "sh"
		case inSh:
			c := strings.TrimSpace(line)
			for strings.HasSuffix(c, `\`) && i+1 < len(lines) {
				i++
				c = strings.TrimSuffix(c, `\`) + strings.TrimSpace(lines[i])
			}
			if isExample(c) {
				commands = append(commands, c)
			}
		case strings.HasPrefix(line, "|"):
			cells := splitRow(line)
			if idx := slices.Index(cells, "Try it"); idx >= 0 {
				tryIt = idx
				continue
			}
			if tryIt < 0 || tryIt >= len(cells) {
				continue
			}
			for _, m := range span.FindAllStringSubmatch(cells[tryIt], -1) {
				if isExample(m[1]) {
					commands = append(commands, m[1])
				}
			}
		default:
			tryIt = -1
		}
	}
	return commands
}

// splitRow splits a Markdown table row into its cells, with \| read as |.
func splitRow(line string) []string {
	const pipe = "\x00"
	line = strings.ReplaceAll(line, `\|`, pipe)
	cells := strings.Split(strings.Trim(line, "|"), "|")
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(strings.TrimSpace(c), pipe, "|")
	}
	return cells
}

func TestExtractCommands(t *testing.T) {
	readme := strings.Join([]string{
		"| Section | Here | Try it |",
		"| --- | --- | --- |",
		"| A | `GET /a` | `curl -s localhost:8080/a` |",
		"| B | `GET /b` | `echo hi \\| go run x`, or the page <!-- feature:x --> |",
		"| C | `GET /c` | `make run`, then any request |",
		"",
		"| Command | What it does |",
		"| `curl -s not-an-example` | not in a Try it column |",
		"```sh",
		"make run",
		"curl -s -X POST localhost:8080/n -H 'A: b' \\",
		"  -d '{}'",
		"```",
		"```json",
		"curl not a command",
		"```",
	}, "\n")
	got := extractCommands(readme)
	want := []string{
		"curl -s localhost:8080/a",
		"echo hi | go run x",
		"curl -s -X POST localhost:8080/n -H 'A: b' -d '{}'",
	}
	if !slices.Equal(got, want) {
		t.Errorf("extractCommands = %q, want %q", got, want)
	}
}

// runShell runs command with shell -c in dir and returns its output.
func runShell(t *testing.T, shell, dir, command string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, "-c", command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// workDir is where the examples run, as if from a clone's root: README.md
// (which the uploads send) and e2e (for go -C e2e run) link to the real
// ones, and whatever the examples write (a cookie jar, downloaded.zip)
// stays in a temporary directory.
func workDir(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"README.md", "e2e"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// apiBinary is the service binary every test runs; TestMain sets it once.
var apiBinary string

func TestMain(m *testing.M) {
	bin, cleanup, err := e2etest.BuildService(repoRoot)
	if err != nil {
		fmt.Fprintf(os.Stderr, "readme: %v\n", err)
		os.Exit(1)
	}
	apiBinary = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// startService runs the service on a free loopback port with its defaults
// and returns its address once /readyz answers; it is stopped with SIGTERM
// when the test ends and must exit 0.
func startService(t *testing.T) string {
	t.Helper()
	addr := e2etest.FreeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(apiBinary)
	cmd.Env = []string{"HTTP_ADDR=" + addr, "LOG_FORMAT=text", "STORAGE_DIR=" + t.TempDir()}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("service exited with %v after SIGTERM; its log:\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("service did not stop within 30s of SIGTERM")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("service at %s never became ready", addr)
	return ""
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
