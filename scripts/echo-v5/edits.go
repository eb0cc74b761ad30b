package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
)

// edit replaces the source bytes [start, end) with text; start == end
// inserts.
type edit struct {
	start, end int
	text       string
}

// editSet collects the edits of one file. Rules never see each other's
// output: each edit is made on the original source, so two edits that
// touch the same bytes are a conflict, reported rather than guessed at.
type editSet struct {
	fset  *token.FileSet
	src   []byte
	base  int // the token.Pos of the file's first byte
	edits []edit
}

func newEditSet(fset *token.FileSet, f *ast.File, src []byte) *editSet {
	return &editSet{fset: fset, src: src, base: fset.File(f.Pos()).Base()}
}

func (s *editSet) off(p token.Pos) int { return int(p) - s.base }

// text is the original source of [from, to).
func (s *editSet) text(from, to token.Pos) string {
	return string(s.src[s.off(from):s.off(to)])
}

func (s *editSet) nodeText(n ast.Node) string { return s.text(n.Pos(), n.End()) }

func (s *editSet) replace(from, to token.Pos, text string) {
	s.edits = append(s.edits, edit{s.off(from), s.off(to), text})
}

func (s *editSet) insert(at token.Pos, text string) { s.replace(at, at, text) }

// deleteLines deletes n with the lines it stands on, when nothing else
// shares them, and only n otherwise.
func (s *editSet) deleteLines(n ast.Node) {
	s.deleteRange(s.off(n.Pos()), s.off(n.End()))
}

// deleteElement deletes an element of a list with the comma after it.
func (s *editSet) deleteElement(n ast.Node) {
	end := s.off(n.End())
	rest := bytes.TrimLeft(s.src[end:], " \t")
	if len(rest) > 0 && rest[0] == ',' {
		end = len(s.src) - len(rest) + 1
	}
	s.deleteRange(s.off(n.Pos()), end)
}

func (s *editSet) deleteRange(start, end int) {
	ls := bytes.LastIndexByte(s.src[:start], '\n') + 1
	le := bytes.IndexByte(s.src[end:], '\n')
	if le < 0 {
		le = len(s.src) - end
	}
	if len(bytes.TrimSpace(s.src[ls:start])) == 0 && len(bytes.TrimSpace(s.src[end:end+le])) == 0 {
		start, end = ls, end+le+1
	}
	s.edits = append(s.edits, edit{start, end, ""})
}

// apply returns the source with every edit made.
func (s *editSet) apply() ([]byte, error) {
	edits := slices.Clone(s.edits)
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	var out bytes.Buffer
	last := 0
	for i, e := range edits {
		if e.start < last {
			p := s.fset.Position(token.Pos(s.base + e.start))
			return nil, fmt.Errorf("%s: two rewrites touch the same code (%q and %q); port it by hand",
				p, edits[i-1].text, e.text)
		}
		out.Write(s.src[last:e.start])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(s.src[last:])
	return out.Bytes(), nil
}

// finish formats src and drops the imports that a rewrite can leave
// unused (errors, when errors.As became asHTTPError, or Echo's middleware
// package when its last use moved into a helper).
func finish(filename string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("rewritten %s does not parse: %w", filename, err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	s := newEditSet(fset, f, src)
	for _, spec := range f.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		name, ok := droppableImports[p]
		if spec.Name != nil {
			name = spec.Name.Name
		}
		if ok && name != "_" && name != "." && !used[name] {
			s.deleteLines(spec)
		}
	}
	if src, err = s.apply(); err != nil {
		return nil, err
	}
	return format.Source(src)
}

// droppableImports are the imports a rewrite can leave unused, with the
// names they are used by.
var droppableImports = map[string]string{
	"errors":               "errors",
	"fmt":                  "fmt",
	"net/http":             "http",
	echoV5:                 "echo",
	echoV5 + "/middleware": "middleware",
}
