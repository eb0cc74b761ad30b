package handlers

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"example.com/echotemplate/internal/static"
	"example.com/echotemplate/web"
)

// TestRangePolicyOnEveryFileRoute: the page, /static/, /docs/ and downloads
// (feature:files) share one Range policy. 3,000 one-byte ranges never cost
// more than the whole file, and a suffix of nothing, or any suffix of an
// empty file, is 416 problem+json with Content-Range: bytes */N.
func TestRangePolicyOnEveryFileRoute(t *testing.T) {
	page, err := static.New(web.Static(), static.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.HeaderLimit = 64 << 10 // 3,000 distinct ranges pass MAX_HEADER_BYTES' default 16 KiB
	s := newFileServer(t, cfg, page)
	paths := []string{"/", "/static/app.js", "/docs/swagger-ui.css"}
	// feature:files begin
	paths = append(paths, "/download/"+s.upload(t, "notes.txt", strings.Repeat("n", 8000)).ID)
	empty := "/download/" + s.upload(t, "empty.txt", "").ID
	// feature:files end
	many := oneByteRanges(3000)
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			whole := s.get(t, path)
			if whole.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", path, whole.Code)
			}
			size := whole.Body.Len()

			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Range", many)
			rec := s.do(t, req)
			if rec.Code != http.StatusOK || rec.Body.Len() != size {
				t.Errorf("3,000 one-byte ranges: %d with %d bytes, want 200 with the %d-byte file", rec.Code, rec.Body.Len(), size)
			}
			t.Logf("%s: 3,000 one-byte ranges return %d bytes (the file is %d)", path, rec.Body.Len(), size)

			req = httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Range", "bytes=-0")
			rec = s.do(t, req)
			wantProblem(t, rec, http.StatusRequestedRangeNotSatisfiable)
			if got, want := rec.Header().Get("Content-Range"), "bytes */"+strconv.Itoa(size); got != want {
				t.Errorf("bytes=-0: Content-Range %q, want %q", got, want)
			}
		})
	}
	// feature:files begin
	req := httptest.NewRequest(http.MethodGet, empty, nil)
	req.Header.Set("Range", "bytes=-5")
	rec := s.do(t, req)
	wantProblem(t, rec, http.StatusRequestedRangeNotSatisfiable)
	if got := rec.Header().Get("Content-Range"); got != "bytes */0" {
		t.Errorf("suffix of an empty file: Content-Range %q, want bytes */0", got)
	}
	// feature:files end
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
