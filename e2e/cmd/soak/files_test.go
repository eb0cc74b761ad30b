package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMultipartFrameMakesOneFilePart(t *testing.T) {
	head, tail, contentType := multipartFrame("a.bin")
	c := content{seed: 3, size: 1000}
	body := io.MultiReader(bytes.NewReader(head), c.reader(), bytes.NewReader(tail))
	_, boundary, _ := strings.Cut(contentType, "boundary=")
	part, err := multipart.NewReader(body, boundary).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	if part.FormName() != "file" || part.FileName() != "a.bin" || !bytes.Equal(got, c.slice(0, c.size-1)) {
		t.Errorf("part %q %q with %d bytes, want file a.bin with the content", part.FormName(), part.FileName(), len(got))
	}
}

func TestAbortingReader(t *testing.T) {
	r := &abortingReader{r: strings.NewReader("0123456789"), left: 4}
	got, err := io.ReadAll(r)
	if string(got) != "0123" || !errors.Is(err, errAborted) {
		t.Errorf("ReadAll = %q, %v; want 0123 and errAborted", got, err)
	}
}

func TestCheckRanges(t *testing.T) {
	c := content{seed: 5, size: 100}
	multipartBody := func(ranges ...byteRange) (string, []byte) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, r := range ranges {
			h := textproto.MIMEHeader{}
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/100", r.from, r.to))
			p, _ := w.CreatePart(h)
			_, _ = p.Write(c.slice(r.from, r.to))
		}
		_ = w.Close()
		return "multipart/byteranges; boundary=" + w.Boundary(), buf.Bytes()
	}
	two := []byteRange{{0, 9}, {50, 59}}
	ct, body := multipartBody(two...)
	_, swapped := multipartBody(two[1], two[0])
	_, extra := multipartBody(append(two, byteRange{90, 99})...)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		ranges      []byteRange
		wantErr     bool
	}{
		{"OneRange", "application/octet-stream", c.slice(10, 19), []byteRange{{10, 19}}, false},
		{"OneRangeWrongBytes", "application/octet-stream", c.slice(11, 20), []byteRange{{10, 19}}, true},
		{"TwoRanges", ct, body, two, false},
		{"TwoRangesSwapped", ct, swapped, two, true},
		{"MoreParts", ct, extra, two, true},
		{"NotMultipart", "text/plain", body, two, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRanges(tt.contentType, tt.body, tt.ranges, c)
			if (err != nil) != tt.wantErr {
				t.Errorf("checkRanges = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestStorageLeftovers(t *testing.T) {
	dir := t.TempDir()
	const a, b = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	for _, name := range []string{a, a + ".json", b, ".upload-123", "ffffffffffffffffffffffffffffffff.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := storageLeftovers(dir, map[string]bool{a: true, b: true})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{".upload-123", b + " (1 of its 2 files)", "ffffffffffffffffffffffffffffffff.json"}
	if !slices.Equal(got, want) {
		t.Errorf("leftovers = %q, want %q", got, want)
	}
}
