package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Upload routes as the report names them.
const (
	routeUpload          = "POST /upload"
	routeUploadAborted   = "POST /upload (aborted midway)"
	routeUploadOverLimit = "POST /upload (over the limit)"
	routeRange           = "GET /download/:id (ranges)"
	routeNotModified     = "GET /download/:id (If-None-Match)"
	routeVerify          = "GET /download/:id (whole, at the end)"
)

// storedFile is an upload the service answered 201, with what it holds.
type storedFile struct {
	id      string
	content content
	sha256  string // of content
}

// fileLoad uploads files of assorted sizes, some cut off midway and some
// over the limit, downloads ranges of what it stored, and at the end
// checks that every stored file comes back byte for byte.
type fileLoad struct {
	cl        *cluster
	client    *http.Client
	rec       *recorder
	maxUpload int64 // the service's MAX_UPLOAD_BYTES

	mu        sync.Mutex
	stored    []storedFile
	aborted   int
	overLimit int
}

// uploadSize picks the size of a normal upload: mostly small, some large,
// as uploads are.
func uploadSize(rng *rand.Rand, maxUpload int64) int64 {
	switch p := rng.IntN(100); {
	case p < 40:
		return rng.Int64N(4 << 10)
	case p < 70:
		return 4<<10 + rng.Int64N(252<<10)
	case p < 90:
		return 256<<10 + rng.Int64N(1792<<10)
	default:
		// Up to the limit, less room for the multipart framing.
		return 2<<20 + rng.Int64N(maxUpload-2<<20-4<<10)
	}
}

// upload sends one upload: normal, aborted midway, or over the limit,
// at random.
func (f *fileLoad) upload(ctx, loadCtx context.Context, rng *rand.Rand) {
	in, err := f.cl.pick(loadCtx)
	if err != nil {
		return
	}
	route, size := routeUpload, uploadSize(rng, f.maxUpload)
	switch p := rng.IntN(100); {
	case p < 8:
		route, size = routeUploadAborted, 256<<10+rng.Int64N(4<<20)
	case p < 14:
		route, size = routeUploadOverLimit, f.maxUpload+1+rng.Int64N(4<<20)
	}
	c := content{seed: rng.Uint64(), size: size}

	head, tail, contentType := multipartFrame(fmt.Sprintf("soak-%d.bin", c.seed%100000))
	length := int64(len(head)) + c.size + int64(len(tail))
	body := io.MultiReader(bytes.NewReader(head), c.reader(), bytes.NewReader(tail))
	if route == routeUploadAborted {
		body = &abortingReader{r: body, left: length / 2}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.base()+"/upload", body)
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", contentType)
	// Browsers send a length; other clients stream chunked. Over-limit
	// uploads come both ways: a declared length is refused up front, a
	// chunked body once it passes the limit.
	req.ContentLength = length
	if route == routeUploadOverLimit && rng.IntN(2) == 0 {
		req.ContentLength = -1
	}

	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		switch route {
		case routeUploadAborted:
			f.mu.Lock()
			f.aborted++
			f.mu.Unlock()
			f.rec.failure(route, "aborted", err, errors.Is(err, errAborted))
		case routeUploadOverLimit:
			// The server may close the connection while the body is still
			// being sent; the client then sees that rather than the 413.
			f.mu.Lock()
			f.overLimit++
			f.mu.Unlock()
			f.rec.failure(route, "cut off", err, true)
		default:
			f.rec.failure(route, "error", err, false)
		}
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	took := time.Since(start)
	what := fmt.Sprintf("%d bytes to %s", c.size, in.name)
	switch route {
	case routeUploadOverLimit:
		f.mu.Lock()
		f.overLimit++
		f.mu.Unlock()
		f.rec.status(route, resp.StatusCode, took, what, http.StatusRequestEntityTooLarge)
	case routeUploadAborted:
		f.rec.status(route, resp.StatusCode, took, what+": answered although cut off") // no status is right
	default:
		if !f.rec.status(route, resp.StatusCode, took, what, http.StatusCreated) {
			return
		}
		var got struct {
			ID     string `json:"id"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		}
		if err := json.Unmarshal(answer, &got); err != nil || got.ID == "" {
			f.rec.check(route, fmt.Errorf("answer %q: %w", answer, err))
			return
		}
		sum := c.sha256()
		if got.Size != c.size || got.SHA256 != sum {
			f.rec.check(route, fmt.Errorf("stored %s as %d bytes %s, sent %d bytes %s", got.ID, got.Size, got.SHA256, c.size, sum))
		}
		f.mu.Lock()
		f.stored = append(f.stored, storedFile{id: got.ID, content: c, sha256: sum})
		f.mu.Unlock()
	}
}

// multipartFrame returns what goes before and after a file's bytes in a
// multipart/form-data body with one file part, and the body's content type.
func multipartFrame(filename string) (head, tail []byte, contentType string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_, _ = w.CreateFormFile("file", filename) // writing to a buffer never fails
	head = bytes.Clone(buf.Bytes())
	buf.Reset()
	_ = w.Close()
	return head, bytes.Clone(buf.Bytes()), w.FormDataContentType()
}

// abortingReader fails with errAborted after left bytes, which makes the
// HTTP client drop the connection with the upload half sent, as a client
// that crashes or loses its network does.
type abortingReader struct {
	r    io.Reader
	left int64
}

func (a *abortingReader) Read(p []byte) (int, error) {
	if a.left <= 0 {
		return 0, errAborted
	}
	n, err := a.r.Read(p[:min(int64(len(p)), a.left)])
	a.left -= int64(n)
	return n, err
}

// randomStored returns one of the stored files, or false when there is none
// yet.
func (f *fileLoad) randomStored(rng *rand.Rand) (storedFile, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.stored) == 0 {
		return storedFile{}, false
	}
	return f.stored[rng.IntN(len(f.stored))], true
}

// byteRange is one range of a Range header, both ends included.
type byteRange struct{ from, to int64 }

// download asks for ranges of a stored file (one, two, or a suffix) and
// checks the bytes, or revalidates it with If-None-Match and expects 304.
func (f *fileLoad) download(ctx, loadCtx context.Context, rng *rand.Rand) {
	file, ok := f.randomStored(rng)
	if !ok || file.content.size < 4 {
		return
	}
	in, err := f.cl.pick(loadCtx)
	if err != nil {
		return
	}
	size := file.content.size
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.base()+"/download/"+file.id, nil)
	if err != nil {
		return
	}
	var ranges []byteRange
	route := routeRange
	switch p := rng.IntN(10); {
	case p < 6: // one range
		from := rng.Int64N(size)
		ranges = []byteRange{{from, from + rng.Int64N(min(size-from, 256<<10))}}
	case p < 8: // two, in order, apart
		a := rng.Int64N(size / 2)
		b := size/2 + rng.Int64N(size-size/2)
		ranges = []byteRange{{a, a + rng.Int64N(size/2-a)}, {b, b + rng.Int64N(size-b)}}
	case p < 9: // the last bytes
		n := 1 + rng.Int64N(min(size, 64<<10))
		ranges = []byteRange{{size - n, size - 1}}
		req.Header.Set("Range", "bytes=-"+strconv.FormatInt(n, 10))
	default:
		route = routeNotModified
		req.Header.Set("If-None-Match", `"`+file.sha256+`"`)
	}
	if req.Header.Get("Range") == "" && route == routeRange {
		var spec []string
		for _, r := range ranges {
			spec = append(spec, fmt.Sprintf("%d-%d", r.from, r.to))
		}
		req.Header.Set("Range", "bytes="+strings.Join(spec, ","))
	}

	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		f.rec.failure(route, "error", err, false)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 2*size+64<<10))
	took := time.Since(start)
	if err != nil {
		f.rec.failure(route, "error", err, false)
		return
	}
	what := fmt.Sprintf("%s of %s on %s", req.Header.Get("Range"), file.id, in.name)
	if route == routeNotModified {
		f.rec.status(route, resp.StatusCode, took, what, http.StatusNotModified)
		return
	}
	if !f.rec.status(route, resp.StatusCode, took, what, http.StatusPartialContent) {
		return
	}
	if err := checkRanges(resp.Header.Get("Content-Type"), body, ranges, file.content); err != nil {
		f.rec.check(route, fmt.Errorf("%s: %w", what, err))
	}
}

// checkRanges checks a 206 body against the content: one range comes as
// it is, several as multipart/byteranges parts in the order asked.
func checkRanges(contentType string, body []byte, ranges []byteRange, c content) error {
	if len(ranges) == 1 {
		if want := c.slice(ranges[0].from, ranges[0].to); !bytes.Equal(body, want) {
			return fmt.Errorf("got %d bytes that differ from the %d asked for", len(body), len(want))
		}
		return nil
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/byteranges" {
		return fmt.Errorf("content type %q, want multipart/byteranges", contentType)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for i, r := range ranges {
		part, err := mr.NextPart()
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		got, err := io.ReadAll(part)
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		wantRange := fmt.Sprintf("bytes %d-%d/%d", r.from, r.to, c.size)
		if cr := part.Header.Get("Content-Range"); cr != wantRange {
			return fmt.Errorf("part %d is %q, want %q", i, cr, wantRange)
		}
		if !bytes.Equal(got, c.slice(r.from, r.to)) {
			return fmt.Errorf("part %d (%s) has the wrong bytes", i, wantRange)
		}
	}
	if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("more parts than the %d asked for", len(ranges))
	}
	return nil
}

// filesCheck is the end-of-run comparison of every stored file.
type filesCheck struct {
	stored, identical int
	bytes             int64
	problems          []string
}

// verifyAll downloads every stored file whole and compares its SHA-256
// with what was sent.
func (f *fileLoad) verifyAll(ctx context.Context) filesCheck {
	f.mu.Lock()
	stored := append([]storedFile(nil), f.stored...)
	f.mu.Unlock()
	c := filesCheck{stored: len(stored)}
	for _, file := range stored {
		in, err := f.cl.pick(ctx)
		if err != nil {
			c.problems = append(c.problems, err.Error())
			return c
		}
		start := time.Now()
		sum, n, status, err := f.fetch(ctx, in.base()+"/download/"+file.id)
		if err != nil {
			f.rec.failure(routeVerify, "error", err, false)
			c.problems = append(c.problems, fmt.Sprintf("%s: %v", file.id, err))
			continue
		}
		if !f.rec.status(routeVerify, status, time.Since(start), file.id, http.StatusOK) {
			c.problems = append(c.problems, fmt.Sprintf("%s: status %d", file.id, status))
			continue
		}
		if sum != file.sha256 || n != file.content.size {
			c.problems = append(c.problems, fmt.Sprintf("%s: came back as %d bytes %s, sent %d bytes %s", file.id, n, sum, file.content.size, file.sha256))
			continue
		}
		c.identical++
		c.bytes += n
	}
	return c
}

func (f *fileLoad) fetch(ctx context.Context, url string) (sum string, n int64, status int, err error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, 0, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return "", 0, 0, err
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err = io.Copy(h, resp.Body)
	return hex.EncodeToString(h.Sum(nil)), n, resp.StatusCode, err
}

// ids returns the ids of the stored files.
func (f *fileLoad) ids() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]bool{}
	for _, s := range f.stored {
		out[s.id] = true
	}
	return out
}

// storageLeftovers lists what dir holds beyond the stored files' pairs of
// <id> and <id>.json: temporary files of cut-off uploads, halves of pairs,
// or files nobody was told about.
func storageLeftovers(dir string, stored map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list STORAGE_DIR: %w", err)
	}
	seen := map[string]int{}
	var out []string
	for _, e := range entries {
		id := strings.TrimSuffix(e.Name(), ".json")
		if !stored[id] || e.IsDir() {
			out = append(out, e.Name())
			continue
		}
		seen[id]++
	}
	for id := range stored {
		if seen[id] != 2 {
			out = append(out, fmt.Sprintf("%s (%d of its 2 files)", id, seen[id]))
		}
	}
	return out, nil
}

// checkFiles reports whether every stored file came back whole and
// STORAGE_DIR, or the bucket, holds nothing else.
func (s *soak) checkFiles(ctx context.Context, c filesCheck) {
	aborted := s.rec.count(routeUploadAborted, "aborted")
	s.files.mu.Lock()
	overLimit := s.files.overLimit
	s.files.mu.Unlock()
	s.rep.printf("files\n  %d stored, %d byte-identical on download (%s); %d uploads aborted midway, %d over the limit\n",
		c.stored, c.identical, mib(c.bytes), aborted, overLimit)
	s.rep.check("every upload byte-identical on download", len(c.problems) == 0 && c.stored > 0,
		fmt.Sprintf("%d of %d", c.identical, c.stored)+samples(c.problems))
	where, left, err := "STORAGE_DIR", []string(nil), error(nil)
	if s.objects != nil {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		where = "the bucket"
		left, err = s.objects.leftovers(ctx, s.files.ids())
	} else {
		left, err = storageLeftovers(s.storage, s.files.ids())
	}
	if err != nil {
		left = append(left, err.Error())
	}
	s.rep.check("no temporary or partial file left in "+where, len(left) == 0,
		fmt.Sprintf("%d stored files, %d other entries", c.stored, len(left))+samples(left))
}
