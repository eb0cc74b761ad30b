package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
)

// contentBlock is the unit the bytes of a file are made in: any range can
// be made again by making the blocks it touches, without keeping files in
// memory.
const contentBlock = 32 << 10

// content is the bytes of one upload, made from a seed: the soak sends them,
// and later checks any range or the whole download against them without
// having kept them.
type content struct {
	seed uint64
	size int64
}

// block returns block i of the content, whole: its bytes depend only on the
// seed and i.
func (c content) block(i int64) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], c.seed)
	binary.LittleEndian.PutUint64(key[8:], uint64(i)) //nolint:gosec // i is a block index, never negative.
	b := make([]byte, contentBlock)
	_, _ = rand.NewChaCha8(key).Read(b) // ChaCha8.Read never fails
	return b
}

// ReadAt implements io.ReaderAt.
func (c content) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off < c.size {
		b := c.block(off / contentBlock)
		end := min(int64(contentBlock), c.size-off/contentBlock*contentBlock)
		m := copy(p[n:], b[off%contentBlock:end])
		n += m
		off += int64(m)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// reader returns the whole content as a stream.
func (c content) reader() io.Reader {
	return io.NewSectionReader(c, 0, c.size)
}

// slice returns bytes [from, to] (inclusive, as in a Range header).
func (c content) slice(from, to int64) []byte {
	b := make([]byte, to-from+1)
	_, _ = c.ReadAt(b, from) // the range lies within the content
	return b
}

// sha256 returns the lowercase hex SHA-256 of the content, as the service
// reports it.
func (c content) sha256() string {
	h := sha256.New()
	_, _ = io.Copy(h, c.reader()) // hashing never fails
	return hex.EncodeToString(h.Sum(nil))
}
