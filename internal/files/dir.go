package files

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// writeBufferSize is the size of the writes Put makes to disk.
const writeBufferSize = 256 << 10

// tempPattern names temporary files. The leading dot and the missing hex id
// keep them apart from stored files: validID never accepts such a name.
const tempPattern = ".upload-*"

// dirBackend keeps files in one local directory, safe for several processes
// sharing it.
//
// Each file is two entries in the directory: <id> holds the bytes and
// <id>.json the metadata. Both are written to temporary files in the same
// directory, flushed to disk and renamed into place, content first and
// metadata last; open only sees a file once its metadata exists. Because
// rename(2) is atomic within one file system and ids are random, several
// instances can share the directory through a shared volume without any
// coordination.
type dirBackend struct {
	dir string
}

// newDirBackend creates dir if needed and checks that it is writable.
func newDirBackend(dir string) (*dirBackend, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("files: create directory: %w", err)
	}
	d := &dirBackend{dir: dir}
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	return d, nil
}

// contentPath and metaPath name a file's two entries. The id must be valid.
func (d *dirBackend) contentPath(id string) string { return filepath.Join(d.dir, id) }
func (d *dirBackend) metaPath(id string) string    { return filepath.Join(d.dir, id+".json") }

func (d *dirBackend) put(_ context.Context, id string, r io.Reader, m metadata, sum func() (int64, string)) error {
	content, err := d.writeTemp(func(f *os.File) error {
		// Readers such as a multipart part hand over a few KiB at a time;
		// the buffer turns that into fewer, larger writes.
		buf := bufio.NewWriterSize(f, writeBufferSize)
		if _, err := io.Copy(buf, r); err != nil {
			return err
		}
		return buf.Flush()
	})
	if err != nil {
		return fmt.Errorf("files: write content: %w", err)
	}
	m.Size, m.SHA256 = sum()
	if err := d.publish(content, id, m); err != nil {
		os.Remove(content) //nolint:gosec // The temp file writeTemp made.
		return err
	}
	return nil
}

// publish writes the metadata and renames both files into place, content
// first and metadata last: open needs the metadata, so readers never see a
// file whose content is still missing. On error it removes what it wrote
// except the content temp file, which the caller owns.
//
//nolint:gosec // Every path is a temp file writeTemp made or a valid id's.
func (d *dirBackend) publish(content, id string, m metadata) error {
	meta, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("files: encode metadata: %w", err)
	}
	metaTemp, err := d.writeTemp(func(f *os.File) error {
		_, err := f.Write(meta)
		return err
	})
	if err != nil {
		return fmt.Errorf("files: write metadata: %w", err)
	}
	if err := os.Rename(content, d.contentPath(id)); err != nil {
		os.Remove(metaTemp)
		return fmt.Errorf("files: publish content: %w", err)
	}
	if err := os.Rename(metaTemp, d.metaPath(id)); err != nil {
		os.Remove(metaTemp)
		os.Remove(d.contentPath(id))
		return fmt.Errorf("files: publish metadata: %w", err)
	}
	// The renames are durable only once the directory itself is flushed.
	if err := syncDir(d.dir); err != nil {
		os.Remove(d.metaPath(id))
		os.Remove(d.contentPath(id))
		return fmt.Errorf("files: sync directory: %w", err)
	}
	return nil
}

// writeTemp creates a temporary file in the directory, fills it with write,
// flushes it to disk and closes it, returning its path. On any error it
// removes the file, so only complete temporary files outlive it.
func (d *dirBackend) writeTemp(write func(f *os.File) error) (path string, err error) {
	f, err := os.CreateTemp(d.dir, tempPattern)
	if err != nil {
		return "", fmt.Errorf("create temp file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name()) //nolint:gosec // The temp file just made.
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

// open returns an *os.File, so that http.ServeContent can send it with
// sendfile(2).
func (d *dirBackend) open(_ context.Context, id string) (io.ReadSeekCloser, metadata, error) {
	m, err := d.readMeta(id)
	if err != nil {
		return nil, metadata{}, err
	}
	f, err := os.Open(d.contentPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		// Deleted between the two reads, by this or another instance.
		return nil, metadata{}, ErrNotFound
	}
	if err != nil {
		return nil, metadata{}, fmt.Errorf("files: open content: %w", err)
	}
	return f, m, nil
}

func (d *dirBackend) readMeta(id string) (metadata, error) {
	raw, err := os.ReadFile(d.metaPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return metadata{}, ErrNotFound
	}
	if err != nil {
		return metadata{}, fmt.Errorf("files: read metadata: %w", err)
	}
	var m metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return metadata{}, fmt.Errorf("files: decode metadata %s: %w", id, err)
	}
	return m, nil
}

// remove deletes the metadata first, so the file disappears from open at
// once even if removing the content then fails.
func (d *dirBackend) remove(_ context.Context, id string) error {
	metaErr := os.Remove(d.metaPath(id))
	if metaErr != nil && !errors.Is(metaErr, fs.ErrNotExist) {
		return fmt.Errorf("files: delete metadata: %w", metaErr)
	}
	contentErr := os.Remove(d.contentPath(id))
	if contentErr != nil && !errors.Is(contentErr, fs.ErrNotExist) {
		return fmt.Errorf("files: delete content: %w", contentErr)
	}
	if metaErr != nil && contentErr != nil {
		return ErrNotFound
	}
	return nil
}

// usage returns the bytes the directory holds: stored files, their
// metadata and uploads still arriving (temporary files), whichever instance
// writes them. Counting the uploads in progress is what keeps several
// concurrent ones from passing the quota together by much: each sees the
// others' bytes as far as they have arrived.
func (d *dirBackend) usage(_ context.Context) (int64, error) {
	entries, err := os.ReadDir(d.dir)
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

// sweep never removes a file being written, since an upload writes to its
// temporary file more often than the stale age (the upload's time limit)
// and renames it into place right after its last write. A file another
// sweep removed first is skipped.
func (d *dirBackend) sweep(ctx context.Context, staleBefore time.Time, expired func(time.Time) bool) (Swept, error) {
	var swept Swept
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return swept, fmt.Errorf("files: sweep: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return swept, err
		}
		name := e.Name()
		id, isMeta := strings.CutSuffix(name, ".json")
		switch {
		case isMeta && validID(id):
			gone, err := d.sweepExpired(ctx, id, expired)
			if gone {
				swept.Expired++
			}
			errs = append(errs, err)
		case strings.HasPrefix(name, strings.TrimSuffix(tempPattern, "*")) || validID(name) && !d.hasMeta(name):
			fi, err := e.Info()
			if err != nil || fi.ModTime().After(staleBefore) {
				continue // Removed meanwhile, or still young enough to be in progress.
			}
			if err := os.Remove(filepath.Join(d.dir, name)); err == nil {
				swept.Partial++
			} else if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("files: sweep %s: %w", name, err))
			}
		}
	}
	return swept, errors.Join(errs...)
}

// sweepExpired deletes the file id if it is past the retention.
func (d *dirBackend) sweepExpired(ctx context.Context, id string, expired func(time.Time) bool) (bool, error) {
	m, err := d.readMeta(id)
	if errors.Is(err, ErrNotFound) {
		return false, nil // Another sweep or a Delete was first.
	}
	if err != nil {
		return false, fmt.Errorf("files: sweep %s: %w", id, err)
	}
	if !expired(m.Created) {
		return false, nil
	}
	if err := d.remove(ctx, id); errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("files: sweep: %w", err)
	}
	return true, nil
}

func (d *dirBackend) hasMeta(id string) bool {
	_, err := os.Stat(d.metaPath(id))
	return !errors.Is(err, fs.ErrNotExist)
}

// check writes, flushes and removes a small temporary file.
func (d *dirBackend) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.checkWritable()
}

func (d *dirBackend) checkWritable() error {
	name, err := d.writeTemp(func(f *os.File) error {
		_, err := f.WriteString("ok")
		return err
	})
	if err != nil {
		return fmt.Errorf("files: check %s: %w", d.dir, err)
	}
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("files: check %s: %w", d.dir, err)
	}
	return nil
}
