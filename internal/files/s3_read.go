package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// objectReader reads an object as an io.ReadSeeker for http.ServeContent:
// the first Read after a Seek starts a GET from that offset to the end,
// and later Reads continue its body. A single range is one GET; a
// multi-range request (at most httprange's 16 ranges) one per range.
type objectReader struct {
	ctx  context.Context
	b    *s3Backend
	key  string
	size int64
	pos  int64
	body io.ReadCloser // open at pos, or nil
}

func (o *objectReader) Read(p []byte) (int, error) {
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if o.body == nil {
		out, err := o.b.client.GetObject(o.ctx, &s3.GetObjectInput{
			Bucket: &o.b.bucket, Key: &o.key, Range: aws.String("bytes=" + strconv.FormatInt(o.pos, 10) + "-"),
		})
		if err != nil {
			return 0, fmt.Errorf("files: get %s from %d: %w", o.key, o.pos, err)
		}
		o.body = out.Body
	}
	n, err := o.body.Read(p)
	o.pos += int64(n)
	if errors.Is(err, io.EOF) && o.pos < o.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (o *objectReader) Seek(offset int64, whence int) (int64, error) {
	pos := offset
	switch whence {
	case io.SeekCurrent:
		pos += o.pos
	case io.SeekEnd:
		pos += o.size
	}
	if pos < 0 {
		return 0, errors.New("files: seek before the start")
	}
	if pos != o.pos && o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.pos = pos
	return pos, nil
}

func (o *objectReader) Close() error {
	if o.body == nil {
		return nil
	}
	err := o.body.Close()
	o.body = nil
	return err
}
