// Command echo-v5 rewrites the Go code of this service from Echo v4 to
// Echo v5. It reads the v4 code in -src, type-checks it, and writes each
// file that uses Echo, rewritten, to the same path under -out, a copy of
// the tree:
//
//	go run ./scripts/echo-v5 -out build/echo-v5 [packages]
//
// The packages default to ./..., the whole module.
//
// scripts/echo-v5.sh makes the copy, runs this, moves go.mod to Echo v5 and
// builds, vets and tests the result; `make echo-v5` runs it.
//
// The rules (rules.go) match what the v4 code means, found through its
// types, not how it is spelled, so they hold as the code changes. Where v5
// dropped something the code relies on, a rewritten file calls a helper
// (helpers.go) that keeps v4's behaviour on v5's API. What no rule can port
// is listed, and the command fails; code that breaks in a way no rule
// knows fails to compile in the copy, which the script reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const (
	echoV4 = "github.com/labstack/echo/v4"
	echoV5 = "github.com/labstack/echo/v5"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "echo-v5:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("echo-v5", flag.ContinueOnError)
	src := flags.String("src", ".", "the module root of the Echo v4 service")
	out := flags.String("out", "", "the copy of that tree to rewrite, file by file")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("usage: echo-v5 [-src DIR] -out DIR [packages]")
	}
	patterns := flags.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	fset := token.NewFileSet()
	units, err := load(ctx, *src, patterns, fset)
	if err != nil {
		return err
	}
	log := &report{rules: map[string]map[string]int{}}
	for _, u := range units {
		if err := rewriteUnit(u, fset, *out, log); err != nil {
			return err
		}
	}
	log.print(stdout)
	if len(log.problems) > 0 {
		return fmt.Errorf("%d places need porting by hand:\n  %s", len(log.problems), strings.Join(log.problems, "\n  "))
	}
	return nil
}

// rewriteUnit rewrites the files of one unit into out, and adds the
// helpers they call.
func rewriteUnit(u *unit, fset *token.FileSet, out string, log *report) error {
	need := map[bool]map[string]bool{false: {}, true: {}} // by whether a _test.go file calls it
	for _, f := range u.files {
		r := newFileRewriter(u, f, fset, log)
		src, err := r.rewrite()
		if err != nil {
			return err
		}
		if src, err = finish(u.rel[f], src); err != nil {
			return err
		}
		if err := writeOver(filepath.Join(out, u.rel[f]), src); err != nil {
			return err
		}
		for h := range r.helpers {
			need[u.test || strings.HasSuffix(u.rel[f], "_test.go")][h] = true
		}
	}
	dir := filepath.Join(out, filepath.Dir(u.rel[u.files[0]]))
	files := map[string][]string{
		"echov5.go":      slices.Sorted(maps.Keys(need[false])),
		"echov5_test.go": slices.Sorted(maps.Keys(need[true])),
	}
	files["echov5_test.go"] = slices.DeleteFunc(files["echov5_test.go"], func(h string) bool { return need[false][h] })
	if u.test {
		files = map[string][]string{"echov5_ext_test.go": files["echov5_test.go"]}
	}
	for name, hs := range files {
		if len(hs) == 0 {
			continue
		}
		for _, h := range hs {
			if u.pkg.Scope().Lookup(h) != nil {
				return fmt.Errorf("%s already declares %s, the name of a helper of the rewrite; rename it", u.pkg.Path(), h)
			}
		}
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s exists already: is this tree already on Echo v5?", path)
		}
		src, err := finish(name, helperFile(u.pkg.Name(), hs))
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, src, 0o644); err != nil { //nolint:gosec // source code, read by all
			return err
		}
		log.did("helpers added: "+strings.Join(hs, ", "), filepath.Join(filepath.Dir(u.rel[u.files[0]]), name))
	}
	return nil
}

// writeOver replaces the copy of a file; the copy must exist, or -out is
// not a copy of -src.
func writeOver(path string, src []byte) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("-out is not a copy of -src: %w", err)
	}
	return os.WriteFile(path, src, 0o644) //nolint:gosec // source code, read by all
}

// report collects what the rules did, and what they could not do.
type report struct {
	order    []string
	rules    map[string]map[string]int // rule → file → times
	problems []string
}

func (r *report) did(rule, file string) {
	if r.rules[rule] == nil {
		r.rules[rule] = map[string]int{}
		r.order = append(r.order, rule)
	}
	r.rules[rule][file]++
}

func (r *report) problem(msg string) { r.problems = append(r.problems, msg) }

func (r *report) print(w io.Writer) {
	for _, rule := range r.order {
		n := 0
		for _, k := range r.rules[rule] {
			n += k
		}
		files := slices.Sorted(maps.Keys(r.rules[rule]))
		where := strings.Join(files, ", ")
		if len(files) > 3 {
			where = fmt.Sprintf("%d files", len(files))
		}
		fmt.Fprintf(w, "%4d× %s (%s)\n", n, rule, where)
	}
}
