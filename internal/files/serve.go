package files

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"example.com/echotemplate/internal/httprange"
)

// File describes one download for Serve.
type File struct {
	// Name is the name the browser saves the file under. It is sanitised
	// again here, so a name read back from storage need not be trusted.
	Name string
	// ContentType is sent as Content-Type when it is a passive type (see
	// passiveType); anything else, or none, goes out as
	// application/octet-stream.
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
	h.Set("Content-Type", passiveType(f.ContentType))
	// Should a browser render it anyway, it runs nothing and reaches
	// nothing of this origin.
	h.Set("Content-Security-Policy", "sandbox")
	if f.ETag != "" {
		h.Set("ETag", `"`+f.ETag+`"`)
	}
	http.ServeContent(w, r, f.Name, f.ModTime, f.Content)
	return nil
}

// ErrRangeNotSatisfiable is Serve's answer to a Range no byte satisfies.
var ErrRangeNotSatisfiable = errors.New("range not satisfiable")

// passiveTypes are the media types a browser shows without running
// anything. Uploads are someone else's bytes: HTML, SVG, XML, scripts or a
// type this list does not know could run in the service's origin, so they
// go out as application/octet-stream, always as an attachment, with nosniff
// and a sandbox CSP.
var passiveTypes = map[string]bool{
	"text/plain": true, "application/json": true, "application/pdf": true,
	"application/zip": true, "application/gzip": true, "application/octet-stream": true,
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true,
}

// passiveType returns ct when its media type is passive (see passiveTypes),
// audio or video, and application/octet-stream otherwise.
func passiveType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (passiveTypes[mt] || strings.HasPrefix(mt, "audio/") || strings.HasPrefix(mt, "video/")) {
		return ct
	}
	return "application/octet-stream"
}
