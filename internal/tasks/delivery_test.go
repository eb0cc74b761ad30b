package tasks_test

// These tests send through the real SMTP mailer to a real SMTP server
// (smtptest, on 127.0.0.1), so they cover what a user of POST /notify sees.

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

func TestDelivery_ReachesServer(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{})
	log, _ := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, taskstest.SMTPMailer(t, server), log, true)
	job := tasks.NewJob(tasks.Email{To: "alice@example.com", Subject: "Notification for alice", Body: "some notification"})

	taskstest.Enqueue(t, d, job)

	got := server.WaitMessages(t, 1, 5*time.Second)[0]
	if len(got.To) != 1 || got.To[0] != job.To {
		t.Errorf("recipients = %v, want [%s]", got.To, job.To)
	}
	if got.Subject != job.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, job.Subject)
	}
	if got.Body != job.Body {
		t.Errorf("body = %q, want %q", got.Body, job.Body)
	}
	if want := job.ID + "@example.com"; got.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", got.MessageID, want)
	}
}

func TestDelivery_SlowServerDoesNotSlowEnqueue(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Delay: 2 * time.Second})
	log, _ := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, taskstest.SMTPMailer(t, server), log, true)

	start := time.Now()
	taskstest.Enqueue(t, d, taskstest.Job("a@example.com"))
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("Enqueue took %v with a 2s mail server, want well under 100ms", took)
	}

	shutdown(t, d, 10*time.Second) // waits for the slow delivery
	if n := len(server.Messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestDelivery_FailingServerIsRetriedThenGivenUp(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.TempFail }})
	log, logs := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, taskstest.SMTPMailer(t, server), log, true)
	job := taskstest.Job("a@example.com")

	taskstest.Enqueue(t, d, job)
	shutdown(t, d, 10*time.Second)

	if got, want := server.Attempts(), quickConfig.MaxAttempts; got != want {
		t.Errorf("server saw %d attempts, want %d", got, want)
	}
	gaveUp := logs.Lines(t, "giving up")
	if len(gaveUp) != 1 {
		t.Fatalf("got %d 'giving up' log lines, want 1", len(gaveUp))
	}
	if got := gaveUp[0]["job_id"]; got != job.ID {
		t.Errorf("log job_id = %v, want %q", got, job.ID)
	}
	if got, _ := gaveUp[0]["error"].(string); got == "" {
		t.Error("log line has no error")
	}
	if got := stats(t, d); got.GaveUp != 1 || got.Retries != 2 {
		t.Errorf("Stats = %+v, want 1 given up after 2 retries", got)
	}
}

func TestDelivery_PermanentRefusalIsNotRetried(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.PermFail }})
	log, _ := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, taskstest.SMTPMailer(t, server), log, true)

	taskstest.Enqueue(t, d, taskstest.Job("a@example.com"))
	shutdown(t, d, 10*time.Second)

	if got := server.Attempts(); got != 1 {
		t.Errorf("server saw %d attempts, want 1", got)
	}
}

func TestDelivery_ShutdownDeliversEveryAcceptedJob(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Delay: 5 * time.Millisecond})
	log, _ := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, taskstest.SMTPMailer(t, server), log, true)

	const n = 50
	ids := make(map[string]bool, n)
	for range n {
		job := taskstest.Job("a@example.com")
		ids[job.ID+"@example.com"] = true
		taskstest.Enqueue(t, d, job)
	}
	shutdown(t, d, 20*time.Second)

	msgs := server.Messages() // no waiting: Shutdown returned, so all are in
	if len(msgs) != n {
		t.Fatalf("server got %d messages before Shutdown returned, want %d", len(msgs), n)
	}
	for _, m := range msgs {
		if !ids[m.MessageID] {
			t.Errorf("unexpected or repeated Message-ID %q", m.MessageID)
		}
		delete(ids, m.MessageID)
	}
}

func TestDelivery_ShutdownDeadlineLogsDropped(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Delay: 2 * time.Second})
	log, logs := taskstest.NewLogger()
	d := newDispatcher(t, quickConfig, taskstest.SMTPMailer(t, server), log, true)
	const n = 10
	for range n {
		taskstest.Enqueue(t, d, taskstest.Job("a@example.com"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.Shutdown(ctx)
	took := time.Since(start)

	if err == nil {
		t.Fatal("Shutdown succeeded, want a deadline error")
	}
	if took > time.Second {
		t.Errorf("Shutdown took %v with a 100ms deadline", took)
	}
	lines := logs.Lines(t, "unfinished")
	if len(lines) != 1 {
		t.Fatalf("got %d shutdown log lines, want 1", len(lines))
	}
	if got := lines[0]["dropped"]; got != float64(n) {
		t.Errorf("logged dropped = %v, want %d", got, n)
	}
	if got := stats(t, d).Dropped; got != n {
		t.Errorf("Stats.Dropped = %d, want %d", got, n)
	}
}

// BenchmarkDelivery_SMTP measures delivery through the real SMTP mailer:
// each op enqueues a burst of jobs and waits until the server has them all.
func BenchmarkDelivery_SMTP(b *testing.B) {
	const burst = 64
	server := smtptest.NewServer(b, smtptest.Options{})
	d := newDispatcher(b, tasks.Config{Workers: 4, QueueSize: burst}, taskstest.SMTPMailer(b, server), slog.New(slog.DiscardHandler), true)
	job := taskstest.Job("a@example.com")

	total := 0
	for b.Loop() {
		for range burst {
			taskstest.Enqueue(b, d, job)
		}
		total += burst
		server.WaitMessages(b, total, time.Minute)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "emails/s")
}
