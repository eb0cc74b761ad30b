package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// BenchmarkNotify measures POST /notify?email=... through the whole
// service: a real HTTP client and server over loopback, every middleware
// with request logging on, and the job handed to the queue. It reports
// accepted notifications per second:
//
//   - InProcess and Redis: 8 concurrent clients per CPU, workers sending
//     to a mailer that takes no time.
//   - SlowSMTP: one client, the in-process queue sending to a real SMTP
//     server that holds every message for 2s. Its ns/op is the response
//     time, which the mail server does not change.
func BenchmarkNotify(b *testing.B) {
	instant := tasks.MailerFunc(func(context.Context, tasks.Email) error { return nil })
	// Room for every job a run accepts, so that none gets 503.
	big := tasks.Config{QueueSize: 1 << 17}

	b.Run("InProcess", func(b *testing.B) {
		benchNotify(b, benchDispatcher(b, big, instant), 8)
	})
	b.Run("Redis", func(b *testing.B) {
		rdb := testRedis(b)
		queue := taskstest.UniqueQueue(b, rdb)
		benchNotify(b, newRedisQueue(b, rdb, queue, instant, true), 8)
	})
	b.Run("SlowSMTP", func(b *testing.B) {
		server := smtptest.NewServer(b, smtptest.Options{Delay: 2 * time.Second})
		benchNotify(b, benchDispatcher(b, big, taskstest.SMTPMailer(b, server)), 1)
	})
}

// benchDispatcher returns a started in-process queue whose log is
// discarded. It is stopped without waiting for the jobs left.
func benchDispatcher(b *testing.B, cfg tasks.Config, m tasks.Mailer) *tasks.Dispatcher {
	b.Helper()
	d, err := tasks.NewDispatcher(cfg, m, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	return d
}

// benchNotify posts notifications to the service with queue q, from one
// client or from clients per CPU, and reports how many per second it
// accepted.
func benchNotify(b *testing.B, q TaskQueue, clients int) {
	b.Helper()
	log, err := logging.New(io.Discard, "json", slog.LevelInfo)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(testConfig(), Deps{Log: log, Health: NewHealth(), Tasks: q}))
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.Cleanup(client.CloseIdleConnections)
	url := srv.URL + "/notify?email=bench@example.com"

	post := func() error {
		req, err := http.NewRequest(http.MethodPost, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST /notify = %d, want 202", resp.StatusCode)
		}
		return nil
	}

	b.ReportAllocs()
	if clients == 1 {
		for b.Loop() {
			if err := post(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		// RunParallel starts clients goroutines per CPU.
		b.SetParallelism(clients)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := post(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
}
