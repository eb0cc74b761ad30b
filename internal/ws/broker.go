package ws

import (
	"context"
	"sync"
)

// Broker carries chat messages between hubs, so that clients connected to
// different instances of the service chat together. Every hub publishes each
// chat message to the broker and delivers what its subscription receives, its
// own messages included.
//
// The hub owns retries: Subscribe serves one subscription and returns when it
// fails; the hub calls it again with backoff and, while no subscription is up,
// delivers its messages to its own clients directly.
type Broker interface {
	// Publish sends msg to every subscriber, the publishing hub included.
	Publish(ctx context.Context, msg []byte) error

	// Subscribe calls deliver with every message published from the moment
	// it calls ready until ctx is done or the subscription fails. It returns
	// nil when ctx is done and an error that says what failed otherwise.
	// deliver is safe for concurrent use and does not keep msg.
	Subscribe(ctx context.Context, ready func(), deliver func(msg []byte)) error
}

// MemoryBroker is a Broker within one process: the default for a single
// instance, and a way to run several hubs in one test.
type MemoryBroker struct {
	mu   sync.RWMutex
	subs map[*func([]byte)]struct{}
}

// NewMemoryBroker returns a broker with no subscribers.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{subs: make(map[*func([]byte)]struct{})}
}

// Publish calls every subscriber's deliver before it returns.
func (b *MemoryBroker) Publish(_ context.Context, msg []byte) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for deliver := range b.subs {
		(*deliver)(msg)
	}
	return nil
}

// Subscribe registers deliver and blocks until ctx is done. It never fails.
func (b *MemoryBroker) Subscribe(ctx context.Context, ready func(), deliver func(msg []byte)) error {
	key := &deliver
	b.mu.Lock()
	b.subs[key] = struct{}{}
	b.mu.Unlock()
	ready()

	<-ctx.Done()
	b.mu.Lock()
	delete(b.subs, key)
	b.mu.Unlock()
	return nil
}
