package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"testing"
)

func TestBodyError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"MaxBytes", fmt.Errorf("multipart: %w", &http.MaxBytesError{Limit: 1}), ErrTooLarge},
		{"HeaderBudget", fmt.Errorf("multipart: NextPart: %w", errHeaderBudget), ErrHeaderTooLarge},
		{"Cancelled", context.Canceled, context.Canceled},
		{"Truncated", io.ErrUnexpectedEOF, ErrBadMultipart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bodyError(tt.err)
			if !errors.Is(got, tt.want) {
				t.Errorf("bodyError(%v) = %v, want %v", tt.err, got, tt.want)
			}
			// Only a malformed body is the client's 400; a cancellation
			// wrapped as one would be answered and logged as a bad request.
			if bad := errors.Is(got, ErrBadMultipart); bad != errors.Is(tt.want, ErrBadMultipart) {
				t.Errorf("bodyError(%v) = %v: ErrBadMultipart %v, want %v", tt.err, got, bad, !bad)
			}
		})
	}
}

func TestBodyErrorKeepsCause(t *testing.T) {
	if got := bodyError(io.ErrUnexpectedEOF); !errors.Is(got, io.ErrUnexpectedEOF) {
		t.Errorf("bodyError lost its cause: %v", got)
	}
}

func TestHeaderBytes(t *testing.T) {
	h := textproto.MIMEHeader{"Content-Type": {"text/plain"}, "X-A": {"1", "22"}}
	want := len("Content-Type: text/plain\r\n") + len("X-A: 1\r\n") + len("X-A: 22\r\n")
	if got := headerBytes(h); got != want {
		t.Errorf("headerBytes = %d, want %d", got, want)
	}
}
