package main

import (
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	tests := []struct {
		name   string
		fill   func(r *report)
		want   []string
		passed bool
	}{
		{"AllPass", func(r *report) {
			r.check("files", true, "3 identical")
			r.skip("goroutines", "no /metrics")
		}, []string{"PASS  files: 3 identical", "SKIP  goroutines: no /metrics", "result: PASS"}, true},
		{"OneFails", func(r *report) {
			r.check("files", true, "")
			r.check("emails", false, "1 missing"+samples([]string{"#4 never delivered"}))
		}, []string{"FAIL  emails: 1 missing", "          #4 never delivered", "result: FAIL"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReport("soak test")
			r.printf("body line\n")
			tt.fill(r)
			var out strings.Builder
			r.write(&out)
			for _, want := range append(tt.want, "== soak test ==", "body line") {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
			if got := r.passed(); got != tt.passed {
				t.Errorf("passed = %v, want %v", got, tt.passed)
			}
		})
	}
}
