package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// report is what one scenario prints: what happened, then one line per
// check, PASS, FAIL or SKIP.
type report struct {
	title  string
	body   bytes.Buffer
	checks []checkResult
}

type checkResult struct {
	verdict string // PASS, FAIL or SKIP
	name    string
	detail  string
}

func newReport(title string) *report { return &report{title: title} }

// printf adds to the body of the report.
func (r *report) printf(format string, args ...any) {
	fmt.Fprintf(&r.body, format, args...)
}

// check records a check and its outcome; detail says what was found.
func (r *report) check(name string, ok bool, detail string) {
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	r.checks = append(r.checks, checkResult{verdict, name, detail})
}

// skip records a check that could not be made, and why.
func (r *report) skip(name, reason string) {
	r.checks = append(r.checks, checkResult{"SKIP", name, reason})
}

// passed reports whether no check failed.
func (r *report) passed() bool {
	for _, c := range r.checks {
		if c.verdict == "FAIL" {
			return false
		}
	}
	return true
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "\n== %s ==\n", r.title)
	_, _ = w.Write(r.body.Bytes())
	fmt.Fprintln(w, "checks")
	for _, c := range r.checks {
		detail := strings.ReplaceAll(c.detail, "\n", "\n          ")
		fmt.Fprintf(w, "  %s  %s: %s\n", c.verdict, c.name, detail)
	}
	result := "PASS"
	if !r.passed() {
		result = "FAIL"
	}
	fmt.Fprintf(w, "result: %s\n", result)
}

// samples formats a few problems, one a line, for a check's detail.
func samples(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	if len(problems) > maxSamples {
		problems = append(problems[:maxSamples:maxSamples], fmt.Sprintf("... and %d more", len(problems)-maxSamples))
	}
	return "\n" + strings.Join(problems, "\n")
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
