package files

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ErrNoPresign means the store's backend cannot hand out download URLs: a
// local directory.
var ErrNoPresign = errors.New("files: this store cannot presign downloads")

// presigner is a backend that can let a client fetch a file straight from
// it.
type presigner interface {
	presign(ctx context.Context, id string, m metadata, ttl time.Duration) (string, error)
}

// PresignDownload returns a URL that lets anyone fetch the file with the
// given id straight from the bucket for ttl, and its Info. The bucket
// answers it as Serve would its headers: as an attachment under the
// sanitised name, with a passive content type; Range, If-Range and 304
// are the bucket's own. A malformed, unknown or expired id returns
// ErrNotFound; a store on a directory, ErrNoPresign.
func (s *Store) PresignDownload(ctx context.Context, id string, ttl time.Duration) (string, Info, error) {
	p, ok := s.b.(presigner)
	if !ok {
		return "", Info{}, ErrNoPresign
	}
	f, info, err := s.Open(ctx, id)
	if err != nil {
		return "", Info{}, err
	}
	f.Close() // Nothing was read: Open only asked for the metadata.
	url, err := p.presign(ctx, id, metadata{Filename: info.Filename, ContentType: info.ContentType}, ttl)
	if err != nil {
		return "", Info{}, err
	}
	return url, info, nil
}

// CanPresign reports whether PresignDownload can work on this store.
func (s *Store) CanPresign() bool {
	_, ok := s.b.(presigner)
	return ok
}

func (b *s3Backend) presign(ctx context.Context, id string, m metadata, ttl time.Duration) (string, error) {
	disposition, contentType := ContentDisposition(m.Filename), passiveType(m.ContentType)
	req, err := s3.NewPresignClient(b.client).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &b.bucket, Key: &id,
		ResponseContentDisposition: &disposition,
		ResponseContentType:        &contentType,
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("files: presign %s: %w", id, err)
	}
	return req.URL, nil
}
