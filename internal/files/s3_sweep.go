package files

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sweep lists the bucket and asks for each object's metadata (one HEAD per
// object, since a listing carries none), deleting the expired ones and
// those put never gave their checksum; then it aborts the multipart
// uploads begun at staleBefore or earlier, whose process died before it
// could abort them itself.
func (b *s3Backend) sweep(ctx context.Context, staleBefore time.Time, expired func(time.Time) bool) (Swept, error) {
	var swept Swept
	var errs []error
	objects := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: &b.bucket})
	for objects.HasMorePages() {
		page, err := objects.NextPage(ctx)
		if err != nil {
			return swept, fmt.Errorf("files: sweep: list bucket: %w", err)
		}
		for _, o := range page.Contents {
			id := aws.ToString(o.Key)
			if !validID(id) {
				continue
			}
			m, complete, modTime, err := b.stat(ctx, id)
			switch {
			case errors.Is(err, ErrNotFound):
				continue // Another sweep or a Delete was first.
			case err != nil:
				errs = append(errs, fmt.Errorf("files: sweep: %w", err))
			case complete && expired(m.Created):
				errs = append(errs, b.sweepDelete(ctx, id, &swept.Expired))
			case !complete && !modTime.After(staleBefore):
				errs = append(errs, b.sweepDelete(ctx, id, &swept.Partial))
			}
		}
	}
	uploads := s3.NewListMultipartUploadsPaginator(b.client, &s3.ListMultipartUploadsInput{Bucket: &b.bucket})
	for uploads.HasMorePages() {
		page, err := uploads.NextPage(ctx)
		if err != nil {
			return swept, errors.Join(append(errs, fmt.Errorf("files: sweep: list multipart uploads: %w", err))...)
		}
		for _, u := range page.Uploads {
			if aws.ToTime(u.Initiated).After(staleBefore) {
				continue // Perhaps still arriving.
			}
			if err := b.abort(ctx, aws.ToString(u.Key), u.UploadId); err != nil {
				errs = append(errs, fmt.Errorf("files: sweep: %w", err))
				continue
			}
			swept.Partial++
		}
	}
	return swept, errors.Join(errs...)
}

func (b *s3Backend) sweepDelete(ctx context.Context, id string, count *int) error {
	if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &id}); err != nil {
		return fmt.Errorf("files: sweep %s: %w", id, err)
	}
	*count++
	return nil
}
