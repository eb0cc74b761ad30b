// Package httprange is the one Range policy of the service's file routes
// (the page, /static/, /docs/ and downloads), applied before
// http.ServeContent sees a request. Its promise: a Range header never makes
// a response cost more than the whole file, and an unsatisfiable one gets
// 416 as RFC 9110 says.
//
// http.ServeContent alone honours any number of ranges (3,000 one-byte
// ranges on a 16 KiB file send 441 KB of multipart headers), and answers a
// suffix of zero bytes (bytes=-0) or any suffix of an empty file with 206
// and an impossible Content-Range (golang/go#81262).
package httprange

import (
	"net/http"
	"strconv"
	"strings"
)

// MaxRanges is the most ranges a request may ask for. Beyond it the header
// is ignored and the whole file is sent with 200, as RFC 9110 section 14.2
// lets a server do: never more than a plain GET would cost.
const MaxRanges = 16

// Check returns the request to hand to http.ServeContent for content of
// size bytes, with a Range header it may honour, or ok false when the
// header is unsatisfiable: the caller then answers 416 with the
// Content-Range that ContentRange returns.
func Check(r *http.Request, size int64) (_ *http.Request, ok bool) {
	header := r.Header.Get("Range")
	spec, isBytes := strings.CutPrefix(header, "bytes=")
	if !isBytes {
		return r, true // none, or another unit: ServeContent ignores or refuses it
	}
	var keep []string
	n := 0
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n++; n > MaxRanges {
			r = r.Clone(r.Context())
			r.Header.Del("Range")
			return r, true
		}
		if suffix, isSuffix := strings.CutPrefix(part, "-"); isSuffix {
			if l, err := strconv.ParseInt(suffix, 10, 64); err == nil && (l == 0 || size == 0) {
				continue // a suffix of nothing, or of an empty file
			}
		}
		keep = append(keep, part)
	}
	switch {
	case n > 0 && len(keep) == 0:
		return r, false
	case len(keep) < n:
		// The satisfiable ranges only: ServeContent would answer the
		// others with empty parts.
		r = r.Clone(r.Context())
		r.Header.Set("Range", "bytes="+strings.Join(keep, ","))
	}
	return r, true
}

// ContentRange is the Content-Range of a 416 answer for content of size
// bytes.
func ContentRange(size int64) string {
	return "bytes */" + strconv.FormatInt(size, 10)
}
