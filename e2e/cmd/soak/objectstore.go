package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials of the soak's own S3 server.
const (
	objectStoreAccess = "soakaccess"
	objectStoreSecret = "soaksecret123"
	objectStoreBucket = "uploads"
)

// objectStore is a versitygw of the soak's own, an S3 server on a free
// port over a directory of its own, holding the bucket the two-instance
// scenario keeps its uploads in.
type objectStore struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// findVersitygw returns the versitygw binary: name itself when it is a
// path, else from PATH or go install's directory.
func findVersitygw(ctx context.Context, name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output()
	if err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in $(go env GOPATH)/bin", name)
}

// startObjectStore starts binary over dir, with the bucket made, and waits
// until it answers.
func startObjectStore(ctx context.Context, binary, dir string) (*objectStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, objectStoreBucket), 0o750); err != nil {
		return nil, fmt.Errorf("create the bucket's directory: %w", err)
	}
	port, err := freePort(ctx)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	log, err := os.Create(filepath.Join(dir, "versitygw.log")) //nolint:gosec // a file of the soak's own work directory
	if err != nil {
		return nil, fmt.Errorf("create versitygw's log: %w", err)
	}
	defer log.Close() // The child has its own descriptor.
	// Not CommandContext: it must outlive a cancelled ctx until tearDown.
	//nolint:gosec,noctx // The binary and its arguments are the soak's own; see above.
	cmd := exec.Command(binary, "--access", objectStoreAccess, "--secret", objectStoreSecret,
		"--port", addr, "--health", "/health", "posix", dir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	o := &objectStore{endpoint: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // killed at the end; its status says nothing
		close(o.exited)
	}()
	deadline := time.Now().Add(readyTimeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.endpoint+"/health", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return o, nil
			}
		}
		if time.Now().After(deadline) {
			o.stop()
			return nil, fmt.Errorf("versitygw on %s not answering (log: %s)", addr, log.Name())
		}
		select {
		case <-o.exited:
			return nil, fmt.Errorf("versitygw exited at start (log: %s)", log.Name())
		case <-ctx.Done():
			o.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// env is what points an instance at the bucket.
func (o *objectStore) env() []string {
	return []string{
		"STORAGE_URL=s3://" + objectStoreBucket + "?endpoint=" + o.endpoint,
		"AWS_ACCESS_KEY_ID=" + objectStoreAccess,
		"AWS_SECRET_ACCESS_KEY=" + objectStoreSecret,
	}
}

func (o *objectStore) stop() {
	_ = o.cmd.Process.Kill()
	<-o.exited
}

// leftovers lists what the bucket holds beyond the stored files: objects
// nobody was told about (or whose upload failed), and multipart uploads
// never completed nor aborted.
func (o *objectStore) leftovers(ctx context.Context, stored map[string]bool) ([]string, error) {
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(o.endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(objectStoreAccess, objectStoreSecret, ""),
	})
	bucket := objectStoreBucket
	var out []string
	seen := map[string]bool{}
	objects := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for objects.HasMorePages() {
		page, err := objects.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the bucket: %w", err)
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if !stored[key] {
				out = append(out, key)
			}
			seen[key] = true
		}
	}
	uploads, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		return nil, fmt.Errorf("list multipart uploads: %w", err)
	}
	for _, u := range uploads.Uploads {
		out = append(out, "multipart upload of "+aws.ToString(u.Key))
	}
	for id := range stored {
		if !seen[id] {
			out = append(out, id+" (missing)")
		}
	}
	return out, nil
}
