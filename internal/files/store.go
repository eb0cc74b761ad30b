package files

import (
	"context"
	"errors"
	"fmt"
	"mime"
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
	// MaxBytes caps the bytes stored: in a directory, stored and partial
	// files together; in a bucket, its objects (parts of uploads still in
	// progress are not counted). A Put that would pass it fails with
	// ErrStorageFull. Usage is measured by listing the directory or the
	// bucket when each Put starts, so with uploads running at once (in this
	// or other instances sharing it) the cap can be passed by at most what
	// those uploads write meanwhile: one upload's size limit per upload in
	// flight. Optional. Default: 0, no cap.
	MaxBytes int64
	// Retention is how long a stored file lasts: past it, Open answers
	// ErrNotFound and Sweep deletes it. Optional. Default: 0, forever.
	Retention time.Duration
	// StaleAfter is the age (since its last write, or since a multipart
	// upload to a bucket began) past which a partial file is a leftover of
	// a killed process, which Sweep removes. It must
	// exceed the longest an upload may take. Optional. Default: 1h.
	StaleAfter time.Duration
	// Now is the clock, for tests. Optional. Default: time.Now.
	Now func() time.Time
}

// Store keeps uploaded files in a backend: a local directory (NewStore) or
// an S3 bucket (NewS3Store). It is safe for concurrent use, also by several
// processes sharing the directory or the bucket.
type Store struct {
	b       backend
	allowed []string
	opts    Options
}

// NewStore returns a Store keeping its files in dir, which it creates if
// needed, and checks that the directory is writable.
func NewStore(dir string, opts Options) (*Store, error) {
	return newStoreWith(opts, func() (backend, error) { return newDirBackend(dir) })
}

// newStoreWith validates opts, fills in their defaults and opens the
// backend.
func newStoreWith(opts Options, open func() (backend, error)) (*Store, error) {
	allowed, err := ParseAllowedTypes(opts.AllowedTypes)
	if err != nil {
		return nil, err
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b, err := open()
	if err != nil {
		return nil, err
	}
	return &Store{b: b, allowed: allowed, opts: opts}, nil
}

// Check reports whether the store can take a new file right now: a small
// file written and removed in a directory, the bucket reachable on S3. It
// suits a readiness probe.
func (s *Store) Check(ctx context.Context) error {
	return s.b.check(ctx)
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
