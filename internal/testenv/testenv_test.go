package testenv

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestExclusive: while a test holds a name no one else can take it, and it
// is free again when that test ends.
func TestExclusive(t *testing.T) {
	rdb, _ := Redis(t, 0)
	name := "testenv-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	key := "echotemplate:test:exclusive:" + name
	t.Run("Holder", func(t *testing.T) {
		Exclusive(t, rdb, name)
		if ok, err := rdb.SetNX(context.Background(), key, "other", time.Minute).Result(); err != nil || ok {
			t.Errorf("SetNX while held = %v, %v; want false, nil", ok, err)
		}
	})
	if n, err := rdb.Exists(context.Background(), key).Result(); err != nil || n != 0 {
		t.Errorf("after the holder ended, Exists = %d, %v; want 0", n, err)
	}
}
