package mailer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/tasks"
)

func TestLog_Send(t *testing.T) {
	var buf bytes.Buffer
	m := mailer.NewLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	e := testEmail()

	if err := m.Send(t.Context(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}

	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	for key, want := range map[string]string{"message_id": e.ID, "to": e.To, "subject": e.Subject, "body": e.Body} {
		if got[key] != want {
			t.Errorf("log %s = %v, want %q", key, got[key], want)
		}
	}
}

func TestLog_SendRefusesHeaderInjection(t *testing.T) {
	var buf bytes.Buffer
	m := mailer.NewLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	e := testEmail()
	e.To = "alice@example.com\nBcc: victim@example.com"

	if err := m.Send(t.Context(), e); !errors.Is(err, tasks.ErrInvalidJob) {
		t.Errorf("Send error = %v, want ErrInvalidJob", err)
	}
	if buf.Len() != 0 {
		t.Errorf("logged %q, want nothing", buf.String())
	}
}
