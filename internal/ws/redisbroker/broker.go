// Package redisbroker carries chat messages between instances of the service
// over Redis pub/sub: it is the multi-instance ws.Broker. It holds no state
// of its own; reconnecting with backoff is the hub's job.
package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// healthInterval is how long a subscription may stay silent before the
// broker pings Redis on it. With no answer within another interval the
// subscription is given up, so a connection that died without a reset (a
// vanished host or network) is noticed within two intervals.
const healthInterval = 30 * time.Second

// Broker publishes chat messages to a Redis channel and subscribes to it.
// Pub/sub keeps no history: a hub whose subscription is down misses what is
// published meanwhile.
type Broker struct {
	client  redis.UniversalClient
	channel string
}

// New returns a broker on channel. Every instance that should chat together
// uses the same channel. The caller owns client and closes it after the hub
// has shut down.
func New(client redis.UniversalClient, channel string) *Broker {
	return &Broker{client: client, channel: channel}
}

// Publish sends msg to every hub subscribed to the channel.
func (b *Broker) Publish(ctx context.Context, msg []byte) error {
	if err := b.client.Publish(ctx, b.channel, msg).Err(); err != nil {
		return fmt.Errorf("redisbroker: publish: %w", err)
	}
	return nil
}

// Subscribe subscribes to the channel, calls ready once Redis has confirmed
// the subscription, and then calls deliver with every message until ctx is
// done (it returns nil) or the connection fails (it returns the error).
func (b *Broker) Subscribe(ctx context.Context, ready func(), deliver func(msg []byte)) error {
	ps := b.client.Subscribe(ctx)
	defer ps.Close()
	// Receive does not watch ctx; closing the subscription unblocks it.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()

	if err := ps.Subscribe(ctx, b.channel); err != nil {
		return unlessDone(ctx, fmt.Errorf("redisbroker: subscribe: %w", err))
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, healthInterval)
		var netErr net.Error
		switch {
		case err == nil:
		case errors.As(err, &netErr) && netErr.Timeout() && !pinged:
			// Quiet channel: check the connection is still alive.
			if err := ps.Ping(ctx); err != nil {
				return unlessDone(ctx, fmt.Errorf("redisbroker: ping: %w", err))
			}
			pinged = true
			continue
		default:
			return unlessDone(ctx, fmt.Errorf("redisbroker: receive: %w", err))
		}

		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			deliver([]byte(m.Payload))
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				return fmt.Errorf("redisbroker: subscription to %q ended (%s)", b.channel, m.Kind)
			}
			ready()
		case *redis.Pong:
		}
	}
}

// unlessDone returns nil when ctx is done, since closing the subscription is then
// what made it fail, and err otherwise.
func unlessDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
