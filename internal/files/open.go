package files

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// metadata is the on-disk form of Info, stored as <id>.json. The id is the
// file's own name and is not repeated inside.
type metadata struct {
	Filename    string    `json:"filename"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Created     time.Time `json:"created"`
}

func metadataOf(info Info) metadata {
	return metadata{
		Filename:    info.Filename,
		Size:        info.Size,
		SHA256:      info.SHA256,
		ContentType: info.ContentType,
		Created:     info.ModTime,
	}
}

// Open returns the stored file with the given id, open for reading, and its
// Info. The caller closes the file. It is an *os.File so that
// http.ServeContent can send it with sendfile(2). A malformed or unknown id
// returns ErrNotFound.
func (s *Store) Open(ctx context.Context, id string) (*os.File, Info, error) {
	if !validID(id) {
		return nil, Info{}, ErrNotFound
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	raw, err := os.ReadFile(s.metaPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("files: read metadata: %w", err)
	}
	var m metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, Info{}, fmt.Errorf("files: decode metadata %s: %w", id, err)
	}
	if s.expired(m.Created) {
		return nil, Info{}, ErrNotFound // Gone already, whether or not a sweep has removed it.
	}
	f, err := os.Open(s.contentPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		// Deleted between the two reads, by this or another instance.
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("files: open content: %w", err)
	}
	return f, Info{
		ID:          id,
		Filename:    m.Filename,
		Size:        m.Size,
		SHA256:      m.SHA256,
		ContentType: m.ContentType,
		ModTime:     m.Created,
	}, nil
}

// expired reports whether a file stored at created is past the retention.
func (s *Store) expired(created time.Time) bool {
	return s.opts.Retention > 0 && !s.opts.Now().Before(created.Add(s.opts.Retention))
}

// Delete removes the stored file with the given id. A malformed or unknown
// id returns ErrNotFound. The metadata goes first, so the file disappears
// from Open at once even if removing the content then fails.
//
// Delete does not give up when ctx is already cancelled: it is how callers
// clean up after a request that was aborted.
func (s *Store) Delete(_ context.Context, id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	metaErr := os.Remove(s.metaPath(id))
	if metaErr != nil && !errors.Is(metaErr, fs.ErrNotExist) {
		return fmt.Errorf("files: delete metadata: %w", metaErr)
	}
	contentErr := os.Remove(s.contentPath(id))
	if contentErr != nil && !errors.Is(contentErr, fs.ErrNotExist) {
		return fmt.Errorf("files: delete content: %w", contentErr)
	}
	if metaErr != nil && contentErr != nil {
		return ErrNotFound
	}
	return nil
}
