package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// procSample is what the soak watches of a service process for leaks. The
// service has no debug endpoint, so it reads the kernel's view (/proc) and,
// where the service exports Prometheus metrics, its goroutine count.
type procSample struct {
	RSS        int64 // resident memory, bytes
	Threads    int
	FDs        int // open file descriptors: sockets and files
	Goroutines int // -1 when the service exports no go_goroutines
}

// sampleProcess reads pid's memory, threads and descriptors from /proc.
func sampleProcess(pid int) (procSample, error) {
	s := procSample{Goroutines: -1}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("read process status: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			s.RSS = n << 10 // the kernel reports kB
		case "Threads":
			s.Threads = int(n)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, fmt.Errorf("list process descriptors: %w", err)
	}
	s.FDs = len(fds)
	return s, nil
}

// goroutines reads go_goroutines from the service's /metrics, or returns -1
// when it has none.
func goroutines(ctx context.Context, client *http.Client, base string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return -1
	}
	resp, err := client.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -1
	}
	return parseGoroutines(io.LimitReader(resp.Body, 4<<20))
}

// parseGoroutines finds the go_goroutines gauge in the Prometheus text
// format, or returns -1.
func parseGoroutines(r io.Reader) int {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[0] == "go_goroutines" {
			n, err := strconv.ParseFloat(fields[1], 64)
			if err == nil {
				return int(n)
			}
		}
	}
	return -1
}
