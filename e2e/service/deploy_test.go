package service

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// settingNames returns the variables the service reads, as .env.example
// lists them (one NAME=default line each). TestSettingsDocumented in cmd/api
// keeps that file in step with the settings; the binary's -h would not do,
// since it leaves out the settings read from the environment only.
func settingNames(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(repoRoot + "/.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)=`).FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	if !slices.Contains(names, "HTTP_ADDR") {
		t.Fatalf(".env.example has no HTTP_ADDR= line among %v; has its format changed?", names)
	}
	return names
}

// TestComposeFile loads docker-compose.yml with the Compose spec's own
// parser and checks that it runs what the README promises, and that every
// variable it sets is one the service reads: a typo there would otherwise
// be ignored in silence.
func TestComposeFile(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{repoRoot + "/docker-compose.yml"},
		cli.WithWorkingDirectory(repoRoot), cli.WithName("echotemplate"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}

	names := settingNames(t)

	for _, name := range []string{
		"api1", "api2", "proxy", "redis",
		"s3",      // feature:files
		"mailpit", // feature:tasks
	} {
		if _, err := project.GetService(name); err != nil {
			t.Errorf("service %s is missing", name)
		}
	}
	for _, name := range []string{"api1", "api2"} {
		svc, err := project.GetService(name)
		if err != nil {
			continue
		}
		for key := range svc.Environment {
			if !slices.Contains(names, key) {
				t.Errorf("%s sets %s, which the service does not read", name, key)
			}
		}
		for _, key := range []string{
			"REDIS_URL", "COOKIE_HASH_KEY",
			"SMTP_URL",    // feature:tasks
			"STORAGE_URL", // feature:files
		} {
			if svc.Environment[key] == nil {
				t.Errorf("%s does not set %s", name, key)
			}
		}
		for _, dep := range []string{
			"redis",
			"s3",      // feature:files
			"mailpit", // feature:tasks
		} {
			if d, ok := svc.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s should wait for %s to be healthy", name, dep)
			}
		}
		if svc.HealthCheck == nil || len(svc.HealthCheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	// feature:files begin
	if s3, err := project.GetService("s3"); err == nil && !mountsVolume(s3, "uploads") {
		t.Error("s3 does not keep its buckets on the uploads volume")
	}
	// feature:files end
	if proxy, err := project.GetService("proxy"); err == nil {
		for _, api := range []string{"api1", "api2"} {
			if d, ok := proxy.DependsOn[api]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("proxy should wait for %s to be healthy", api)
			}
		}
	}
}

// TestComposeVersionDocumented: a top-level name: needs Compose v2 (the
// docker compose plugin); the old docker-compose v1 refuses the file, so
// the README must say which one to use.
func TestComposeVersionDocumented(t *testing.T) {
	compose, err := os.ReadFile(repoRoot + "/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(repoRoot + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^name:`).Match(compose) && !strings.Contains(string(readme), "Compose v2") {
		t.Error("docker-compose.yml has a top-level name:, which needs Compose v2, and README.md does not say so")
	}
}

// feature:files begin
func mountsVolume(svc types.ServiceConfig, name string) bool {
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == name {
			return true
		}
	}
	return false
}

// feature:files end

// TestDockerfile checks what the image promises: a static build, a
// non-root distroless runtime, a health check that needs no shell, and
// only settings the service reads. (hadolint, the usual linter, is not
// packaged for Debian; this covers the rules that matter here.)
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(repoRoot + "/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	names := settingNames(t)

	var stages, runtime []string // instructions of all stages, and of the last
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\\\n", " "), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			runtime = nil
		}
		stages = append(stages, line)
		runtime = append(runtime, line)
	}
	has := func(lines []string, prefix, part string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, prefix) && strings.Contains(l, part)
		})
	}
	checks := []struct {
		ok   bool
		want string
	}{
		{has(stages, "RUN ", "CGO_ENABLED=0"), "a static build (CGO_ENABLED=0)"},
		{has(runtime, "FROM ", "distroless/static"), "a distroless static runtime image"},
		{has(runtime, "USER ", "65532"), "a non-root USER in the runtime stage"},
		{has(runtime, "HEALTHCHECK ", `CMD ["/usr/local/bin/api", "-healthcheck"]`), "an exec-form HEALTHCHECK calling api -healthcheck"},
		{has(runtime, "ENTRYPOINT ", `["/usr/local/bin/api"]`), "an exec-form ENTRYPOINT"},
		{!has(stages, "FROM ", ":latest"), "pinned base image tags"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("Dockerfile lacks %s", c.want)
		}
	}
	for _, line := range runtime {
		if !strings.HasPrefix(line, "ENV ") {
			continue
		}
		for _, kv := range strings.Fields(strings.TrimPrefix(line, "ENV ")) {
			key, _, _ := strings.Cut(kv, "=")
			if !slices.Contains(names, key) {
				t.Errorf("Dockerfile sets %s, which the service does not read", key)
			}
		}
	}
}
