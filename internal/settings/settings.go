// Package settings reads a program's settings from flags and environment
// variables. Each setting is declared once, as a row of a table with its
// name, default, help and check; flags, environment fallbacks, -h and error
// messages all follow from the row.
package settings

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Setting is one row of a table.
type Setting struct {
	// Name is the environment variable. The flag is the name in lower case
	// with dashes: HTTP_ADDR is -http-addr.
	Name, Default, Help string
	// Set checks a value and stores it, as the functions of this package
	// make it do. Its error must not repeat a Secret value.
	Set func(string) error
	// Secret settings are read from the environment only, as flags show in
	// the process list to every user of the machine.
	Secret bool
}

// Load sets every setting of table from its flag in args, else its
// variable from getenv (empty counts as unset), else its default. It sets
// them in table order, so a Set may use the settings above its own. The
// first value refused stops it with an error naming the flag or variable.
// The flags join those already on fs, and -h prints them all.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string, table []Setting) error {
	values, from := make([]string, len(table)), make([]string, len(table))
	for i, s := range table {
		values[i], from[i] = cmp.Or(getenv(s.Name), s.Default), s.Name
		if !s.Secret {
			name := strings.ReplaceAll(strings.ToLower(s.Name), "_", "-")
			fs.Func(name, fmt.Sprintf("%s (env %s, default %q)", s.Help, s.Name, s.Default), func(v string) error {
				values[i], from[i] = v, "-"+name
				return nil
			})
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for i, s := range table {
		if err := s.Set(values[i]); err != nil {
			return fmt.Errorf("%s: %w", from[i], err)
		}
	}
	return nil
}

// The functions below make a Setting's Set: each parses a value, checks it
// and stores it in *p, which a refused value leaves as it was.

// String takes any value.
func String(p *string) func(string) error {
	return func(s string) error { *p = s; return nil }
}

// NonEmpty takes any value but empty or blank.
func NonEmpty(p *string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("must not be empty")
		}
		*p = s
		return nil
	}
}

// Optional takes empty, leaving the setting at its zero value, or what set
// takes.
func Optional(set func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return set(s)
	}
}

// OneOf takes one of choices.
func OneOf(p *string, choices ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(choices, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(choices, ", "))
		}
		*p = s
		return nil
	}
}

// HostPort takes a listen address such as :8080.
func HostPort(p *string) func(string) error {
	return func(s string) error {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return fmt.Errorf("%q is not host:port, such as :8080 or 127.0.0.1:9090", s)
		}
		*p = s
		return nil
	}
}

// HTTPURL takes an absolute http or https URL.
func HTTPURL(p *string) func(string) error {
	return func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an absolute http(s) URL", s)
		}
		*p = s
		return nil
	}
}

// Bool takes what strconv.ParseBool does: true, false, 1, 0 and the like.
func Bool(p *bool) func(string) error {
	return func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		*p = b
		return nil
	}
}

// Duration takes a Go duration (30s, 2m) of at least lo.
func Duration(p *time.Duration, lo time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 2m", s)
		} else if d < lo {
			return fmt.Errorf("must be at least %s, got %s", lo, s)
		}
		*p = d
		return nil
	}
}

// Int takes a whole number from lo to hi.
func Int(p *int, lo, hi int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		} else if n < lo || n > hi {
			return fmt.Errorf("must be between %d and %d, got %s", lo, hi, s)
		}
		*p = n
		return nil
	}
}

// Float takes a number from lo to hi.
func Float(p *float64, lo, hi float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number such as 10 or 0.5", s)
		} else if !(f >= lo && f <= hi) { // NaN too
			return fmt.Errorf("must be between %g and %g, got %s", lo, hi, s)
		}
		*p = f
		return nil
	}
}

// Size takes a byte count from lo to hi: a whole number with an optional
// B, KiB, MiB or GiB (512KiB, 1 GiB).
func Size[T ~int | ~int64](p *T, lo, hi int64) func(string) error {
	return func(s string) error {
		num, unit := strings.TrimSpace(s), int64(1)
		for i, suffix := range []string{"KiB", "MiB", "GiB"} {
			if n, ok := strings.CutSuffix(num, suffix); ok {
				num, unit = strings.TrimSpace(n), 1<<(10*(i+1))
				break
			}
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(num, "B"), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a size such as 1048576, 512KiB or 100MiB", s)
		} else if n > hi/unit || n*unit < lo {
			return fmt.Errorf("must be between %d and %d bytes, got %s", lo, hi, s)
		}
		*p = T(n * unit)
		return nil
	}
}

// Func takes what parse takes and stores what it makes of it.
func Func[T any](p *T, parse func(string) (T, error)) func(string) error {
	return func(s string) error {
		v, err := parse(s)
		if err != nil {
			return err
		}
		*p = v
		return nil
	}
}

// List takes a comma-separated list, each item read by parse; empty items
// are skipped, and an empty list is nil.
func List[T any](p *[]T, parse func(string) (T, error)) func(string) error {
	return func(s string) error {
		var items []T
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			v, err := parse(item)
			if err != nil {
				return err
			}
			items = append(items, v)
		}
		*p = items
		return nil
	}
}

// Parsers for List and Func.

// Origin reads an exact origin, or "*", lowercased and without a trailing
// slash as browsers send it.
func Origin(s string) (string, error) {
	u, err := url.Parse(s)
	if s == "*" {
		return s, nil
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		!strings.EqualFold(u.Scheme+"://"+u.Host, strings.TrimSuffix(s, "/")) {
		return "", fmt.Errorf("%q is not an origin such as https://app.example.com", s)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// CIDR reads a network such as 10.0.0.0/8.
func CIDR(s string) (*net.IPNet, error) {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
	}
	return n, nil
}

// BareHost reads a host name without scheme, port, path or user.
func BareHost(s string) (string, error) {
	if strings.ContainsAny(s, "/:@\\ ") {
		return "", fmt.Errorf("%q is not a bare host name", s)
	}
	return s, nil
}
