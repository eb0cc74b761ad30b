package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

// TestPrintfWritesJSON: a library's Printf messages, go-redis's for one,
// reach the service's log as JSON lines at warning level, not as plain text
// on stderr.
func TestPrintfWritesJSON(t *testing.T) {
	var buf bytes.Buffer
	l := Printf{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Prefix: "redis client: "}
	l.Printf(context.Background(), "connection pool: failed to dial after %d attempts", 5)

	var line struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	if want := "redis client: connection pool: failed to dial after 5 attempts"; line.Level != "WARN" || line.Msg != want {
		t.Errorf("logged %s %q, want WARN %q", line.Level, line.Msg, want)
	}
}
