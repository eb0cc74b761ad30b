package files

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// FileField is the form field whose parts are files, as in the tutorial.
// Every other part is a plain field.
const FileField = "file"

// Errors Receive returns when the client's request is at fault, with the
// HTTP status each calls for; ErrTypeNotAllowed (415) comes from the Store.
// Any other error is the server's (500), except context.Canceled, which
// means the client went away.
var (
	ErrTooLarge       = errors.New("files: request body too large")         // 413
	ErrTooManyParts   = errors.New("files: too many parts")                 // 413
	ErrHeaderTooLarge = errors.New("files: part header too large")          // 413
	ErrFieldTooLarge  = errors.New("files: form field too large")           // 413
	ErrNotMultipart   = errors.New("files: not a multipart/form-data body") // 415
	ErrBadMultipart   = errors.New("files: malformed multipart body")       // 400
	ErrNoFile         = errors.New(`files: no "file" part in the request`)  // 422
)

// Limits bounds what one request may send. A zero or negative field takes its
// value from DefaultLimits.
type Limits struct {
	// MaxBytes caps the whole request body, multipart framing included,
	// whether it has a Content-Length or arrives chunked. Optional. Default
	// 100 MiB.
	MaxBytes int64
	// MaxParts caps the number of parts, files and plain fields together.
	// Optional. Default 16.
	MaxParts int
	// MaxHeaderBytes caps each part's MIME header. Optional. Default 8 KiB.
	MaxHeaderBytes int
	// MaxFieldBytes caps the value of each plain (non-file) field. Optional.
	// Default 64 KiB.
	MaxFieldBytes int64
}

// DefaultLimits are the limits a zero Limits stands for.
var DefaultLimits = Limits{
	MaxBytes:       100 << 20,
	MaxParts:       16,
	MaxHeaderBytes: 8 << 10,
	MaxFieldBytes:  64 << 10,
}

// readBufferSize is the size of the reads Receive makes from the body.
const readBufferSize = 64 << 10

// Result is what one request uploaded. Plain form fields are read, capped
// by MaxFieldBytes and ignored.
type Result struct {
	// Files are the stored "file" parts in the order they arrived, with
	// sanitised file names.
	Files []Info
}

// Receiver takes multipart uploads into a Store.
type Receiver struct {
	store  *Store
	limits Limits
}

// readCloser joins a Reader and a Closer into a request body.
type readCloser struct {
	io.Reader
	io.Closer
}

// NewReceiver returns a Receiver that stores files in store under limits.
func NewReceiver(store *Store, limits Limits) *Receiver {
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultLimits.MaxBytes
	}
	if limits.MaxParts <= 0 {
		limits.MaxParts = DefaultLimits.MaxParts
	}
	if limits.MaxHeaderBytes <= 0 {
		limits.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if limits.MaxFieldBytes <= 0 {
		limits.MaxFieldBytes = DefaultLimits.MaxFieldBytes
	}
	return &Receiver{store: store, limits: limits}
}

// Limits returns the limits the Receiver enforces, defaults filled in, for
// messages that tell clients what they exceeded.
func (rc *Receiver) Limits() Limits {
	return rc.limits
}

// Receive reads the multipart/form-data body of r part by part and stores
// every "file" part; at least one is required. It replaces r.Body with a
// limited reader; w goes to http.MaxBytesReader, which, when w is net/http's
// own ResponseWriter, also makes the server close the connection after an
// over-limit body instead of reading the rest. If anything fails, the files
// this request already stored are deleted before Receive returns.
func (rc *Receiver) Receive(w http.ResponseWriter, r *http.Request) (Result, error) {
	// Request.MultipartReader also takes multipart/mixed; an upload form
	// sends form-data, and nothing else is one.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return Result{}, ErrNotMultipart
	}
	// A declared length over the limit is refused before reading a byte.
	if r.ContentLength > rc.limits.MaxBytes {
		return Result{}, ErrTooLarge
	}
	limited := http.MaxBytesReader(w, r.Body, rc.limits.MaxBytes)
	// mime/multipart reads 4 KiB at a time; a larger buffer below it turns
	// that into fewer, larger reads from the connection.
	body := &headerLimiter{r: bufio.NewReaderSize(limited, readBufferSize)}
	r.Body = readCloser{Reader: body, Closer: limited}
	mr, err := r.MultipartReader()
	if errors.Is(err, http.ErrNotMultipart) {
		return Result{}, ErrNotMultipart
	}
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrBadMultipart, err)
	}

	var res Result
	if err := rc.readParts(r.Context(), mr, body, &res); err != nil {
		// The request context may be cancelled already; the cleanup must
		// still run.
		ctx := context.WithoutCancel(r.Context())
		for _, f := range res.Files {
			if delErr := rc.store.Delete(ctx, f.ID); delErr != nil {
				err = errors.Join(err, fmt.Errorf("files: clean up %s: %w", f.ID, delErr))
			}
		}
		return Result{}, err
	}
	if len(res.Files) == 0 {
		return Result{}, ErrNoFile
	}
	return res, nil
}
