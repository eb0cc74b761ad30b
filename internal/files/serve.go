package files

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"example.com/echotemplate/internal/httprange"
)

// File describes one download for Serve.
type File struct {
	// Name is the name the browser saves the file under. It is sanitised
	// again here, so a name read back from storage need not be trusted.
	Name string
	// ContentType is sent as Content-Type. Optional. Default: guessed by
	// http.ServeContent from Name's extension, then from the content.
	ContentType string
	// ModTime is sent as Last-Modified and checked against
	// If-Modified-Since. Optional. Default: neither happens.
	ModTime time.Time
	// ETag is an opaque strong validator such as a hex SHA-256, sent quoted
	// and checked against If-None-Match and If-Range; it must not contain a
	// double quote. Optional.
	ETag string
	// Content is the file's bytes. An *os.File keeps downloads zero-copy:
	// http.ServeContent hands it to the connection's ReadFrom, which uses
	// sendfile(2). Wrapping it in another reader loses that.
	Content io.ReadSeeker
}

// Serve sends f as an attachment with http.ServeContent, which handles HEAD,
// Range (206, multipart/byteranges, 416), If-Range, If-None-Match and
// If-Modified-Since (304), after the service's Range policy (httprange):
// it returns ErrRangeNotSatisfiable, having written nothing, for a Range
// no byte of the file satisfies, which the caller answers with 416 and the
// Content-Range Serve has set.
//
// For zero-copy, w must implement io.ReaderFrom as net/http's own
// ResponseWriter does; a wrapping writer that hides ReadFrom (echo.Response
// does) turns the copy into an ordinary read/write loop.
func Serve(w http.ResponseWriter, r *http.Request, f File) error {
	size, err := f.Content.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Content.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("size of %s: %w", f.Name, err)
	}
	r, ok := httprange.Check(r, size)
	if !ok {
		w.Header().Set("Content-Range", httprange.ContentRange(size))
		return ErrRangeNotSatisfiable
	}
	h := w.Header()
	h.Set("Content-Disposition", ContentDisposition(f.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	if f.ContentType != "" {
		h.Set("Content-Type", f.ContentType)
	}
	if f.ETag != "" {
		h.Set("ETag", `"`+f.ETag+`"`)
	}
	http.ServeContent(w, r, f.Name, f.ModTime, f.Content)
	return nil
}

// ErrRangeNotSatisfiable is Serve's answer to a Range no byte satisfies.
var ErrRangeNotSatisfiable = errors.New("range not satisfiable")
