package files

import (
	"context"
	"log/slog"
	"time"
)

// Swept counts what one Sweep removed.
type Swept struct {
	// Expired is the stored files past Options.Retention.
	Expired int
	// Partial is the leftovers of killed processes, untouched for
	// StaleAfter: temporary files and content whose metadata never followed
	// in a directory; multipart uploads never completed, and objects never
	// given their checksum, in a bucket.
	Partial int
}

// Sweep deletes the stored files past the retention and the partial files
// older than Options.StaleAfter. It is safe to run in several instances at
// once: a file another sweep removed first is skipped. It never removes an
// upload in progress, since none lasts longer than StaleAfter (the upload's
// time limit).
func (s *Store) Sweep(ctx context.Context) (Swept, error) {
	return s.b.sweep(ctx, s.opts.Now().Add(-s.opts.StaleAfter), s.expired)
}

// SweepInterval is how often RunSweeper sweeps: a tenth of the retention
// (or of StaleAfter, when files are kept forever), so an expired file
// lingers on disk at most 10% longer, but at least every hour and at most
// every minute, which keeps listing a large directory cheap.
func (s *Store) SweepInterval() time.Duration {
	base := s.opts.Retention
	if base == 0 {
		base = s.opts.StaleAfter
	}
	return min(max(base/10, time.Minute), time.Hour)
}

// RunSweeper sweeps at once and then every SweepInterval until ctx is done,
// logging what it removed.
func (s *Store) RunSweeper(ctx context.Context, log *slog.Logger) {
	ticker := time.NewTicker(s.SweepInterval())
	defer ticker.Stop()
	for {
		swept, err := s.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.WarnContext(ctx, "sweep uploads", "err", err, "expired", swept.Expired, "partial", swept.Partial)
		case swept != Swept{}:
			log.InfoContext(ctx, "swept uploads", "expired", swept.Expired, "partial", swept.Partial)
		default:
			log.DebugContext(ctx, "swept uploads: nothing to remove")
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
