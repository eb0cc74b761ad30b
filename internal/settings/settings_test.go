package settings

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vars is a small program's settings, in a table like a service's.
type vars struct {
	addr   string
	wait   time.Duration
	secret string
}

func (v *vars) table() []Setting {
	return []Setting{
		{Name: "HTTP_ADDR", Default: ":8080", Help: "listen address", Set: HostPort(&v.addr)},
		{Name: "WAIT", Default: "1s", Help: "how long to wait", Set: Duration(&v.wait, time.Millisecond)},
		{Name: "TOKEN", Help: "a password", Set: NonEmpty(&v.secret), Secret: true},
	}
}

func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func load(args []string, getenv func(string) string) (vars, error) {
	var v vars
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return v, Load(fs, args, getenv, v.table())
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want vars
	}{
		{"Defaults", nil, []string{"TOKEN", "t"}, vars{":8080", time.Second, "t"}},
		{"Environment", nil, []string{"HTTP_ADDR", ":9000", "WAIT", "2s", "TOKEN", "t"}, vars{":9000", 2 * time.Second, "t"}},
		{"EmptyIsUnset", nil, []string{"HTTP_ADDR", "", "TOKEN", "t"}, vars{":8080", time.Second, "t"}},
		{"FlagWins", []string{"-http-addr", ":7000"}, []string{"HTTP_ADDR", ":9000", "TOKEN", "t"}, vars{":7000", time.Second, "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(tt.args, env(tt.env...))
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string // what the error must name
	}{
		{"BadVariable", nil, []string{"WAIT", "soon", "TOKEN", "t"}, "WAIT: "},
		{"BadFlag", []string{"-wait", "soon"}, []string{"WAIT", "2s", "TOKEN", "t"}, "-wait: "},
		{"TooShort", nil, []string{"WAIT", "0s", "TOKEN", "t"}, "WAIT: must be at least 1ms"},
		{"BadDefault", nil, nil, "TOKEN: must not be empty"},
		{"SecretIsNoFlag", []string{"-token", "t"}, nil, "-token"},
		{"Argument", []string{"extra"}, []string{"TOKEN", "t"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.args, env(tt.env...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one with %q", err, tt.want)
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	var v vars
	var out bytes.Buffer
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(&out)
	if err := Load(fs, []string{"-h"}, env(), v.table()); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if got := out.String(); !strings.Contains(got, `-wait value`) || !strings.Contains(got, `how long to wait (env WAIT, default "1s")`) ||
		strings.Contains(got, "TOKEN") {
		t.Errorf("usage =\n%s\nwant -wait with its help, variable and default, and no secret", got)
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1024", 1024}, {"512B", 512}, {"4KiB", 4 << 10}, {"100MiB", 100 << 20}, {"1 GiB", 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got int64
			if err := Size(&got, 1, 1<<40)(tt.in); err != nil || got != tt.want {
				t.Errorf("Size(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "0", "-1", "1.5MiB", "10MB", "4KiBKiB", "2TiB", "9999999999GiB"} {
		var n int
		if err := Size(&n, 1, 1<<40)(bad); err == nil {
			t.Errorf("Size(%q) = %d, want an error", bad, n)
		}
	}
}

func TestNumbers(t *testing.T) {
	var n int
	var f float64
	var d time.Duration
	for _, tt := range []struct {
		name string
		set  func(string) error
		in   string
		ok   bool
	}{
		{"Int", Int(&n, 1, 10), "10", true},
		{"IntAbove", Int(&n, 1, 10), "11", false},
		{"IntNotNumber", Int(&n, 1, 10), "four", false},
		{"Float", Float(&f, 0.5, 10), "0.5", true},
		{"FloatNaN", Float(&f, 0.5, 10), "NaN", false},
		{"FloatInf", Float(&f, 0.5, 10), "Inf", false},
		{"Duration", Duration(&d, 0), "0s", true},
		{"DurationNegative", Duration(&d, 0), "-1s", false},
	} {
		if err := tt.set(tt.in); (err == nil) != tt.ok {
			t.Errorf("%s(%q) = %v, want ok %v", tt.name, tt.in, err, tt.ok)
		}
	}
	if n != 10 || f != 0.5 || d != 0 {
		t.Errorf("stored %d, %g, %s; want the last good values 10, 0.5, 0s", n, f, d)
	}
}

func TestList(t *testing.T) {
	got := []string{"stale"}
	upper := func(s string) (string, error) {
		if s == "bad" {
			return "", errors.New("bad item")
		}
		return strings.ToUpper(s), nil
	}
	if err := List(&got, upper)(" a, ,b "); err != nil || strings.Join(got, ",") != "A,B" {
		t.Errorf("List = %q, %v; want [A B]", got, err)
	}
	if err := List(&got, upper)("c,bad"); err == nil || strings.Join(got, ",") != "A,B" {
		t.Errorf("List with a bad item = %q, %v; want its error and the list as it was", got, err)
	}
}

func TestStrings(t *testing.T) {
	var s string
	for _, tt := range []struct {
		name string
		set  func(string) error
		in   string
		ok   bool
	}{
		{"HostPort", HostPort(&s), ":8080", true},
		{"HostPortNoColon", HostPort(&s), "8080", false},
		{"HostPortEmpty", HostPort(&s), "", false},
		{"OptionalEmpty", Optional(HostPort(&s)), "", true},
		{"OptionalBad", Optional(HostPort(&s)), "8080", false},
		{"OneOf", OneOf(&s, "json", "text"), "text", true},
		{"OneOfOther", OneOf(&s, "json", "text"), "xml", false},
		{"NonEmptyBlank", NonEmpty(&s), " ", false},
		{"HTTPURL", HTTPURL(&s), "https://example.com/", true},
		{"HTTPURLRelative", HTTPURL(&s), "/path", false},
	} {
		if err := tt.set(tt.in); (err == nil) != tt.ok {
			t.Errorf("%s(%q) = %v, want ok %v", tt.name, tt.in, err, tt.ok)
		}
	}
	if s != "https://example.com/" {
		t.Errorf("stored %q, want the last good value", s)
	}
}

func TestFunc(t *testing.T) {
	var n int
	if err := Func(&n, strconv.Atoi)("42"); err != nil || n != 42 {
		t.Errorf("Func = %d, %v; want 42", n, err)
	}
	if err := Func(&n, strconv.Atoi)("x"); err == nil || n != 42 {
		t.Errorf("Func(x) = %d, %v; want its error and 42 kept", n, err)
	}
}
