package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
)

// readParts reads every part of mr into res, storing files as they stream
// in. On error res.Files still lists what was stored, for the caller to
// remove.
func (rc *Receiver) readParts(ctx context.Context, mr *multipart.Reader, body *headerLimiter, res *Result) error {
	for n := 0; ; n++ {
		body.arm(rc.limits.MaxHeaderBytes + delimiterAllowance)
		part, err := mr.NextPart()
		body.disarm()
		// NextPart returns a bare io.EOF after the closing delimiter only; a
		// body that ends before it (no delimiter at all, or a cut-off part)
		// comes back wrapped, and is malformed.
		if err == io.EOF { //nolint:errorlint // The bare value is the signal; see above.
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
		if n == rc.limits.MaxParts {
			return ErrTooManyParts
		}
		// The limiter only bounds memory; this is the exact check.
		if headerBytes(part.Header) > rc.limits.MaxHeaderBytes {
			return ErrHeaderTooLarge
		}
		if part.FormName() == FileField {
			err = rc.storeFile(ctx, part, res)
		} else {
			err = rc.skipField(part)
		}
		if err != nil {
			return err
		}
	}
}

// storeFile streams one file part into the store.
func (rc *Receiver) storeFile(ctx context.Context, part *multipart.Part, res *Result) error {
	src := &errorRecorder{r: part}
	info, err := rc.store.Put(ctx, src, Sanitize(part.FileName()))
	switch {
	case src.err != nil:
		// Reading the body failed: the client's fault (or its departure),
		// whatever the store made of it.
		return bodyError(src.err)
	case err != nil:
		return fmt.Errorf("files: store file: %w", err)
	}
	res.Files = append(res.Files, info)
	return nil
}

// skipField reads one plain field to its end and drops it; one longer than
// MaxFieldBytes is refused.
func (rc *Receiver) skipField(part *multipart.Part) error {
	n, err := io.Copy(io.Discard, io.LimitReader(part, rc.limits.MaxFieldBytes+1))
	if err != nil {
		return bodyError(err)
	}
	if n > rc.limits.MaxFieldBytes {
		return ErrFieldTooLarge
	}
	return nil
}

// bodyError turns an error from reading the request body into the error
// Receive reports.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return ErrTooLarge
	case errors.Is(err, errHeaderBudget):
		return ErrHeaderTooLarge
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", ErrBadMultipart, err)
}

// headerBytes is the size of a part header as it was sent, near enough:
// "Key: value\r\n" per value.
func headerBytes(h textproto.MIMEHeader) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + len(": \r\n")
		}
	}
	return n
}

// errorRecorder remembers the first error other than io.EOF that reading r
// returned, so a failed Put can be blamed on the body or on the store.
type errorRecorder struct {
	r   io.Reader
	err error
}

func (e *errorRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
