// Package versitygw runs a versitygw S3 server for tests: a real S3 API
// over a temporary directory, in which each directory is a bucket. It
// follows the project's one rule for missing parts (testenv): without the
// binary a test skips, or fails in CI.
package versitygw

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"example.com/echotemplate/internal/testenv"
)

// Install is how to get the binary, for the message when it is missing.
const Install = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Credentials the server accepts; Env gives them to a process.
const (
	AccessKey = "testaccess"
	SecretKey = "testsecret123"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's URL, such as http://127.0.0.1:41234.
	Endpoint string
	// Dir is the server's root: every directory in it is a bucket.
	Dir string

	t    testing.TB
	bin  string
	addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// Start runs versitygw on a free port over a temporary directory, waits
// until it answers, and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := find()
	if bin == "" {
		testenv.Missing(t, "versitygw is not installed (%s)", Install)
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Endpoint: "http://" + addr, Dir: t.TempDir(), t: t, bin: bin, addr: addr}
	s.Restart()
	t.Cleanup(s.Kill)
	return s
}

// find returns the binary's path, from PATH or go install's directory.
func find() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, err := exec.CommandContext(context.Background(), "go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Bucket creates a bucket and returns its name.
func (s *Server) Bucket(name string) string {
	s.t.Helper()
	if err := os.Mkdir(filepath.Join(s.Dir, name), 0o750); err != nil {
		s.t.Fatal(err)
	}
	return name
}

// StorageURL is STORAGE_URL for bucket on this server.
func (s *Server) StorageURL(bucket string) string {
	return "s3://" + bucket + "?endpoint=" + s.Endpoint + "&region=us-east-1"
}

// Env is the environment a process needs to reach the server.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey}
}

// Kill ends the server at once, as a crash would. Restart brings it back.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server on the same port and directory, and waits
// until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.log = new(bytes.Buffer)
	//nolint:gosec // The test's own binary and arguments.
	cmd := exec.CommandContext(context.Background(), s.bin, "--access", AccessKey, "--secret", SecretKey, "--port", s.addr, "--health", "/health", "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start versitygw: %v", err)
	}
	s.cmd = cmd
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/health", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Kill()
	s.t.Fatalf("versitygw did not answer on %s: %s", s.addr, s.log)
}

// List returns the names of the bucket's objects and, as "upload:KEY", its
// multipart uploads in progress: what a failed upload must not leave.
func (s *Server) List(bucket string) []string {
	s.t.Helper()
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	ctx := context.Background()
	objects, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		s.t.Fatalf("ListObjectsV2: %v", err)
	}
	uploads, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		s.t.Fatalf("ListMultipartUploads: %v", err)
	}
	var names []string
	for _, o := range objects.Contents {
		names = append(names, aws.ToString(o.Key))
	}
	for _, u := range uploads.Uploads {
		names = append(names, "upload:"+aws.ToString(u.Key))
	}
	slices.Sort(names)
	return names
}
