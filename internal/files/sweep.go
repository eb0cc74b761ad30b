package files

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Swept counts what one Sweep removed.
type Swept struct {
	// Expired is the stored files past Options.Retention.
	Expired int
	// Partial is the leftovers of killed processes: temporary files, and
	// content whose metadata never followed, untouched for StaleAfter.
	Partial int
}

// Sweep deletes the stored files past the retention and the partial files
// older than Options.StaleAfter. It is safe to run in several instances at
// once: a file another sweep removed first is skipped. It never removes a
// file being written, since an upload writes to its temporary file more
// often than StaleAfter (the upload's time limit) and renames it into place
// right after its last write.
func (s *Store) Sweep(ctx context.Context) (Swept, error) {
	var swept Swept
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return swept, fmt.Errorf("files: sweep: %w", err)
	}
	now := s.opts.Now()
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return swept, err
		}
		name := e.Name()
		id, isMeta := strings.CutSuffix(name, ".json")
		switch {
		case isMeta && validID(id):
			gone, err := s.sweepExpired(ctx, id)
			if gone {
				swept.Expired++
			}
			errs = append(errs, err)
		case strings.HasPrefix(name, strings.TrimSuffix(tempPattern, "*")) || validID(name) && !s.hasMeta(name):
			fi, err := e.Info()
			if err != nil || now.Sub(fi.ModTime()) < s.opts.StaleAfter {
				continue // Removed meanwhile, or still young enough to be in progress.
			}
			if err := os.Remove(filepath.Join(s.dir, name)); err == nil {
				swept.Partial++
			} else if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("files: sweep %s: %w", name, err))
			}
		}
	}
	return swept, errors.Join(errs...)
}

// sweepExpired deletes the file id if it is past the retention.
func (s *Store) sweepExpired(ctx context.Context, id string) (bool, error) {
	raw, err := os.ReadFile(s.metaPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // Another sweep or a Delete was first.
	}
	var m metadata
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil {
		return false, fmt.Errorf("files: sweep %s: %w", id, err)
	}
	if !s.expired(m.Created) {
		return false, nil
	}
	if err := s.Delete(ctx, id); errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("files: sweep: %w", err)
	}
	return true, nil
}

func (s *Store) hasMeta(id string) bool {
	_, err := os.Stat(s.metaPath(id))
	return !errors.Is(err, fs.ErrNotExist)
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
