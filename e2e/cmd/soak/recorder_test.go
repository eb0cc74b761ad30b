package main

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"Empty", nil, 0.5, -1},
		{"One", ms(7), 0.99, 7 * time.Millisecond},
		{"Median", ms(5, 1, 3, 2, 4), 0.5, 3 * time.Millisecond},
		{"P99OfHundred", ms(make([]int, 99)...), 0.99, 0},
		{"Max", ms(1, 2, 3, 4), 1, 4 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("percentile = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRecorder(t *testing.T) {
	r := newRecorder(2)
	first, second, third := r.take(), r.take(), r.take()
	if !first || !second || third {
		t.Error("take: want two requests of budget, then none")
	}
	r.status("GET /a", 200, time.Millisecond, "", 200)
	r.status("GET /a", 500, time.Millisecond, "req 1", 200)
	r.failure("POST /upload", "aborted", errAborted, true)
	r.failure("POST /upload", "error", errors.New("reset"), false)
	r.check("GET /download/:id", errors.New("byte 3 differs"))

	n, samples := r.problems()
	if n != 3 || len(samples) != 3 {
		t.Errorf("problems = %d %q, want 3", n, samples)
	}
	if got := r.count("POST /upload", "aborted"); got != 1 {
		t.Errorf("aborted = %d, want 1", got)
	}
}
