package tasks_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"example.com/echotemplate/internal/tasks"
)

// logBuffer captures JSON log lines; workers write while tests read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the records whose msg contains msg.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var found []map[string]any
	for line := range strings.Lines(b.buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if s, _ := rec["msg"].(string); strings.Contains(s, msg) {
			found = append(found, rec)
		}
	}
	return found
}

// newLogger returns a logger that writes JSON into a buffer the test reads.
func newLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// testJob returns a valid job for recipient to.
func testJob(to string) tasks.Job {
	return tasks.NewJob(tasks.Email{To: to, Subject: "Notification", Body: "Something happened."})
}
