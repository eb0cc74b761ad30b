package files

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"os"
	"slices"
	"strings"
	"time"
)

var (
	// ErrNotFound means no stored file has the id, or the id is malformed.
	ErrNotFound = errors.New("files: not found")
	// ErrTypeNotAllowed means the content's sniffed type is not on the
	// store's allowlist. Nothing was stored.
	ErrTypeNotAllowed = errors.New("files: content type not allowed")
)

// Info describes a stored file.
type Info struct {
	// ID names the file in the store: 32 lowercase hex digits.
	ID string
	// Filename is the name the client gave, as the caller passed it to Put.
	// It is metadata only; no path is ever built from it.
	Filename string
	// Size is the length of the content in bytes.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
	// ContentType is sniffed from the first 512 bytes of the content with
	// http.DetectContentType; the client's own claim is never used.
	ContentType string
	// ModTime is when the file was stored.
	ModTime time.Time
}

// Options configures a Store.
type Options struct {
	// AllowedTypes lists the media types Put accepts, such as "image/png",
	// or a whole family, such as "image/*". Parameters like charset are
	// ignored when matching. Optional. Default: every type is accepted.
	AllowedTypes []string
	// MaxBytes caps the bytes in the directory, stored and partial files
	// together; a Put that would pass it fails with ErrStorageFull. Usage
	// is measured by listing the directory when each Put starts, so with
	// uploads running at once (in this or other instances sharing the
	// directory) the cap can be passed by at most what those uploads write
	// meanwhile: one upload's size limit per upload in flight. Optional.
	// Default: 0, no cap.
	MaxBytes int64
	// Retention is how long a stored file lasts: past it, Open answers
	// ErrNotFound and Sweep deletes it. Optional. Default: 0, forever.
	Retention time.Duration
	// StaleAfter is the age (since its last write) past which a partial
	// file is a leftover of a killed process, which Sweep removes. It must
	// exceed the longest an upload may take. Optional. Default: 1h.
	StaleAfter time.Duration
	// Now is the clock, for tests. Optional. Default: time.Now.
	Now func() time.Time
}

// Store is a directory of uploaded files. It is safe for concurrent use, also
// by several processes sharing the directory.
//
// Each file is two entries in the directory: <id> holds the bytes and
// <id>.json the metadata. Both are written to temporary files in the same
// directory, flushed to disk and renamed into place, content first and
// metadata last; Open only sees a file once its metadata exists. Because
// rename(2) is atomic within one file system and ids are random, several
// instances can share the directory through a shared volume without any
// coordination.
type Store struct {
	dir     string
	allowed []string
	opts    Options
}

// NewStore returns a Store keeping its files in dir, which it creates if
// needed, and checks that the directory is writable.
func NewStore(dir string, opts Options) (*Store, error) {
	allowed, err := ParseAllowedTypes(opts.AllowedTypes)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("files: create directory: %w", err)
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{dir: dir, allowed: allowed, opts: opts}
	if err := s.checkWritable(); err != nil {
		return nil, err
	}
	return s, nil
}

// Check reports whether the store can take a new file right now, by writing,
// flushing and removing a small temporary file. It suits a readiness probe.
func (s *Store) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.checkWritable()
}

func (s *Store) checkWritable() error {
	name, err := s.writeTemp(func(f *os.File) error {
		_, err := f.WriteString("ok")
		return err
	})
	if err != nil {
		return fmt.Errorf("files: check %s: %w", s.dir, err)
	}
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("files: check %s: %w", s.dir, err)
	}
	return nil
}

// ParseAllowedTypes validates and normalises an allowlist of media types
// such as image/png or image/*. A wildcard family (*/*, */png) is refused:
// an empty list is how to allow any type.
func ParseAllowedTypes(types []string) ([]string, error) {
	var allowed []string
	for _, t := range types {
		mediaType, _, err := mime.ParseMediaType(t)
		family, _, ok := strings.Cut(mediaType, "/")
		if err != nil || !ok || family == "*" {
			return nil, fmt.Errorf("files: allowed type %q is not a media type such as image/png or image/*", t)
		}
		allowed = append(allowed, mediaType)
	}
	return allowed, nil
}

// ParseAllowedList reads a comma-separated allowlist, such as
// "image/png,image/*", for ParseAllowedTypes; empty items are skipped.
func ParseAllowedList(s string) ([]string, error) {
	types := slices.DeleteFunc(strings.Split(s, ","), func(t string) bool { return strings.TrimSpace(t) == "" })
	return ParseAllowedTypes(types)
}

// allows reports whether contentType matches the allowlist.
func (s *Store) allows(contentType string) bool {
	if len(s.allowed) == 0 {
		return true
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	family, _, _ := strings.Cut(mediaType, "/")
	for _, a := range s.allowed {
		if a == mediaType || a == family+"/*" {
			return true
		}
	}
	return false
}
