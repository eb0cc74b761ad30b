package ws

import (
	"context"
	"fmt"
	"slices"
	"time"
)

const (
	// presenceRefresh is how often an instance writes its chat names to the
	// broker even when nobody came or went, and presenceTTL how long the
	// broker keeps them: an instance that crashed drops out of the members
	// within presenceTTL, while a live one misses two refreshes before its
	// names could lapse.
	presenceRefresh = 10 * time.Second
	presenceTTL     = 3 * presenceRefresh
)

// Members returns the names in the chat, sorted, each once: with a broker,
// those of every instance. This instance's names are always current; those
// of other instances lag their changes by a broker round trip, and those of
// an instance that crashed remain for up to presenceTTL. It returns
// ErrShuttingDown once Shutdown has begun, and ErrBrokerUnavailable when
// the broker cannot be asked.
func (s *Server) Members(ctx context.Context) ([]string, error) {
	names := s.hub.names()
	if names == nil || s.stopping() {
		return nil, ErrShuttingDown
	}
	if s.broker == nil {
		return names, nil
	}
	others, err := s.broker.Members(ctx, s.id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBrokerUnavailable, err)
	}
	names = append(names, others...)
	slices.Sort(names)
	return slices.Compact(names), nil
}

// advertise writes this instance's chat names to the broker whenever
// clients come or go and every presenceRefresh, until Shutdown, which
// removes them.
func (s *Server) advertise() {
	defer close(s.advertised)
	refresh := time.NewTicker(presenceRefresh)
	defer refresh.Stop()
	failing := false
	for {
		select {
		case <-s.hub.changed:
		case <-refresh.C:
		case <-s.ctx.Done():
			// The hub has stopped: no names left to show.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.cfg.PublishTimeout)
			defer cancel()
			if err := s.broker.SetMembers(ctx, s.id, nil, presenceTTL); err != nil {
				s.log.WarnContext(ctx, "chat members not removed from the broker; they expire", "err", err, "ttl", presenceTTL)
			}
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.PublishTimeout)
		err := s.broker.SetMembers(ctx, s.id, s.hub.names(), presenceTTL)
		cancel()
		switch {
		case err != nil && !failing && s.ctx.Err() == nil:
			s.log.WarnContext(s.ctx, "chat members not written to the broker", "err", err)
		case err == nil && failing:
			s.log.InfoContext(s.ctx, "chat members written to the broker again")
		}
		failing = err != nil
	}
}
