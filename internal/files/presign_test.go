package files

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPresignDownload: the URL fetches the file from the bucket as an
// attachment with a passive type, ranges included; an expired file gets no
// URL, nor does a store on a directory.
func TestPresignDownload(t *testing.T) {
	now := time.Now()
	s, _, _ := newS3Store(t, Options{Retention: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()
	put, err := s.Put(ctx, strings.NewReader("<html>0123456789</html>"), "page.html")
	if err != nil {
		t.Fatal(err)
	}
	url, info, err := s.PresignDownload(ctx, put.ID, time.Minute)
	if err != nil {
		t.Fatalf("PresignDownload: %v", err)
	}
	if info.SHA256 != put.SHA256 {
		t.Errorf("info = %+v, want %+v", info, put)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Range", "bytes=6-9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || string(body) != "0123" {
		t.Errorf("ranged GET of the URL = %d %q, want 206 \"0123\"", res.StatusCode, body)
	}
	if got, want := res.Header.Get("Content-Disposition"), ContentDisposition("page.html"); got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	if got := res.Header.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type = %q, want application/octet-stream for HTML", got)
	}

	now = now.Add(time.Hour)
	if _, _, err := s.PresignDownload(ctx, put.ID, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("PresignDownload(expired) = %v, want ErrNotFound", err)
	}
	dir := newStore(t, t.TempDir(), Options{})
	if _, _, err := dir.PresignDownload(ctx, put.ID, time.Minute); !errors.Is(err, ErrNoPresign) || dir.CanPresign() {
		t.Errorf("PresignDownload on a directory = %v, want ErrNoPresign", err)
	}
}
