package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestContentIsTheSameEveryTime(t *testing.T) {
	c := content{seed: 7, size: 3*contentBlock + 123}
	whole, err := io.ReadAll(c.reader())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := int64(len(whole)), c.size; got != want {
		t.Fatalf("read %d bytes, want %d", got, want)
	}
	tests := []struct {
		name     string
		from, to int64
	}{
		{"FirstByte", 0, 0},
		{"WithinABlock", 10, 99},
		{"AcrossBlocks", contentBlock - 5, 2*contentBlock + 5},
		{"LastByte", c.size - 1, c.size - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := c.slice(tt.from, tt.to), whole[tt.from:tt.to+1]; !bytes.Equal(got, want) {
				t.Errorf("slice(%d, %d) differs from the stream", tt.from, tt.to)
			}
		})
	}
	if other := (content{seed: 8, size: c.size}); other.sha256() == c.sha256() {
		t.Error("two seeds made the same content")
	}
}

func TestContentReadAtEnd(t *testing.T) {
	c := content{seed: 1, size: 10}
	p := make([]byte, 8)
	n, err := c.ReadAt(p, 4)
	if n != 6 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt past the end = %d, %v; want 6, EOF", n, err)
	}
}
