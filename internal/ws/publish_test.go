package ws_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gorilla/websocket"

	"example.com/echotemplate/internal/ws"
)

func TestPublishAcrossHubs(t *testing.T) {
	broker := ws.NewMemoryBroker()
	hubA := newHub(t, ws.Config{}, broker)
	hubB := newHub(t, ws.Config{}, broker)
	for _, hub := range []*ws.Server{hubA, hubB} {
		eventually(t, "the subscription", func() bool { return hub.Ready() == nil })
	}
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)

	a := joinChat(t, urlA, "a")
	b := joinChat(t, urlB, "b")
	expect(t, a, "b joined")

	// Each message reaches each client once: a copy would arrive before the
	// next message, which takes the same path.
	send(t, a, "hi")
	for _, conn := range []*websocket.Conn{a, b} {
		expect(t, conn, "a said: hi")
	}
	send(t, b, "bye")
	for _, conn := range []*websocket.Conn{a, b} {
		expect(t, conn, "b said: bye")
	}
}

// TestPublishBrokerFailures checks that each message reaches each client
// exactly once however the broker misbehaves.
func TestPublishBrokerFailures(t *testing.T) {
	errDown := errors.New("broker down")
	tests := []struct {
		name      string
		broker    func() ws.Broker
		wantReady error
	}{
		{
			name:   "Healthy",
			broker: func() ws.Broker { return ws.NewMemoryBroker() },
		},
		{
			// Nothing works: messages go to this hub's clients directly.
			name: "Down",
			broker: func() ws.Broker {
				return &funcBroker{
					publish: func(context.Context, []byte) error { return errDown },
					subscribe: func(context.Context, func(), func([]byte)) error {
						return errDown
					},
				}
			},
			wantReady: ws.ErrBrokerUnavailable,
		},
		{
			// Publish delivers but reports a failure, like a timeout after
			// the broker received the message: the hub also delivers it
			// directly, and drops the second copy.
			name: "PublishFailsAfterSending",
			broker: func() ws.Broker {
				mem := ws.NewMemoryBroker()
				return &funcBroker{
					publish: func(ctx context.Context, msg []byte) error {
						_ = mem.Publish(ctx, msg)
						return errDown
					},
					subscribe: mem.Subscribe,
				}
			},
		},
		{
			// Messages arrive although the subscription never said it was
			// up: the hub delivers directly and drops the broker's copy.
			name: "DeliversBeforeReady",
			broker: func() ws.Broker {
				mem := ws.NewMemoryBroker()
				return &funcBroker{
					publish: mem.Publish,
					subscribe: func(ctx context.Context, _ func(), deliver func([]byte)) error {
						return mem.Subscribe(ctx, func() {}, deliver)
					},
				}
			},
			wantReady: ws.ErrBrokerUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, ws.Config{}, tt.broker())
			eventually(t, "Ready to settle", func() bool { return errors.Is(hub.Ready(), tt.wantReady) })
			conn := joinChat(t, newServer(t, hub), "u")

			send(t, conn, "one")
			send(t, conn, "two")
			expect(t, conn, "u said: one", "u said: two")
			if got, want := hub.Stats().Messages, int64(3); got != want {
				t.Errorf("got %d messages fanned out, want %d (join, one, two)", got, want)
			}
		})
	}
}

// funcBroker is a Broker made of two functions.
type funcBroker struct {
	publish   func(ctx context.Context, msg []byte) error
	subscribe func(ctx context.Context, ready func(), deliver func([]byte)) error
}

func (b *funcBroker) Publish(ctx context.Context, msg []byte) error { return b.publish(ctx, msg) }

func (b *funcBroker) Subscribe(ctx context.Context, ready func(), deliver func([]byte)) error {
	return b.subscribe(ctx, ready, deliver)
}
