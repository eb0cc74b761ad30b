package files

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
)

// sniffLen is how many leading bytes http.DetectContentType looks at.
const sniffLen = 512

// writeBufferSize is the size of the writes Put makes to disk.
const writeBufferSize = 256 << 10

// tempPattern names temporary files. The leading dot and the missing hex id
// keep them apart from stored files: validID never accepts such a name.
const tempPattern = ".upload-*"

// Put streams r into the store under a new id, hashing and counting on the
// way, and returns the stored file's Info. filename is kept as metadata
// only; callers pass it sanitised. Put does not bound the size of r: the
// caller does, as Receiver does with its body limit.
//
// The content type is sniffed from the first 512 bytes before anything is
// written; a type off the allowlist returns ErrTypeNotAllowed after reading
// just those bytes. If reading r fails, ctx is cancelled or the disk fails,
// Put removes everything it wrote and returns the error: a failed Put leaves
// the directory as it found it.
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

	room, err := s.room()
	if err != nil {
		return Info{}, err
	}
	quota := &quotaWriter{limit: room}
	hash := sha256.New()
	var size int64
	content, err := s.writeTemp(func(f *os.File) error {
		// Readers such as a multipart part hand over a few KiB at a time;
		// the buffer turns that into fewer, larger writes.
		buf := bufio.NewWriterSize(f, writeBufferSize)
		body := io.MultiReader(bytes.NewReader(head), contextReader{ctx: ctx, r: r})
		n, err := io.Copy(io.MultiWriter(quota, buf, hash), body)
		size = n
		if err != nil {
			return err
		}
		return buf.Flush()
	})
	if err != nil {
		return Info{}, fmt.Errorf("files: write content: %w", err)
	}

	info := Info{
		ID:          newID(),
		Filename:    filename,
		Size:        size,
		SHA256:      hex.EncodeToString(hash.Sum(nil)),
		ContentType: contentType,
		ModTime:     s.opts.Now().UTC(),
	}
	if err := s.publish(content, info); err != nil {
		os.Remove(content)
		return Info{}, err
	}
	return info, nil
}

// publish writes info's metadata and renames both files into place, content
// first and metadata last: Open needs the metadata, so readers never see a
// file whose content is still missing. On error it removes what it wrote
// except the content temp file, which the caller owns.
func (s *Store) publish(content string, info Info) error {
	meta, err := json.Marshal(metadataOf(info))
	if err != nil {
		return fmt.Errorf("files: encode metadata: %w", err)
	}
	metaTemp, err := s.writeTemp(func(f *os.File) error {
		_, err := f.Write(meta)
		return err
	})
	if err != nil {
		return fmt.Errorf("files: write metadata: %w", err)
	}
	if err := os.Rename(content, s.contentPath(info.ID)); err != nil {
		os.Remove(metaTemp)
		return fmt.Errorf("files: publish content: %w", err)
	}
	if err := os.Rename(metaTemp, s.metaPath(info.ID)); err != nil {
		os.Remove(metaTemp)
		os.Remove(s.contentPath(info.ID))
		return fmt.Errorf("files: publish metadata: %w", err)
	}
	// The renames are durable only once the directory itself is flushed.
	if err := syncDir(s.dir); err != nil {
		os.Remove(s.metaPath(info.ID))
		os.Remove(s.contentPath(info.ID))
		return fmt.Errorf("files: sync directory: %w", err)
	}
	return nil
}

// writeTemp creates a temporary file in the store's directory, fills it with
// write, flushes it to disk and closes it, returning its path. On any error
// it removes the file, so only complete temporary files outlive it.
func (s *Store) writeTemp(write func(f *os.File) error) (path string, err error) {
	f, err := os.CreateTemp(s.dir, tempPattern)
	if err != nil {
		return "", fmt.Errorf("create temp file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close: %w", err)
	}
	return f.Name(), nil
}

// syncDir flushes a directory's entries, such as a rename, to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // The store's own directory, from configuration.
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// contextReader stops a copy once ctx is done, so a cancelled request stops
// writing to disk even if its body is still arriving.
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
