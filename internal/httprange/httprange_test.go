package httprange

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serve is a file route as the service writes one: Check, then 416 or
// http.ServeContent.
func serve(content []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := Check(r, int64(len(content)))
		if !ok {
			w.Header().Set("Content-Range", ContentRange(int64(len(content))))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		http.ServeContent(w, r, "f.txt", time.Time{}, bytes.NewReader(content))
	}
}

func TestCheck(t *testing.T) {
	many := oneByteRanges(3000)
	for _, tt := range []struct {
		name, rng    string
		size         int
		status       int
		contentRange string
		maxBody      int
	}{
		{"none", "", 107, http.StatusOK, "", 107},
		{"one range", "bytes=0-9", 107, http.StatusPartialContent, "bytes 0-9/107", 10},
		{"suffix", "bytes=-7", 107, http.StatusPartialContent, "bytes 100-106/107", 7},
		{"zero suffix", "bytes=-0", 107, http.StatusRequestedRangeNotSatisfiable, "bytes */107", 0},
		{"suffix of an empty file", "bytes=-5", 0, http.StatusRequestedRangeNotSatisfiable, "bytes */0", 0},
		{"zero suffix beside a good range", "bytes=-0,0-4", 107, http.StatusPartialContent, "bytes 0-4/107", 5},
		{"16 ranges", "bytes=" + strings.Repeat("0-0,", 15) + "0-0", 16 << 10, http.StatusPartialContent, "", 16 * 200},
		{"3,000 ranges: the whole file", many, 16 << 10, http.StatusOK, "", 16 << 10},
		// No range at all is not an unsatisfiable one.
		{"bytes= and nothing", "bytes= , ", 107, http.StatusOK, "", 107},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/f.txt", nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			rec := httptest.NewRecorder()
			serve(bytes.Repeat([]byte("x"), tt.size))(rec, req)
			if rec.Code != tt.status || rec.Header().Get("Content-Range") != tt.contentRange || rec.Body.Len() > tt.maxBody {
				t.Errorf("Range %.40q: %d, Content-Range %q, %d bytes; want %d, %q, at most %d bytes",
					tt.rng, rec.Code, rec.Header().Get("Content-Range"), rec.Body.Len(), tt.status, tt.contentRange, tt.maxBody)
			}
			if tt.rng != "" && req.Header.Get("Range") != tt.rng {
				t.Error("Check changed the caller's request")
			}
		})
	}
}

func ExampleContentRange() {
	fmt.Println(ContentRange(107))
	// Output: bytes */107
}

// oneByteRanges is a Range header of n distinct one-byte ranges, every
// other byte from the start.
func oneByteRanges(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strconv.Itoa(2*i) + "-" + strconv.Itoa(2*i)
	}
	return "bytes=" + strings.Join(parts, ",")
}
