package ws

import (
	"errors"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		raw     string
		want    string
		wantErr error
	}{
		{"", "User", nil},
		{"   ", "User", nil},
		{"Alice", "Alice", nil},
		{" Bob Smith ", "Bob Smith", nil},
		{"zoë_2.0-beta", "zoë_2.0-beta", nil},
		{strings.Repeat("a", MaxNameRunes), strings.Repeat("a", MaxNameRunes), nil},
		{strings.Repeat("a", MaxNameRunes+1), "", ErrInvalidName},
		{"<img src=x>", "", ErrInvalidName},
		{"Bob said: hi", "", ErrInvalidName},
		{"two\nlines", "", ErrInvalidName},
		{"bad\xffutf8", "", ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseName(tt.raw)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseName(%q) = %q, %v; want %q, %v", tt.raw, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
