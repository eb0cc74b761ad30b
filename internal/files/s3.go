package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3Config names an S3-compatible bucket.
type S3Config struct {
	// Bucket is the bucket's name. The bucket must exist and hold nothing
	// but this store's files: the quota counts every object in it.
	Bucket string
	// Endpoint is the server's URL, such as http://127.0.0.1:7070 for
	// MinIO or versitygw; it turns on path-style addressing. Optional.
	// Default: AWS's endpoint for Region.
	Endpoint string
	// Region is the bucket's region. Optional. Default: us-east-1.
	Region string
	// AccessKeyID and SecretAccessKey are the credentials. Optional.
	// Default: the AWS SDK's usual chain (environment, shared files,
	// instance roles).
	AccessKeyID, SecretAccessKey string
}

// ParseS3URL reads s3://BUCKET?endpoint=URL&region=REGION, both query
// parameters optional.
func ParseS3URL(s string) (S3Config, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil {
		return S3Config{}, errors.New("not a URL such as s3://bucket?endpoint=http://127.0.0.1:7070&region=us-east-1")
	}
	c := S3Config{Bucket: u.Host, Region: "us-east-1"}
	for k, v := range u.Query() {
		switch k {
		case "endpoint":
			e, err := url.Parse(v[0])
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return S3Config{}, fmt.Errorf("endpoint %q is not an http:// or https:// URL", v[0])
			}
			c.Endpoint = v[0]
		case "region":
			c.Region = v[0]
		default:
			return S3Config{}, fmt.Errorf("unknown parameter %q (endpoint and region are known)", k)
		}
	}
	return c, nil
}

// s3StartTimeout bounds NewS3Store's check of the bucket, so that a start
// against an unreachable one fails within seconds, not after the SDK's
// retries.
const s3StartTimeout = 5 * time.Second

// NewS3Store returns a Store keeping its files in an S3 bucket, and checks
// within 5 seconds that the bucket answers.
func NewS3Store(ctx context.Context, cfg S3Config, opts Options) (*Store, error) {
	ctx, cancel := context.WithTimeout(ctx, s3StartTimeout)
	defer cancel()
	return newStoreWith(opts, func() (backend, error) {
		b, err := newS3Backend(ctx, cfg)
		if err != nil {
			return nil, err
		}
		if err := b.check(ctx); err != nil {
			return nil, err
		}
		return b, nil
	})
}

// newS3Client builds the SDK's client for cfg; tests use it to look into
// the bucket.
func newS3Client(ctx context.Context, cfg S3Config) (*s3.Client, error) {
	loadOpts := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region)}
	if cfg.AccessKeyID != "" {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("files: load AWS config: %w", err)
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true // S3-compatible servers seldom have per-bucket host names.
		}
		// The store hashes every upload itself; the SDK's extra CRC32s by
		// default are what several S3-compatible servers trip over.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// s3Backend keeps each file as one object named by its id, with its
// metadata in the object's x-amz-meta-* headers. A file is visible only
// once it has the sha256 header (see put).
type s3Backend struct {
	client *s3.Client
	bucket string
}

func newS3Backend(ctx context.Context, cfg S3Config) (*s3Backend, error) {
	client, err := newS3Client(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &s3Backend{client: client, bucket: cfg.Bucket}, nil
}

// check asks for the bucket.
func (b *s3Backend) check(ctx context.Context) error {
	if _, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b.bucket}); err != nil {
		return fmt.Errorf("files: bucket %s: %w", b.bucket, err)
	}
	return nil
}

// Metadata keys. The SDK sends them as x-amz-meta-<key> headers, which are
// ASCII, so the filename travels URL-escaped.
const (
	metaFilename = "filename"
	metaSHA256   = "sha256"
	metaCreated  = "created"
)

func (m metadata) headers(withSum bool) map[string]string {
	h := map[string]string{
		metaFilename: url.PathEscape(m.Filename),
		metaCreated:  m.Created.Format(time.RFC3339Nano),
	}
	if withSum {
		h[metaSHA256] = m.SHA256
	}
	return h
}

// metaFromHeaders reads what headers wrote; complete is false for an object
// without its sha256, which put has not finished.
func metaFromHeaders(h map[string]string, contentType *string, size *int64) (m metadata, complete bool, err error) {
	if m.Filename, err = url.PathUnescape(h[metaFilename]); err != nil {
		return m, false, fmt.Errorf("decode filename: %w", err)
	}
	if m.Created, err = time.Parse(time.RFC3339Nano, h[metaCreated]); err != nil {
		return m, false, fmt.Errorf("decode created: %w", err)
	}
	m.SHA256 = h[metaSHA256]
	m.ContentType = aws.ToString(contentType)
	m.Size = aws.ToInt64(size)
	return m, m.SHA256 != "", nil
}

// stat returns id's metadata and when the object was last written, or
// ErrNotFound.
func (b *s3Backend) stat(ctx context.Context, id string) (metadata, bool, time.Time, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &id})
	if isNotFound(err) {
		return metadata{}, false, time.Time{}, ErrNotFound
	}
	if err != nil {
		return metadata{}, false, time.Time{}, fmt.Errorf("files: head %s: %w", id, err)
	}
	m, complete, err := metaFromHeaders(out.Metadata, out.ContentType, out.ContentLength)
	if err != nil {
		return metadata{}, false, time.Time{}, fmt.Errorf("files: metadata of %s: %w", id, err)
	}
	return m, complete, aws.ToTime(out.LastModified), nil
}

func (b *s3Backend) open(ctx context.Context, id string) (io.ReadSeekCloser, metadata, error) {
	m, complete, _, err := b.stat(ctx, id)
	if err != nil {
		return nil, metadata{}, err
	}
	if !complete {
		return nil, metadata{}, ErrNotFound // Still being stored, or left by a killed process.
	}
	return &objectReader{ctx: ctx, b: b, key: id, size: m.Size}, m, nil
}

// remove looks first, since DeleteObject succeeds for a missing key.
func (b *s3Backend) remove(ctx context.Context, id string) error {
	ctx = context.WithoutCancel(ctx)
	if _, _, _, err := b.stat(ctx, id); err != nil {
		return err
	}
	if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &id}); err != nil {
		return fmt.Errorf("files: delete %s: %w", id, err)
	}
	return nil
}

// usage sums the sizes of the bucket's objects. Uploads in progress are
// not counted: listing their parts would cost a request per upload.
func (b *s3Backend) usage(ctx context.Context) (int64, error) {
	var total int64
	pages := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: &b.bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("files: list bucket %s: %w", b.bucket, err)
		}
		for _, o := range page.Contents {
			total += aws.ToInt64(o.Size)
		}
	}
	return total, nil
}

// isNotFound reports whether err is S3's answer for a missing key.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NotFound", "NoSuchKey":
			return true
		}
	}
	return false
}
