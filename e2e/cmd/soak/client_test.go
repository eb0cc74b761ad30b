package main

import (
	"context"
	"strings"
	"testing"
)

func TestLoopbackDialerRefusesOtherHosts(t *testing.T) {
	d := &loopbackDialer{}
	for _, addr := range []string{"192.0.2.1:80", "example.com:80"} {
		t.Run(addr, func(t *testing.T) {
			_, err := d.DialContext(context.Background(), "tcp", addr)
			if err == nil || !strings.Contains(err.Error(), "loopback only") {
				t.Errorf("dial %s = %v, want a refusal", addr, err)
			}
		})
	}
}
