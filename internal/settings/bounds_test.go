package settings

import (
	"math"
	"net"
	"testing"
	"time"
)

// TestBounds: every parser takes its bounds themselves and refuses the
// nearest value past each; a limit off by one is a setting that refuses
// its own documented range, or lets through one more than it says.
func TestBounds(t *testing.T) {
	var n int
	var n64 int64
	var f float64
	var d time.Duration
	for _, tt := range []struct {
		name string
		set  func(string) error
		in   string
		ok   bool
	}{
		{"IntLow", Int(&n, 1, 10), "1", true},
		{"IntBelow", Int(&n, 1, 10), "0", false},
		{"IntHigh", Int(&n, 1, 10), "10", true},
		{"IntAbove", Int(&n, 1, 10), "11", false},
		{"FloatLow", Float(&f, 0.5, 10), "0.5", true},
		{"FloatBelow", Float(&f, 0.5, 10), "0.49", false},
		{"FloatHigh", Float(&f, 0.5, 10), "10", true},
		{"FloatAbove", Float(&f, 0.5, 10), "10.01", false},
		{"DurationLow", Duration(&d, time.Second), "1s", true},
		{"DurationBelow", Duration(&d, time.Second), "999ms", false},
		{"SizeLow", Size(&n64, 512, 4<<10), "512", true},
		{"SizeBelow", Size(&n64, 512, 4<<10), "511B", false},
		{"SizeHigh", Size(&n64, 512, 4<<10), "4KiB", true},
		{"SizeAbove", Size(&n64, 512, 4<<10), "4097", false},
		{"SizeAboveInUnits", Size(&n64, 512, 4<<10), "5KiB", false},
		{"SizeBelowInUnits", Size(&n64, 2<<10, 4<<10), "1KiB", false},
		{"SizeMiBHigh", Size(&n64, 1, 3<<20), "3MiB", true},
		{"SizeGiB", Size(&n64, 1, 2<<30), "2GiB", true},
	} {
		if err := tt.set(tt.in); (err == nil) != tt.ok {
			t.Errorf("%s(%q) = %v, want ok %v", tt.name, tt.in, err, tt.ok)
		}
	}
	if n != 10 || f != 10 || d != time.Second || n64 != 2<<30 {
		t.Errorf("stored %d, %g, %s, %d; want the last good values 10, 10, 1s, %d", n, f, d, n64, int64(2<<30))
	}
	if err := Float(&f, 0, math.MaxFloat64)("NaN"); err == nil {
		t.Error("Float(NaN) was taken")
	}
}

func TestBool(t *testing.T) {
	b := false
	for _, tt := range []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"true", true, false}, {"0", false, false}, {"1", true, false}, {"maybe", true, true},
	} {
		err := Bool(&b)(tt.in)
		if (err != nil) != tt.wantErr || b != tt.want {
			t.Errorf("Bool(%q) = %v, %v; want %v, error %v", tt.in, b, err, tt.want, tt.wantErr)
		}
	}
}

func TestHTTPURLSchemes(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"http://example.com", true},
		{"https://example.com/x", true},
		{"ftp://example.com/", false},
		{"https://", false},
		{"::", false},
	} {
		var s string
		if err := HTTPURL(&s)(tt.in); (err == nil) != tt.ok || (tt.ok && s != tt.in) {
			t.Errorf("HTTPURL(%q) = %q, %v; want ok %v", tt.in, s, err, tt.ok)
		}
	}
}

func TestOrigin(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"*", "*"},
		{"https://App.Example.com", "https://app.example.com"},
		{"http://localhost:8080/", "http://localhost:8080"},
		{"HTTP://localhost:3000", "http://localhost:3000"},
	} {
		if got, err := Origin(tt.in); err != nil || got != tt.want {
			t.Errorf("Origin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{
		"", "localhost:8080", "ftp://a.example", "https://", "https://a.example/app",
		"https://a.example?x=1", "https://user@a.example", "%zz", "**",
	} {
		if got, err := Origin(bad); err == nil {
			t.Errorf("Origin(%q) = %q, want an error", bad, got)
		}
	}
}

func TestCIDRAndBareHost(t *testing.T) {
	n, err := CIDR("10.0.0.0/8")
	if err != nil || !n.Contains(net.ParseIP("10.9.8.7")) || n.Contains(net.ParseIP("11.0.0.1")) {
		t.Errorf("CIDR(10.0.0.0/8) = %v, %v", n, err)
	}
	if _, err := CIDR("10.0.0.0"); err == nil {
		t.Error("CIDR(10.0.0.0) without a prefix length was taken")
	}
	if h, err := BareHost("echo.labstack.com"); err != nil || h != "echo.labstack.com" {
		t.Errorf("BareHost = %q, %v", h, err)
	}
	for _, bad := range []string{"https://a.example", "a.example:443", "a.example/x", "u@a.example", `a\b`, "a b"} {
		if _, err := BareHost(bad); err == nil {
			t.Errorf("BareHost(%q) was taken", bad)
		}
	}
}
