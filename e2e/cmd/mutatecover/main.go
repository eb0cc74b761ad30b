// Command mutatecover adds to a Go coverage profile the code that Go's cover
// tool gives no block although it runs, so that gremlins tests the mutants
// there instead of counting them not covered:
//
//   - the case expressions of a switch whose statement ran (cover counts
//     each case body, not the expressions that choose it);
//   - package-level constant and variable values, which are in effect for
//     every test of a package whose tests ran.
//
// It is an over-estimate where a case is never reached because an earlier
// one always matches; gremlins then runs that mutant and, if no test can
// tell, counts it lived, so the figure errs against the tests, not for them.
//
//	mutatecover -root . coverage.out
//
// scripts/mutate.sh runs it on the profile gremlins gathers; see there.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mutatecover:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mutatecover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the module's root `directory`, holding go.mod")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: mutatecover [-root dir] profile")
	}
	profile := fs.Arg(0)
	module, err := modulePath(filepath.Join(*root, "go.mod"))
	if err != nil {
		return err
	}
	data, err := os.ReadFile(profile) //nolint:gosec // the profile the caller named
	if err != nil {
		return err
	}
	blocks, err := parseProfile(data)
	if err != nil {
		return fmt.Errorf("%s: %w", profile, err)
	}
	var extra bytes.Buffer
	for _, name := range slices.Sorted(maps.Keys(blocks)) {
		rel, ok := strings.CutPrefix(name, module+"/")
		if !ok {
			continue // outside the module: not gremlins' business
		}
		added, err := widen(filepath.Join(*root, filepath.FromSlash(rel)), blocks[name], packageRan(blocks, name))
		if err != nil {
			return err
		}
		for _, b := range added {
			fmt.Fprintf(&extra, "%s:%d.%d,%d.%d 0 1\n", name, b.start.line, b.start.col, b.end.line, b.end.col)
		}
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	return os.WriteFile(profile, append(data, extra.Bytes()...), 0o600) //nolint:gosec // the profile the caller named
}

// pos is a line and column, both from 1, as in a coverage profile.
type pos struct{ line, col int }

func (p pos) before(q pos) bool { return p.line < q.line || p.line == q.line && p.col <= q.col }

// block is a span of a file and whether it ran.
type block struct {
	start, end pos
	ran        bool
}

func (b block) holds(p pos) bool { return b.ran && b.start.before(p) && p.before(b.end) }

// parseProfile reads a coverage profile into the blocks of each file.
func parseProfile(data []byte) (map[string][]block, error) {
	files := map[string][]block{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 && strings.HasPrefix(line, "mode:") || line == "" {
			continue
		}
		var b block
		var stmts, count int
		i := strings.LastIndex(line, ".go:")
		if i < 0 {
			return nil, fmt.Errorf("line %d: %q is not a block", n, line)
		}
		name := line[:i+3]
		if _, err := fmt.Sscanf(line[i+4:], "%d.%d,%d.%d %d %d",
			&b.start.line, &b.start.col, &b.end.line, &b.end.col, &stmts, &count); err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", n, line, err)
		}
		b.ran = count > 0
		files[name] = append(files[name], b)
	}
	return files, sc.Err()
}

// packageRan reports whether any block of the package of file ran.
func packageRan(files map[string][]block, file string) bool {
	for name, blocks := range files {
		if path.Dir(name) != path.Dir(file) {
			continue
		}
		if slices.ContainsFunc(blocks, func(b block) bool { return b.ran }) {
			return true
		}
	}
	return false
}

// widen returns the spans of the file at filename that ran without a block
// of their own: see the package comment.
func widen(filename string, blocks []block, packageRan bool) ([]block, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	at := func(p token.Pos) pos {
		position := fset.Position(p)
		return pos{position.Line, position.Column}
	}
	ran := func(p token.Pos) bool {
		return slices.ContainsFunc(blocks, func(b block) bool { return b.holds(at(p)) })
	}
	span := func(from, to ast.Node) block { return block{start: at(from.Pos()), end: at(to.End()), ran: true} }
	var added []block
	if packageRan {
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST && gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				for _, v := range spec.(*ast.ValueSpec).Values {
					// A function literal's body has blocks of its own.
					if !hasFuncLit(v) {
						added = append(added, span(v, v))
					}
				}
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok || !ran(sw.Pos()) {
			return true
		}
		for _, stmt := range sw.Body.List {
			if cc := stmt.(*ast.CaseClause); len(cc.List) > 0 {
				added = append(added, span(cc.List[0], cc.List[len(cc.List)-1]))
			}
		}
		return true
	})
	return added, nil
}

func hasFuncLit(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			found = true
		}
		return !found
	})
	return found
}

// modulePath reads the module line of a go.mod file.
func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod) //nolint:gosec // the go.mod under -root
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(data)) {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
}
