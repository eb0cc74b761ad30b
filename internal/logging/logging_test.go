package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNewAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "abc-123")
	log.With("component", "test").InfoContext(ctx, "hello")
	log.DebugContext(ctx, "hidden")

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
	}
	if got, want := line["request_id"], "abc-123"; got != want {
		t.Errorf("request_id = %v, want %v", got, want)
	}
	if got, want := line["component"], "test"; got != want {
		t.Errorf("component = %v, want %v", got, want)
	}
}

func TestNewWritesDurationsAsText(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, format, slog.LevelInfo)
			if err != nil {
				t.Fatal(err)
			}
			log.With("every", 2*time.Minute).Info("shutting down", "timeout", 15*time.Second, slog.Group("job", "took", 1500*time.Microsecond))
			for _, want := range []string{"15s", "1.5ms", "2m0s"} {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("line %q lacks %q", buf.String(), want)
				}
			}
			if strings.Contains(buf.String(), "15000000000") {
				t.Errorf("line %q has the timeout in nanoseconds", buf.String())
			}
		})
	}
}

func TestNewRejectsUnknownFormat(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "xml", slog.LevelInfo); err == nil {
		t.Fatal("want an error for format xml")
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"debug", slog.LevelDebug, false},
		{"INFO", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"loud", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
