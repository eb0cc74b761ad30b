package main

import (
	"os"
	"strings"
	"testing"
)

func TestSampleProcessReadsItself(t *testing.T) {
	s, err := sampleProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 || s.Threads <= 0 || s.FDs <= 0 {
		t.Errorf("sample = %+v, want positive RSS, threads and descriptors", s)
	}
}

func TestParseGoroutines(t *testing.T) {
	tests := []struct {
		name, text string
		want       int
	}{
		{"Present", "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 42\n", 42},
		{"Absent", "go_threads 7\n", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseGoroutines(strings.NewReader(tt.text)); got != tt.want {
				t.Errorf("parseGoroutines = %d, want %d", got, tt.want)
			}
		})
	}
}
