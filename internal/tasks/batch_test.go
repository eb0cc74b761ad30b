package tasks_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// fakeQueue records what a Batch asks of its Queue.
type fakeQueue struct {
	mu         sync.Mutex
	reserveErr error
	reserved   int
	enqueued   []tasks.Job
	released   int
}

func (q *fakeQueue) Reserve(_ context.Context, n int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.reserveErr != nil {
		return q.reserveErr
	}
	q.reserved += n
	return nil
}

func (q *fakeQueue) Enqueue(jobs []tasks.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enqueued = append(q.enqueued, jobs...)
	return nil
}

func (q *fakeQueue) Release(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.released += n
}

func TestBatch_Commit(t *testing.T) {
	q := &fakeQueue{}
	b := tasks.NewBatch(q, "req-1")
	ctx := tasks.WithBatch(t.Context(), b)
	job := taskstest.Job("a@example.com")

	for range 2 {
		if err := tasks.Add(ctx, job); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	if q.reserved != 2 || len(q.enqueued) != 0 {
		t.Fatalf("after Add: reserved %d, enqueued %d; want 2, 0", q.reserved, len(q.enqueued))
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	b.Discard() // deferred by the middleware: must do nothing now
	if err := b.Commit(); err != nil {
		t.Fatalf("second Commit: %v", err)
	}

	if len(q.enqueued) != 2 || q.released != 0 {
		t.Fatalf("after Commit: enqueued %d, released %d; want 2, 0", len(q.enqueued), q.released)
	}
	if got := q.enqueued[0]; got.RequestID != "req-1" || got.ID != job.ID {
		t.Errorf("enqueued job = %+v, want ID %q and request id req-1", got, job.ID)
	}
}

func TestBatch_Discard(t *testing.T) {
	q := &fakeQueue{}
	b := tasks.NewBatch(q, "req-1")
	for range 3 {
		if err := b.Add(t.Context(), taskstest.Job("a@example.com")); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}

	b.Discard()
	b.Discard()
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit after Discard: %v", err)
	}

	if len(q.enqueued) != 0 || q.released != 3 {
		t.Errorf("enqueued %d, released %d; want 0, 3", len(q.enqueued), q.released)
	}
}

func TestBatch_KeepsRequestIDOfJob(t *testing.T) {
	q := &fakeQueue{}
	b := tasks.NewBatch(q, "req-1")
	job := taskstest.Job("a@example.com")
	job.RequestID = "req-original"

	if err := b.Add(t.Context(), job); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := q.enqueued[0].RequestID; got != "req-original" {
		t.Errorf("RequestID = %q, want req-original", got)
	}
}

func TestBatch_AddFails(t *testing.T) {
	invalid := taskstest.Job("a@example.com")
	invalid.Subject = "Hi\r\nBcc: x@example.com"

	tests := []struct {
		name         string
		reserveErr   error
		job          tasks.Job
		settleFirst  bool
		want         error
		wantTryLater bool
	}{
		{"QueueFull", tasks.ErrQueueFull, taskstest.Job("a@example.com"), false, tasks.ErrQueueFull, true},
		{"QueueClosed", tasks.ErrClosed, taskstest.Job("a@example.com"), false, tasks.ErrClosed, true},
		{"InvalidJob", nil, invalid, false, tasks.ErrInvalidJob, false},
		{"AfterCommit", nil, taskstest.Job("a@example.com"), true, tasks.ErrBatchDone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{reserveErr: tt.reserveErr}
			b := tasks.NewBatch(q, "req-1")
			if tt.settleFirst {
				_ = b.Commit()
			}

			err := b.Add(t.Context(), tt.job)
			if !errors.Is(err, tt.want) {
				t.Errorf("Add error = %v, want %v", err, tt.want)
			}
			if got := tasks.TryLater(err); got != tt.wantTryLater {
				t.Errorf("TryLater(%v) = %v, want %v", err, got, tt.wantTryLater)
			}
			if q.reserved != 0 {
				t.Errorf("reserved %d, want 0", q.reserved)
			}
		})
	}
}

func TestAdd_NoBatch(t *testing.T) {
	if err := tasks.Add(t.Context(), taskstest.Job("a@example.com")); !errors.Is(err, tasks.ErrNoBatch) {
		t.Errorf("Add error = %v, want ErrNoBatch", err)
	}
}
