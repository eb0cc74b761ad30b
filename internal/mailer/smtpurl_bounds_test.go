package mailer

import "testing"

// TestParseSMTPURL_PortBounds: ports 1 and 65535 are ports; 0 and 65536
// are not (TestParseSMTPURL_Invalid checks how they are refused).
func TestParseSMTPURL_PortBounds(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		port int
		ok   bool
	}{
		{"smtp://host:1", 1, true},
		{"smtp://host:65535", 65535, true},
		{"smtp://host:0", 0, false},
		{"smtp://host:65536", 0, false},
	} {
		got, err := ParseSMTPURL(tt.raw)
		if (err == nil) != tt.ok || (tt.ok && got.Port != tt.port) {
			t.Errorf("ParseSMTPURL(%q) = port %d, %v; want port %d, ok %v", tt.raw, got.Port, err, tt.port, tt.ok)
		}
	}
}
