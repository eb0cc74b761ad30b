package files

import (
	"errors"
	"fmt"
	"os"
)

// ErrStorageFull means storing the upload would take the store past
// Options.MaxBytes (507). Nothing was stored.
var ErrStorageFull = errors.New("files: storage quota exceeded")

// usage returns the bytes the store's directory holds: stored files, their
// metadata and uploads still arriving (temporary files), whichever instance
// writes them. Counting the uploads in progress is what keeps several
// concurrent ones from passing the quota together by much: each sees the
// others' bytes as far as they have arrived.
func (s *Store) usage() (int64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("files: read directory: %w", err)
	}
	var total int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return 0, fmt.Errorf("files: stat %s: %w", e.Name(), err)
		}
		total += info.Size()
	}
	return total, nil
}

// room returns how many more bytes the quota allows, or -1 for no quota.
func (s *Store) room() (int64, error) {
	if s.opts.MaxBytes <= 0 {
		return -1, nil
	}
	used, err := s.usage()
	if err != nil {
		return 0, err
	}
	return max(s.opts.MaxBytes-used, 0), nil
}

// quotaWriter counts the bytes written through it and fails with
// ErrStorageFull once they pass limit, so an upload over the quota stops as
// soon as it passes it instead of filling the disk first. A negative limit
// means no quota.
type quotaWriter struct {
	limit, n int64
}

func (q *quotaWriter) Write(p []byte) (int, error) {
	q.n += int64(len(p))
	if q.limit >= 0 && q.n > q.limit {
		return 0, ErrStorageFull
	}
	return len(p), nil
}
