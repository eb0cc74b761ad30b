package files

import (
	"context"
	"errors"
)

// ErrStorageFull means storing the upload would take the store past
// Options.MaxBytes (507). Nothing was stored.
var ErrStorageFull = errors.New("files: storage quota exceeded")

// room returns how many more bytes the quota allows, or -1 for no quota.
func (s *Store) room(ctx context.Context) (int64, error) {
	if s.opts.MaxBytes <= 0 {
		return -1, nil
	}
	used, err := s.b.usage(ctx)
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
