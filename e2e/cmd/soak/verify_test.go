package main

import (
	"strings"
	"testing"
)

func TestOverBounds(t *testing.T) {
	base := procSample{RSS: 20 << 20, FDs: 10, Threads: 8, Goroutines: 30}
	tests := []struct {
		name string
		cur  procSample
		want string // a substring of the complaint; empty: none
	}{
		{"Settled", procSample{RSS: 60 << 20, FDs: 30, Threads: 20, Goroutines: 45}, ""},
		{"RSS", procSample{RSS: 100 << 20, FDs: 10, Threads: 8, Goroutines: 30}, "RSS"},
		{"Descriptors", procSample{RSS: 20 << 20, FDs: 500, Threads: 8, Goroutines: 30}, "descriptors"},
		{"Threads", procSample{RSS: 20 << 20, FDs: 10, Threads: 100, Goroutines: 30}, "threads"},
		{"Goroutines", procSample{RSS: 20 << 20, FDs: 10, Threads: 8, Goroutines: 400}, "goroutines"},
		{"GoroutinesUnknown", procSample{RSS: 20 << 20, FDs: 10, Threads: 8, Goroutines: -1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(overBounds(base, tt.cur), "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("overBounds = %q, want %q", got, tt.want)
			}
		})
	}
}
