package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// TestShutdownWithoutWorkersSaysWhy: a dispatcher whose workers never ran
// drops its queued jobs at once, and its error says so, not that a
// deadline passed.
func TestShutdownWithoutWorkersSaysWhy(t *testing.T) {
	log, _ := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, tasks.MailerFunc(nil), log, false)
	taskstest.Enqueue(t, d, taskstest.Job("a@example.com"))

	err := d.Shutdown(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 jobs dropped: workers never started") {
		t.Fatalf("Shutdown = %v, want 1 job dropped because the workers never started", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, blames the context", err)
	}
}
