package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestScanLog(t *testing.T) {
	faults := newFaultLog(time.Now())
	end := faults.begin(faultRedis)
	during := time.Now()
	end()
	outside := during.Add(time.Hour)
	line := func(at time.Time, level, msg string) string {
		return `{"time":"` + at.Format(time.RFC3339Nano) + `","level":"` + level + `","msg":"` + msg + `"}`
	}
	log := strings.Join([]string{
		line(outside, "INFO", "request"),
		line(during, "ERROR", "redis down"),
		line(outside, "ERROR", "boom"),
		"panic: oops",
	}, "\n")
	path := filepath.Join(t.TempDir(), "api.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := scanLog(path, faults)
	if err != nil {
		t.Fatal(err)
	}
	if c.lines != 4 || c.errors != 2 || c.excused != 1 || c.unexpected != 2 {
		t.Errorf("scan = %+v, want 4 lines, 2 errors, 1 excused, 2 unexpected", c)
	}
	if got := strings.Join(c.samples, "; "); !strings.Contains(got, "boom") || !strings.Contains(got, "panic: oops") {
		t.Errorf("samples = %q, want the error outside the fault and the panic", got)
	}
}

// feature:tasks end
