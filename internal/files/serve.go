package files

import (
	"io"
	"net/http"
	"strings"
	"time"
)

// MaxRanges is the most byte ranges Serve honours in one request. A Range
// header listing hundreds of one-byte ranges costs the server a multipart
// header per range, a cheap amplification; RFC 9110 section 14.2 lets a
// server ignore such a header, so beyond this cap the whole file is sent with
// 200, which is never more than the client could ask for in one plain GET.
const MaxRanges = 16

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
// If-Modified-Since (304). A Range header with more than MaxRanges ranges is
// ignored and the whole file is sent.
//
// For zero-copy, w must implement io.ReaderFrom as net/http's own
// ResponseWriter does; a wrapping writer that hides ReadFrom (echo.Response
// does) turns the copy into an ordinary read/write loop.
func Serve(w http.ResponseWriter, r *http.Request, f File) {
	h := w.Header()
	h.Set("Content-Disposition", ContentDisposition(f.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	if f.ContentType != "" {
		h.Set("Content-Type", f.ContentType)
	}
	if f.ETag != "" {
		h.Set("ETag", `"`+f.ETag+`"`)
	}
	if countRanges(r.Header.Get("Range")) > MaxRanges {
		r = r.Clone(r.Context())
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, f.Name, f.ModTime, f.Content)
}

// countRanges counts the ranges in a Range header value the way
// http.ServeContent splits them: comma-separated, empty elements skipped.
func countRanges(header string) int {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok {
		return 0
	}
	n := 0
	for part := range strings.SplitSeq(spec, ",") {
		if strings.TrimSpace(part) != "" {
			n++
		}
	}
	return n
}
