package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// logCheck is what a service's log says about the run.
type logCheck struct {
	lines      int
	errors     int // ERROR lines in all
	excused    int // ERROR lines during or just after a fault
	unexpected int // ERROR lines outside faults, and lines that are not JSON
	samples    []string
}

// scanLog reads a service log (JSON lines) and counts its ERROR lines. One
// written while a fault was in force, or soon after as the service recovers,
// is excused; any other, and any line that is not JSON (a panic's stack),
// is a problem.
func scanLog(path string, faults *faultLog) (logCheck, error) {
	f, err := os.Open(path) //nolint:gosec // the soak's own log file
	if err != nil {
		return logCheck{}, fmt.Errorf("open service log: %w", err)
	}
	defer f.Close()
	var c logCheck
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		c.lines++
		var line struct {
			Time  time.Time `json:"time"`
			Level string    `json:"level"`
			Msg   string    `json:"msg"`
			Err   string    `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			c.problem(fmt.Sprintf("not a JSON log line: %.200s", sc.Text()))
			continue
		}
		if line.Level != "ERROR" {
			continue
		}
		c.errors++
		if faults.duringAny(line.Time, 2*time.Second, 10*time.Second) {
			c.excused++
			continue
		}
		c.problem(strings.TrimSpace(fmt.Sprintf("%s %s %s", line.Time.Format("15:04:05.000"), line.Msg, line.Err)))
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("read service log: %w", err)
	}
	return c, nil
}

func (c *logCheck) problem(p string) {
	c.unexpected++
	if len(c.samples) < maxSamples && !slices.Contains(c.samples, p) {
		c.samples = append(c.samples, p)
	}
}
