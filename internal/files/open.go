package files

import (
	"context"
	"io"
	"time"
)

// metadata is what a backend keeps beside a file's bytes: in a directory,
// its <id>.json; in a bucket, the object's x-amz-meta-* headers. The id
// names the file and is not repeated inside.
type metadata struct {
	Filename    string    `json:"filename"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Created     time.Time `json:"created"`
}

func (m metadata) info(id string) Info {
	return Info{
		ID:          id,
		Filename:    m.Filename,
		Size:        m.Size,
		SHA256:      m.SHA256,
		ContentType: m.ContentType,
		ModTime:     m.Created,
	}
}

// Open returns the stored file with the given id, open for reading, and its
// Info. The caller closes the file. From a directory it is an *os.File, so
// that http.ServeContent can send it with sendfile(2); from a bucket, each
// read after a seek is a ranged GET. A malformed, unknown or expired id
// returns ErrNotFound.
func (s *Store) Open(ctx context.Context, id string) (io.ReadSeekCloser, Info, error) {
	if !validID(id) {
		return nil, Info{}, ErrNotFound
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	f, m, err := s.b.open(ctx, id)
	if err != nil {
		return nil, Info{}, err
	}
	if s.expired(m.Created) {
		f.Close()
		return nil, Info{}, ErrNotFound // Gone already, whether or not a sweep has removed it.
	}
	return f, m.info(id), nil
}

// expired reports whether a file stored at created is past the retention.
func (s *Store) expired(created time.Time) bool {
	return s.opts.Retention > 0 && !s.opts.Now().Before(created.Add(s.opts.Retention))
}

// Delete removes the stored file with the given id. A malformed or unknown
// id returns ErrNotFound. The file disappears from Open at once.
//
// Delete does not give up when ctx is already cancelled: it is how callers
// clean up after a request that was aborted.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	return s.b.remove(ctx, id)
}
