package testenv

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test ended instead of ending.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skipf(format string, _ ...any)  { r.skipped = format }
func (r *recorder) Fatalf(format string, _ ...any) { r.failed = format }

func TestMissing(t *testing.T) {
	t.Run("DeveloperMachine", func(t *testing.T) {
		t.Setenv("CI", "")
		r := &recorder{TB: t}
		Missing(r, "no %s", "redis")
		if r.skipped == "" || r.failed != "" {
			t.Errorf("skipped %q, failed %q; want a skip", r.skipped, r.failed)
		}
	})
	t.Run("CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		r := &recorder{TB: t}
		Missing(r, "no %s", "redis")
		if r.failed == "" || !strings.Contains(r.failed, "CI=true") {
			t.Errorf("skipped %q, failed %q; want a failure naming CI=true", r.skipped, r.failed)
		}
	})
}
