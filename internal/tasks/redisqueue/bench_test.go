package redisqueue_test

import (
	"log/slog"
	"testing"
	"time"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// BenchmarkQueue_Enqueue measures what a request pays: one enqueue into
// Redis. No worker runs, so only intake is measured.
func BenchmarkQueue_Enqueue(b *testing.B) {
	rdb := newRedis(b)
	queue := taskstest.UniqueQueue(b, rdb)
	q := newQueue(b, rdb, testConfig(queue), tasks.MailerFunc(nil), slog.New(slog.DiscardHandler), false)

	b.ReportAllocs()
	for b.Loop() {
		taskstest.Enqueue(b, q, taskstest.Job("a@example.com"))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkQueue_EnqueueParallel is BenchmarkQueue_Enqueue from many
// goroutines, as concurrent requests would do it.
func BenchmarkQueue_EnqueueParallel(b *testing.B) {
	rdb := newRedis(b)
	queue := taskstest.UniqueQueue(b, rdb)
	q := newQueue(b, rdb, testConfig(queue), tasks.MailerFunc(nil), slog.New(slog.DiscardHandler), false)

	b.ReportAllocs()
	b.SetParallelism(8) // requests wait on Redis, so more of them than cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			taskstest.Enqueue(b, q, taskstest.Job("a@example.com"))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkQueue_Delivery measures jobs through Redis and the workers to a
// real SMTP server: each op enqueues a burst and waits until all arrived.
// The figure includes the idle workers' polling (PollInterval, 50ms here)
// at the start of each burst.
func BenchmarkQueue_Delivery(b *testing.B) {
	const burst = 256
	rdb := newRedis(b)
	queue := taskstest.UniqueQueue(b, rdb)
	server := smtptest.NewServer(b, smtptest.Options{})
	cfg := testConfig(queue)
	cfg.Tasks.Workers = 4
	newQueue(b, rdb, cfg, taskstest.SMTPMailer(b, server), slog.New(slog.DiscardHandler), true)
	intake := newQueue(b, rdb, cfg, tasks.MailerFunc(nil), slog.New(slog.DiscardHandler), false)

	total := 0
	for b.Loop() {
		for range burst {
			taskstest.Enqueue(b, intake, taskstest.Job("a@example.com"))
		}
		total += burst
		server.WaitMessages(b, total, time.Minute)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "emails/s")
}
