package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// sniffLen is how many leading bytes http.DetectContentType looks at.
const sniffLen = 512

// Put streams r into the store under a new id, hashing and counting on the
// way, and returns the stored file's Info. filename is kept as metadata
// only; callers pass it sanitised. Put does not bound the size of r: the
// caller does, as Receiver does with its body limit.
//
// The content type is sniffed from the first 512 bytes before anything is
// written; a type off the allowlist returns ErrTypeNotAllowed after reading
// just those bytes. If reading r fails, ctx is cancelled, the quota is
// passed or the backend fails, Put removes everything it wrote and returns
// the error: a failed Put leaves the store as it found it.
func (s *Store) Put(ctx context.Context, r io.Reader, filename string) (Info, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Info{}, fmt.Errorf("files: read: %w", err)
	}
	head = head[:n]
	contentType := http.DetectContentType(head)
	if !s.allows(contentType) {
		return Info{}, fmt.Errorf("%w: %s", ErrTypeNotAllowed, contentType)
	}

	room, err := s.room(ctx)
	if err != nil {
		return Info{}, err
	}
	quota := &quotaWriter{limit: room}
	hash := sha256.New()
	body := io.TeeReader(io.MultiReader(bytes.NewReader(head), contextReader{ctx: ctx, r: r}), io.MultiWriter(quota, hash))
	sum := func() (int64, string) { return quota.n, hex.EncodeToString(hash.Sum(nil)) }
	id := newID()
	m := metadata{Filename: filename, ContentType: contentType, Created: s.opts.Now().UTC()}
	if err := s.b.put(ctx, id, body, m, sum); err != nil {
		return Info{}, err
	}
	m.Size, m.SHA256 = sum()
	return m.info(id), nil
}

// contextReader stops a copy once ctx is done, so a cancelled request stops
// writing even if its body is still arriving.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
