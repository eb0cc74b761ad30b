package files

import (
	"context"
	"io"
	"time"
)

// backend is where a Store keeps its files: a local directory (dirBackend)
// or an S3 bucket (s3Backend). Everything else, the type allowlist, the
// quota, the retention, hashing and Serve, is the Store's and the same for
// both. Ids reaching a backend are valid (validID).
type backend interface {
	// put stores what it reads from r as file id. m carries the filename,
	// content type and creation time; sum, called once r is at EOF, gives
	// the size and SHA-256. The file becomes visible to open all at once,
	// with its metadata, or not at all: on error nothing of id is left.
	put(ctx context.Context, id string, r io.Reader, m metadata, sum func() (int64, string)) error
	// open returns the content of id and its metadata, or ErrNotFound.
	open(ctx context.Context, id string) (io.ReadSeekCloser, metadata, error)
	// remove deletes id, or returns ErrNotFound. It must work with a
	// cancelled ctx: it is how a failed request cleans up.
	remove(ctx context.Context, id string) error
	// usage returns the bytes stored, as the quota counts them.
	usage(ctx context.Context) (int64, error)
	// sweep deletes the files expired reports true for and the leftovers of
	// uploads a killed process left, untouched since staleBefore or earlier.
	sweep(ctx context.Context, staleBefore time.Time, expired func(created time.Time) bool) (Swept, error)
	// check reports whether a new file could be stored now.
	check(ctx context.Context) error
}
