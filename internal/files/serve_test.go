package files

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/internal/httprange"
)

// content is the file every Serve test downloads; its bytes are their own
// offsets, which makes a wrong range easy to spot.
const content = "0123456789abcdefghij"

const etag = "e3b0c44298fc1c149afbf4c8996fb924"

var modTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// TestServe follows the cases of net/http's TestServeContent and
// ServeFileRangeTests, through Serve.
func TestServe(t *testing.T) {
	lastMod := modTime.Format(http.TimeFormat)
	tests := []struct {
		name      string
		header    map[string]string
		method    string
		wantCode  int
		wantRange string // Content-Range, or "" when none
		wantBody  string // for single-part answers
		wantParts []string
	}{
		{name: "Full", wantCode: 200, wantBody: content},
		{name: "Head", method: "HEAD", wantCode: 200},
		{name: "RangeFirstBytes", header: map[string]string{"Range": "bytes=0-4"}, wantCode: 206, wantRange: "bytes 0-4/20", wantBody: "01234"},
		{name: "RangeOpenEnd", header: map[string]string{"Range": "bytes=15-"}, wantCode: 206, wantRange: "bytes 15-19/20", wantBody: "fghij"},
		{name: "RangeSuffix", header: map[string]string{"Range": "bytes=-3"}, wantCode: 206, wantRange: "bytes 17-19/20", wantBody: "hij"},
		{name: "RangePastEndIsClamped", header: map[string]string{"Range": "bytes=18-1000"}, wantCode: 206, wantRange: "bytes 18-19/20", wantBody: "ij"},
		{name: "MultiRange", header: map[string]string{"Range": "bytes=0-1,5-8"}, wantCode: 206, wantParts: []string{"01", "5678"}},
		{name: "MultiRangeSuffix", header: map[string]string{"Range": "bytes=0-0,-2"}, wantCode: 206, wantParts: []string{"0", "ij"}},
		{name: "RangesCoveringMoreThanFileSendWhole", header: map[string]string{"Range": "bytes=0-,1-,2-"}, wantCode: 200, wantBody: content},
		{name: "Unsatisfiable", header: map[string]string{"Range": "bytes=20-"}, wantCode: 416, wantRange: "bytes */20"},
		{name: "UnsatisfiableAmongOthersIsSkipped", header: map[string]string{"Range": "bytes=30-40,0-1"}, wantCode: 206, wantRange: "bytes 0-1/20", wantBody: "01"},
		{name: "RangesAtCap", header: map[string]string{"Range": ranges(httprange.MaxRanges)}, wantCode: 206, wantParts: strings.Split(content[:httprange.MaxRanges], "")},
		{name: "RangesOverCapSendWhole", header: map[string]string{"Range": ranges(httprange.MaxRanges + 1)}, wantCode: 200, wantBody: content},
		{name: "IfRangeETagMatch", header: map[string]string{"Range": "bytes=0-4", "If-Range": `"` + etag + `"`}, wantCode: 206, wantRange: "bytes 0-4/20", wantBody: "01234"},
		{name: "IfRangeETagMismatch", header: map[string]string{"Range": "bytes=0-4", "If-Range": `"other"`}, wantCode: 200, wantBody: content},
		{name: "IfRangeWeakETagNeverMatches", header: map[string]string{"Range": "bytes=0-4", "If-Range": `W/"` + etag + `"`}, wantCode: 200, wantBody: content},
		{name: "IfRangeDateMatch", header: map[string]string{"Range": "bytes=0-4", "If-Range": lastMod}, wantCode: 206, wantRange: "bytes 0-4/20", wantBody: "01234"},
		{name: "IfRangeDateMismatch", header: map[string]string{"Range": "bytes=0-4", "If-Range": modTime.Add(-time.Hour).Format(http.TimeFormat)}, wantCode: 200, wantBody: content},
		{name: "IfNoneMatchHit", header: map[string]string{"If-None-Match": `"` + etag + `"`}, wantCode: 304},
		{name: "IfNoneMatchWeakHit", header: map[string]string{"If-None-Match": `W/"` + etag + `"`}, wantCode: 304},
		{name: "IfNoneMatchStar", header: map[string]string{"If-None-Match": "*"}, wantCode: 304},
		{name: "IfNoneMatchMiss", header: map[string]string{"If-None-Match": `"other"`}, wantCode: 200, wantBody: content},
		{name: "IfModifiedSinceNotModified", header: map[string]string{"If-Modified-Since": lastMod}, wantCode: 304},
		{name: "IfModifiedSinceModified", header: map[string]string{"If-Modified-Since": modTime.Add(-time.Hour).Format(http.TimeFormat)}, wantCode: 200, wantBody: content},
		{name: "IfMatchMiss", header: map[string]string{"If-Match": `"other"`}, wantCode: 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, "/download/x", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			_ = Serve(rec, req, File{
				Name:        "report.txt",
				ContentType: "text/plain; charset=utf-8",
				ModTime:     modTime,
				ETag:        etag,
				Content:     strings.NewReader(content),
			})

			res := rec.Result()
			if res.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantCode)
			}
			if got := res.Header.Get("Content-Range"); got != tt.wantRange && tt.wantParts == nil {
				t.Errorf("Content-Range = %q, want %q", got, tt.wantRange)
			}
			// Error answers carry no validators or disposition.
			if tt.wantCode == 304 || tt.wantCode == 412 || tt.wantCode == 416 {
				return
			}
			if got, want := res.Header.Get("ETag"), `"`+etag+`"`; got != want {
				t.Errorf("ETag = %q, want %q", got, want)
			}
			if got, want := res.Header.Get("Content-Disposition"), ContentDisposition("report.txt"); got != want {
				t.Errorf("Content-Disposition = %q, want %q", got, want)
			}
			if tt.wantParts != nil {
				if got := readParts(t, res); strings.Join(got, "|") != strings.Join(tt.wantParts, "|") {
					t.Errorf("parts = %q, want %q", got, tt.wantParts)
				}
				return
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			if got, want := res.Header.Get("Last-Modified"), lastMod; got != want {
				t.Errorf("Last-Modified = %q, want %q", got, want)
			}
		})
	}
}

// ranges returns a Range header asking for the first n bytes one at a time.
func ranges(n int) string {
	specs := make([]string, n)
	for i := range specs {
		specs[i] = fmt.Sprintf("%d-%d", i, i)
	}
	return "bytes=" + strings.Join(specs, ",")
}

// readParts returns the bodies of a multipart/byteranges response.
func readParts(t *testing.T, res *http.Response) []string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/byteranges" {
		t.Fatalf("Content-Type = %q, want multipart/byteranges", res.Header.Get("Content-Type"))
	}
	var parts []string
	mr := multipart.NewReader(res.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return parts
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		parts = append(parts, string(body))
	}
}

// readFromRecorder is a ResponseWriter with ReadFrom, like net/http's own,
// that records what it was handed.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	src io.Reader
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.src = src
	return io.Copy(r.ResponseRecorder, src)
}

// TestServeReachesSendfile checks the zero-copy path: net/http's
// ResponseWriter.ReadFrom passes its source to (*net.TCPConn).ReadFrom,
// which uses sendfile(2) when the source is an *os.File, bare or inside an
// *io.LimitedReader. So Serve must hand the *os.File through unwrapped.
func TestServeReachesSendfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, rangeHeader := range []string{"", "bytes=2-5"} {
		t.Run("Range="+rangeHeader, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			req := httptest.NewRequest(http.MethodGet, "/download/x", nil)
			if rangeHeader != "" {
				req.Header.Set("Range", rangeHeader)
			}
			rec := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}

			_ = Serve(rec, req, File{Name: "f.bin", Content: f})

			src := rec.src
			if lr, ok := src.(*io.LimitedReader); ok {
				src = lr.R
			}
			if _, ok := src.(*os.File); !ok {
				t.Errorf("ReadFrom got %T, want *os.File or *io.LimitedReader of one", rec.src)
			}
		})
	}
}

// TestPassiveType: a type a browser only displays is served as itself;
// anything that could run as a page or script becomes a download.
func TestPassiveType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"image/png", "image/png"},
		{"text/plain; charset=utf-8", "text/plain; charset=utf-8"},
		{"video/mp4", "video/mp4"},
		{"audio/ogg", "audio/ogg"},
		{"text/html; charset=utf-8", "application/octet-stream"},
		{"image/svg+xml", "application/octet-stream"},
		{"not a type", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := passiveType(tt.in); got != tt.want {
			t.Errorf("passiveType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
