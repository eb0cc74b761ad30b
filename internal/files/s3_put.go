package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// partSize is the size of each part of a multipart upload but the last, and
// so the memory one upload to a bucket holds: S3 wants at least 5 MiB.
const partSize = 8 << 20

// MaxS3ObjectBytes is the largest file a bucket store takes: put copies a
// multipart upload onto itself to add its checksum, and S3's CopyObject
// stops at 5 GiB.
const MaxS3ObjectBytes = 5 << 30

// cleanupTimeout bounds the requests that undo a failed upload. They retry
// for that long, so a bucket that blips as the upload fails still ends up
// with nothing of it.
const cleanupTimeout = 30 * time.Second

// put sends a file that fits in one part with one PutObject. A larger one
// goes as a multipart upload of partSize parts read into one buffer, so
// memory stays the same whatever the size; then, since its SHA-256 is only
// known at the end and S3 fixes an object's metadata when the upload
// begins, the object is copied onto itself with the sha256 header added.
// Until then open does not see it. Whatever fails, the upload is aborted
// (no parts stay billed) or the object deleted.
func (b *s3Backend) put(ctx context.Context, id string, r io.Reader, m metadata, sum func() (int64, string)) error {
	buf := make([]byte, partSize)
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		m.Size, m.SHA256 = sum()
		_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &b.bucket, Key: &id, Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
			ContentType: &m.ContentType, Metadata: m.headers(true),
		})
		if err != nil {
			return fmt.Errorf("files: put object: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("files: write content: %w", err)
	}

	created, err := b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &b.bucket, Key: &id, ContentType: &m.ContentType, Metadata: m.headers(false),
	})
	if err != nil {
		return fmt.Errorf("files: create multipart upload: %w", err)
	}
	parts, err := b.uploadParts(ctx, id, created.UploadId, r, buf, n)
	if err == nil {
		_, err = b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &b.bucket, Key: &id, UploadId: created.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		if err != nil {
			err = fmt.Errorf("files: complete multipart upload: %w", err)
		}
	}
	if err != nil {
		return errors.Join(err, b.abort(ctx, id, created.UploadId))
	}

	m.Size, m.SHA256 = sum()
	_, err = b.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &b.bucket, Key: &id, CopySource: aws.String(url.PathEscape(b.bucket) + "/" + id),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: &m.ContentType, Metadata: m.headers(true),
	})
	if err != nil {
		err = fmt.Errorf("files: add checksum to object: %w", err)
		return errors.Join(err, b.cleanup(ctx, func(ctx context.Context) error {
			_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &id})
			return err
		}))
	}
	return nil
}

// uploadParts sends buf[:n] as part 1, then reads and sends the rest of r
// part by part into the same buffer.
func (b *s3Backend) uploadParts(ctx context.Context, id string, uploadID *string, r io.Reader, buf []byte, n int) ([]types.CompletedPart, error) {
	var parts []types.CompletedPart
	for num := int32(1); ; num++ {
		out, err := b.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &b.bucket, Key: &id, UploadId: uploadID, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return nil, fmt.Errorf("files: upload part %d: %w", num, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		n, err = io.ReadFull(r, buf)
		// A short last part (io.ErrUnexpectedEOF) is sent on the next turn,
		// whose read ends with io.EOF.
		if errors.Is(err, io.EOF) {
			return parts, nil
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("files: write content: %w", err)
		}
	}
}

// abort drops a multipart upload and its parts.
func (b *s3Backend) abort(ctx context.Context, id string, uploadID *string) error {
	return b.cleanup(ctx, func(ctx context.Context) error {
		_, err := b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b.bucket, Key: &id, UploadId: uploadID})
		var gone *types.NoSuchUpload
		if errors.As(err, &gone) {
			return nil
		}
		return err
	})
}

// cleanup runs undo until it succeeds or cleanupTimeout passes, on a
// context of its own: the request's may be cancelled already, the client
// gone, and the cleanup must still happen.
func (b *s3Backend) cleanup(ctx context.Context, undo func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := undo(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("files: clean up failed upload: %w", err)
		case <-time.After(wait):
		}
	}
}
