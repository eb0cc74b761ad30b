package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// listed is what `go list -json` says of a package.
type listed struct {
	ImportPath, Dir, Export            string
	GoFiles, TestGoFiles, XTestGoFiles []string
	IgnoredGoFiles                     []string
	Imports, TestImports, XTestImports []string
	Error                              *struct{ Err string }
}

// goList runs `go list -e -json args...` in dir.
func goList(ctx context.Context, dir string, args ...string) ([]listed, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-e", "-json"}, args...)...) //nolint:gosec // go list of the tree being moved
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// unit is one type-checked set of files: a package of the module that
// imports Echo v4, with its in-package tests, or its external test package.
type unit struct {
	pkg   *types.Package
	info  *types.Info
	files []*ast.File
	src   map[*ast.File][]byte
	rel   map[*ast.File]string // the file's path relative to the module root
	// test is true for an external test package: its helpers go in a
	// _test.go file of its own.
	test bool
}

// load finds the packages matching patterns in the module in root that
// import Echo v4, and type-checks each, with its tests, against the export
// data of its imports, which `go list -export` builds (from the build cache
// once `make test` has run).
func load(ctx context.Context, root string, patterns []string, fset *token.FileSet) ([]*unit, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	all, err := goList(ctx, root, patterns...)
	if err != nil {
		return nil, err
	}
	var pkgs []listed
	deps := map[string]bool{}
	for _, p := range all {
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		if ignoredUseEcho(p) {
			return nil, fmt.Errorf("%s: a file that build constraints leave out mentions Echo v4; port it by hand", p.ImportPath)
		}
		if !importsEcho(p.Imports) && !importsEcho(p.TestImports) && !importsEcho(p.XTestImports) {
			continue
		}
		pkgs = append(pkgs, p)
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if imp != p.ImportPath && imp != "C" && imp != "unsafe" {
				deps[imp] = true
			}
		}
	}
	if len(pkgs) == 0 {
		return nil, errors.New("no package imports " + echoV4 + ": is this tree already on Echo v5?")
	}

	exports := map[string]string{}
	listedDeps, err := goList(ctx, root, append([]string{"-export", "-deps"}, slices.Sorted(maps.Keys(deps))...)...)
	if err != nil {
		return nil, err
	}
	for _, p := range listedDeps {
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
	}
	gc := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file) //nolint:gosec // export data go list named
	})

	var units []*unit
	for _, p := range pkgs {
		inPkg, err := check(fset, gc, root, p.ImportPath, p.Dir, slices.Concat(p.GoFiles, p.TestGoFiles), nil)
		if err != nil {
			return nil, err
		}
		units = append(units, inPkg)
		if len(p.XTestGoFiles) > 0 {
			ext, err := check(fset, gc, root, p.ImportPath+"_test", p.Dir, p.XTestGoFiles, inPkg.pkg)
			if err != nil {
				return nil, err
			}
			ext.test = true
			units = append(units, ext)
		}
	}
	return units, nil
}

// check parses and type-checks one unit. self, when set, is the package an
// external test package imports under test.
func check(fset *token.FileSet, gc types.Importer, root, path, dir string, names []string, self *types.Package) (*unit, error) {
	u := &unit{
		info: &types.Info{
			Types:      map[ast.Expr]types.TypeAndValue{},
			Defs:       map[*ast.Ident]types.Object{},
			Uses:       map[*ast.Ident]types.Object{},
			Selections: map[*ast.SelectorExpr]*types.Selection{},
		},
		src: map[*ast.File][]byte{},
		rel: map[*ast.File]string{},
	}
	for _, name := range names {
		filename := filepath.Join(dir, name)
		src, err := os.ReadFile(filename) //nolint:gosec // a file of the package go list named
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, filename)
		if err != nil {
			return nil, err
		}
		u.files = append(u.files, f)
		u.src[f] = src
		u.rel[f] = rel
	}
	var errs []error
	conf := types.Config{
		Importer: importerFunc(func(p string) (*types.Package, error) {
			if self != nil && p == self.Path() {
				return self, nil
			}
			return gc.Import(p)
		}),
		Error: func(err error) { errs = append(errs, err) },
	}
	u.pkg, _ = conf.Check(path, fset, u.files, u.info)
	if len(errs) > 0 {
		return nil, fmt.Errorf("type-check %s as Echo v4 code: %w", path, errors.Join(errs...))
	}
	return u, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

func importsEcho(imports []string) bool {
	return slices.ContainsFunc(imports, isEchoV4Path)
}

func isEchoV4Path(p string) bool {
	return p == echoV4 || strings.HasPrefix(p, echoV4+"/")
}

// ignoredUseEcho reports whether a file that build constraints leave out
// of p mentions Echo v4: the rewrite never sees it, so it would stay on v4.
func ignoredUseEcho(p listed) bool {
	for _, name := range p.IgnoredGoFiles {
		src, err := os.ReadFile(filepath.Join(p.Dir, name)) //nolint:gosec // a file of the package go list named
		if err == nil && bytes.Contains(src, []byte(echoV4)) {
			return true
		}
	}
	return false
}
