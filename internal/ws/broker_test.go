package ws

import (
	"context"
	"sync"
	"testing"
)

func TestMemoryBroker(t *testing.T) {
	b := NewMemoryBroker()
	ctx, cancel := context.WithCancel(context.Background())

	var (
		mu     sync.Mutex
		got    []string
		ready  sync.WaitGroup
		ended  sync.WaitGroup
		record = func(msg []byte) {
			mu.Lock()
			got = append(got, string(msg))
			mu.Unlock()
		}
	)
	for range 2 {
		ready.Add(1)
		ended.Add(1)
		go func() {
			defer ended.Done()
			if err := b.Subscribe(ctx, ready.Done, record); err != nil {
				t.Errorf("Subscribe: %v", err)
			}
		}()
	}
	ready.Wait()

	if err := b.Publish(ctx, []byte("hi")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	cancel()
	ended.Wait()
	if err := b.Publish(context.Background(), []byte("after")); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	if len(got) != 2 || got[0] != "hi" || got[1] != "hi" {
		t.Errorf("subscribers got %q, want hi twice", got)
	}
}
