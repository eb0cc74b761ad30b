package main

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// fileRewriter applies the rules to one file. Every rule matches on types,
// not on names or lines: a rule finds what the v4 code means (a call of
// Context.Response, a read of HTTPError.Internal) wherever it is written.
type fileRewriter struct {
	*editSet
	u      *unit
	file   *ast.File
	rel    string
	echo   string // the file's name for Echo's package
	parent map[ast.Node]ast.Node
	done   map[ast.Node]bool // nodes a rule rewrote as part of a larger one
	// helpers collects the helpers the rewritten file calls.
	helpers map[string]bool
	log     *report
	// binders counts, per echo.DefaultBinder variable, the method calls
	// rewritten to Echo v5's functions; a variable left with no other use
	// is deleted.
	binders map[types.Object]int
}

func newFileRewriter(u *unit, f *ast.File, fset *token.FileSet, log *report) *fileRewriter {
	r := &fileRewriter{
		editSet: newEditSet(fset, f, u.src[f]),
		u:       u, file: f, rel: u.rel[f],
		echo:    "echo",
		parent:  map[ast.Node]ast.Node{},
		done:    map[ast.Node]bool{},
		helpers: map[string]bool{},
		log:     log,
		binders: map[types.Object]int{},
	}
	for _, spec := range f.Imports {
		if p, _ := strconv.Unquote(spec.Path.Value); p == echoV4 && spec.Name != nil {
			r.echo = spec.Name.Name
		}
	}
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if len(stack) > 0 {
			r.parent[n] = stack[len(stack)-1]
		}
		stack = append(stack, n)
		return true
	})
	return r
}

// rewrite collects the edits of every rule, then returns the new source.
func (r *fileRewriter) rewrite() ([]byte, error) {
	ast.Inspect(r.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec:
			r.importPath(n)
		case *ast.FuncType:
			r.errorHandlerSignature(n)
		case *ast.CallExpr:
			r.call(n)
		case *ast.SelectorExpr:
			r.selector(n)
		case *ast.TypeAssertExpr:
			r.typeAssert(n)
		case *ast.CompositeLit:
			r.compositeLit(n)
		case *ast.AssignStmt:
			r.removedEchoField(n)
		}
		return true
	})
	r.unusedBinders()
	return r.apply()
}

func (r *fileRewriter) did(rule string) { r.log.did(rule, r.rel) }

func (r *fileRewriter) needsHand(n ast.Node, format string, args ...any) {
	p := r.fset.Position(n.Pos())
	r.log.problem(fmt.Sprintf("%s:%d:%d: %s", r.rel, p.Line, p.Column, fmt.Sprintf(format, args...)))
}

// Rule: the import paths.
func (r *fileRewriter) importPath(spec *ast.ImportSpec) {
	p, _ := strconv.Unquote(spec.Path.Value)
	if isEchoV4Path(p) {
		r.replace(spec.Path.Pos(), spec.Path.End(), strconv.Quote(echoV5+strings.TrimPrefix(p, echoV4)))
		r.did("import github.com/labstack/echo/v4 → /v5")
	}
}

// Rule: an error handler takes (c *echo.Context, err error) in v5, the
// other way round from v4's (err error, c echo.Context).
func (r *fileRewriter) errorHandlerSignature(ft *ast.FuncType) {
	if ft.Params == nil || len(ft.Params.List) != 2 {
		return
	}
	errField, ctxField := ft.Params.List[0], ft.Params.List[1]
	if len(errField.Names) > 1 || len(ctxField.Names) > 1 ||
		!isErrorType(r.typeOf(errField.Type)) || !r.isEchoType(ctxField.Type, "Context") {
		return
	}
	ctx := "*" + r.nodeText(ctxField.Type)
	if len(ctxField.Names) == 1 {
		ctx = ctxField.Names[0].Name + " " + ctx
	}
	r.replace(ft.Params.Opening+1, ft.Params.Closing, ctx+", "+r.nodeText(errField))
	r.done[ctxField.Type] = true
	r.did("error handler (err error, c echo.Context) → (c *echo.Context, err error)")
}

func (r *fileRewriter) call(call *ast.CallExpr) {
	fn := r.calledFunc(call)
	sel, _ := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	switch {
	case fn == nil:
		r.errorHandlerCall(call)
	case r.isEchoMethod(fn, "Context", "Response") && len(call.Args) == 0:
		if r.needsEchoResponse(call, 0) {
			r.insert(sel.X.Pos(), "unwrapResponse(")
			r.replace(sel.X.End(), call.End(), ")")
			r.helpers["unwrapResponse"] = true
			r.did("c.Response() used as *echo.Response → unwrapResponse(c)")
		}
	case r.isEchoMethod(fn, "Context", "Error") && len(call.Args) == 1:
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			r.needsHand(call, "Context.Error is gone in v5: call c.Echo().HTTPErrorHandler(c, err)")
			return
		}
		r.replace(sel.Sel.Pos(), call.Lparen+1, "Echo().HTTPErrorHandler("+x.Name+", ")
		r.did("c.Error(err) → c.Echo().HTTPErrorHandler(c, err)")
	case r.isEchoMethod(fn, "HTTPError", "SetInternal", "WithInternal"):
		r.replace(sel.Sel.Pos(), sel.Sel.End(), "Wrap")
		r.did("HTTPError.SetInternal(err) → .Wrap(err)")
	case r.isEchoMethod(fn, "DefaultBinder", "BindQueryParams", "BindPathParams", "BindBody", "BindHeaders"):
		name := map[string]string{"BindPathParams": "BindPathValues"}[fn.Name()]
		if name == "" {
			name = fn.Name()
		}
		r.replace(call.Fun.Pos(), call.Fun.End(), r.echo+"."+name)
		if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok {
			r.binders[r.u.info.Uses[id]]++
		}
		r.did("DefaultBinder.BindX(c, v) → echo.BindX(c, v)")
	case r.isEchoMethod(fn, "Echo", "Routes") && len(call.Args) == 0:
		r.replace(sel.Sel.Pos(), sel.Sel.End(), "Router().Routes")
		r.did("e.Routes() → e.Router().Routes()")
	case r.isEchoMethod(fn, "Echo", "DefaultHTTPErrorHandler") && len(call.Args) == 2:
		r.replace(call.Fun.Pos(), call.Lparen+1, r.echo+".DefaultHTTPErrorHandler(false)(")
		r.swapArgs(call)
		r.did("e.DefaultHTTPErrorHandler(err, c) → echo.DefaultHTTPErrorHandler(false)(c, err)")
	case r.isEchoFunc(fn, echoV4, "NewHTTPError"):
		r.newHTTPError(call)
	case r.isEchoFunc(fn, echoV4, "NewResponse") && len(call.Args) == 2 && r.isEchoType(call.Args[1], "Echo"):
		r.insert(call.Args[1].End(), ".Logger")
		r.did("echo.NewResponse(w, e) → echo.NewResponse(w, e.Logger)")
	case fn.Pkg() != nil && fn.Pkg().Path() == "errors" && fn.Name() == "As" && len(call.Args) == 2 &&
		isPointerTo(r.typeOf(call.Args[1]), 2, echoV4, "HTTPError"):
		r.replace(call.Fun.Pos(), call.Fun.End(), "asHTTPError")
		r.helpers["asHTTPError"] = true
		r.did("errors.As(err, &he) → asHTTPError(err, &he), which also finds v5's predefined errors")
	case r.isEchoFunc(fn, echoV4+"/middleware", "CORS") && len(call.Args) == 0:
		r.insert(call.Rparen, `"*"`)
		r.did(`middleware.CORS() → middleware.CORS("*"), v4's default`)
	case r.isEchoFunc(fn, echoV4+"/middleware", "BodyLimit") && len(call.Args) == 1:
		r.bodyLimit(call.Args[0])
	case r.isEchoFunc(fn, echoV4+"/middleware", "Logger") && len(call.Args) == 0 && sel != nil:
		r.replace(sel.Sel.Pos(), sel.Sel.End(), "RequestLogger")
		r.did("middleware.Logger() → middleware.RequestLogger() (a log/slog line; the format differs)")
	case r.isEchoFunc(fn, echoV4+"/middleware", "LoggerWithConfig"):
		r.needsHand(call, "middleware.LoggerWithConfig is gone in v5: use RequestLoggerWithConfig")
	case r.isEchoFunc(fn, echoV4+"/middleware", "Timeout", "TimeoutWithConfig"):
		r.needsHand(call, "middleware.%s is gone in v5: use http.TimeoutHandler, or ContextTimeout for a deadline on the context", fn.Name())
	default:
		r.errorHandlerCall(call)
	}
}

// errorHandlerCall swaps the arguments of a call of an error handler, a
// function of (error, echo.Context).
func (r *fileRewriter) errorHandlerCall(call *ast.CallExpr) {
	sig, ok := types.Unalias(r.typeOf(call.Fun)).Underlying().(*types.Signature)
	if !ok || sig.Params().Len() != 2 || len(call.Args) != 2 ||
		!isErrorType(sig.Params().At(0).Type()) || !isNamed(sig.Params().At(1).Type(), echoV4, "Context") {
		return
	}
	if r.u.info.Types[call.Fun].IsType() {
		return // a conversion to a handler type
	}
	r.swapArgs(call)
	r.did("handler(err, c) → handler(c, err)")
}

func (r *fileRewriter) swapArgs(call *ast.CallExpr) {
	a, b := call.Args[0], call.Args[1]
	r.replace(a.Pos(), a.End(), r.nodeText(b))
	r.replace(b.Pos(), b.End(), r.nodeText(a))
}

// newHTTPError: v5's NewHTTPError takes exactly one message, a string. A
// v4 call without one gets "" (v5's HTTPError.Error shows the status text
// for it, as v4's message was).
func (r *fileRewriter) newHTTPError(call *ast.CallExpr) {
	switch {
	case call.Ellipsis.IsValid() || len(call.Args) > 2:
		r.needsHand(call, "echo.NewHTTPError takes one string message in v5")
	case len(call.Args) == 1:
		r.insert(call.Rparen, `, ""`)
		r.did(`echo.NewHTTPError(code) → echo.NewHTTPError(code, "")`)
	case !isString(r.typeOf(call.Args[1])):
		r.needsHand(call.Args[1], "echo.NewHTTPError's message is a string in v5")
	}
}

// bodyLimit turns v4's size string ("2M") into v5's byte count.
func (r *fileRewriter) bodyLimit(arg ast.Expr) {
	tv := r.u.info.Types[arg]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		r.needsHand(arg, "the body limit is a number of bytes in v5")
		return
	}
	n, ok := parseSize(constant.StringVal(tv.Value))
	if !ok {
		r.needsHand(arg, "cannot read the body limit %s; give it in bytes", tv.Value)
		return
	}
	r.replace(arg.Pos(), arg.End(), strconv.FormatInt(n, 10))
	r.did(`middleware.BodyLimit("2M") → middleware.BodyLimit(2097152)`)
}

var sizePattern = regexp.MustCompile(`^(\d+)\s*([KMGTP]?)B?$`)

// parseSize reads a size as v4's BodyLimit did: 1024-based multiples.
func parseSize(s string) (int64, bool) {
	m := sizePattern.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	if m[2] != "" {
		n <<= 10 * (strings.Index("KMGTP", m[2]) + 1)
	}
	return n, true
}

func (r *fileRewriter) selector(sel *ast.SelectorExpr) {
	if r.done[sel] {
		return
	}
	if obj, ok := r.u.info.Uses[sel.Sel].(*types.TypeName); ok && isEchoPkg(obj.Pkg()) {
		switch obj.Name() {
		case "Context":
			r.insert(sel.Pos(), "*")
			r.did("echo.Context → *echo.Context")
		case "Map":
			r.replace(sel.Pos(), sel.End(), "map[string]any")
			r.did("echo.Map → map[string]any")
		}
		return
	}
	s := r.u.info.Selections[sel]
	if s == nil || s.Kind() != types.FieldVal {
		return
	}
	switch decl := declaringType(s); {
	case isNamedObj(decl, echoV4, "Response") && sel.Sel.Name == "Writer":
		r.replace(sel.Sel.Pos(), sel.Sel.End(), "ResponseWriter")
		r.did("Response.Writer → Response.ResponseWriter")
	case isNamedObj(decl, echoV4, "HTTPError") && sel.Sel.Name == "Internal":
		if as, ok := r.parent[sel].(*ast.AssignStmt); ok && slices.Contains(as.Lhs, ast.Expr(sel)) {
			r.needsHand(sel, "HTTPError.Internal is unexported in v5: use echo.NewHTTPError(code, msg).Wrap(err)")
			return
		}
		r.replace(sel.Sel.Pos(), sel.Sel.End(), "Unwrap()")
		r.did("he.Internal → he.Unwrap()")
	}
}

// typeAssert: HTTPError.Message is a string in v5, no longer an any.
func (r *fileRewriter) typeAssert(ta *ast.TypeAssertExpr) {
	sel, _ := ast.Unparen(ta.X).(*ast.SelectorExpr)
	if s := r.u.info.Selections[sel]; sel != nil && s != nil && s.Kind() == types.FieldVal && sel.Sel.Name == "Message" &&
		isNamedObj(declaringType(s), echoV4, "HTTPError") {
		if ta.Type == nil || !isString(r.typeOf(ta.Type)) {
			r.needsHand(ta, "HTTPError.Message is a string in v5")
			return
		}
		if r.twoValued(ta) {
			r.replace(ta.X.End(), ta.End(), ", true")
		} else {
			r.replace(ta.X.End(), ta.End(), "")
		}
		r.did("he.Message.(string) → he.Message")
		return
	}
	if ta.Type != nil && isPointerTo(r.typeOf(ta.Type), 1, echoV4, "HTTPError") && isErrorType(r.typeOf(ta.X)) {
		if !r.twoValued(ta) {
			r.needsHand(ta, "err.(*echo.HTTPError) misses v5's predefined errors (echo.ErrNotFound...): use echo.StatusCode(err)")
			return
		}
		r.replace(ta.Pos(), ta.End(), "httpErrorOf("+r.nodeText(ta.X)+")")
		r.helpers["httpErrorOf"] = true
		r.did("he, ok := err.(*echo.HTTPError) → httpErrorOf(err), which also matches v5's predefined errors")
	}
}

// twoValued reports whether e is the one right-hand side of a
// two-variable assignment.
func (r *fileRewriter) twoValued(e ast.Expr) bool {
	switch p := r.parent[e].(type) {
	case *ast.AssignStmt:
		return len(p.Lhs) == 2 && len(p.Rhs) == 1
	case *ast.ValueSpec:
		return len(p.Names) == 2 && len(p.Values) == 1
	}
	return false
}

func (r *fileRewriter) compositeLit(lit *ast.CompositeLit) {
	t := r.typeOf(lit)
	switch {
	case isNamed(t, echoV4+"/middleware", "RecoverConfig"):
		r.recoverConfig(lit)
	case isNamed(t, echoV4+"/middleware", "CORSConfig"):
		r.corsConfig(lit)
	case isNamed(t, echoV4+"/middleware", "RequestLoggerConfig"):
		if kv := field(lit, "LogError"); kv != nil {
			r.deleteElement(kv)
			r.did("RequestLoggerConfig.LogError → deleted: v5 always sets RequestLoggerValues.Error")
		}
	case isNamed(t, echoV4+"/middleware", "BodyLimitConfig"):
		if kv := field(lit, "Limit"); kv != nil {
			r.replace(kv.Key.Pos(), kv.Key.End(), "LimitBytes")
			r.bodyLimit(kv.Value)
		}
	}
}

// recoverConfig: v5's RecoverConfig has no LogErrorFunc and no
// DisableErrorHandler. A config with either becomes the helper's
// recoverConfigV4, which gives them back their v4 meaning around v5's
// Recover.
func (r *fileRewriter) recoverConfig(lit *ast.CompositeLit) {
	if field(lit, "LogErrorFunc") == nil && field(lit, "DisableErrorHandler") == nil {
		return
	}
	if kv := field(lit, "LogLevel"); kv != nil {
		r.needsHand(kv, "RecoverConfig.LogLevel is gone in v5")
	}
	call, ok := r.parent[lit].(*ast.CallExpr)
	if !ok || !r.isEchoFunc(r.calledFunc(call), echoV4+"/middleware", "RecoverWithConfig") {
		r.needsHand(lit, "pass this RecoverConfig to middleware.RecoverWithConfig directly, so that it can be rewritten")
		return
	}
	r.replace(lit.Type.Pos(), lit.Type.End(), "recoverConfigV4")
	r.replace(call.Fun.Pos(), call.Fun.End(), "recoverWithConfigV4")
	r.helpers["recoverWithConfigV4"] = true
	r.did("RecoverConfig{LogErrorFunc, DisableErrorHandler} → recoverConfigV4, v4's Recover options on v5's Recover")
}

// corsConfig: v5's UnsafeAllowOriginFunc also returns the origin to
// allow, and v5 has no default AllowOrigins.
func (r *fileRewriter) corsConfig(lit *ast.CompositeLit) {
	if kv := field(lit, "AllowOriginFunc"); kv != nil {
		r.replace(kv.Key.Pos(), kv.Key.End(), "UnsafeAllowOriginFunc")
		r.insert(kv.Value.Pos(), "corsAllowOriginFuncV4(")
		r.insert(kv.Value.End(), ")")
		r.helpers["corsAllowOriginFuncV4"] = true
		r.did("CORSConfig.AllowOriginFunc → UnsafeAllowOriginFunc: corsAllowOriginFuncV4(f)")
	} else if field(lit, "AllowOrigins") == nil {
		r.insert(lit.Lbrace+1, `AllowOrigins: []string{"*"}, `)
		r.did(`CORSConfig without AllowOrigins → AllowOrigins: []string{"*"}, v4's default`)
	}
	if kv := field(lit, "UnsafeWildcardOriginWithAllowCredentials"); kv != nil {
		r.needsHand(kv, "v5 refuses AllowOrigins \"*\" with AllowCredentials: list the origins, or use UnsafeAllowOriginFunc")
	}
}

// removedEchoField deletes the setting of an Echo field v5 dropped because
// only e.Start used it; StartConfig has them now.
func (r *fileRewriter) removedEchoField(as *ast.AssignStmt) {
	if len(as.Lhs) != 1 || as.Tok != token.ASSIGN {
		return
	}
	sel, ok := as.Lhs[0].(*ast.SelectorExpr)
	if !ok {
		return
	}
	s := r.u.info.Selections[sel]
	if s == nil || s.Kind() != types.FieldVal || !isNamedObj(declaringType(s), echoV4, "Echo") {
		return
	}
	switch sel.Sel.Name {
	case "HideBanner", "HidePort":
		if _, inBlock := r.parent[as].(*ast.BlockStmt); !inBlock {
			r.needsHand(as, "Echo.%s is gone in v5 (StartConfig has it)", sel.Sel.Name)
			return
		}
		r.deleteLines(as)
		r.did("e.HideBanner, e.HidePort = ... → deleted (echo.StartConfig has them)")
	case "Server", "TLSServer", "Listener", "TLSListener", "AutoTLSManager", "ListenerNetwork", "DisableHTTP2", "Debug", "StdLogger":
		r.needsHand(as, "Echo.%s is gone in v5: start the server with echo.StartConfig or net/http", sel.Sel.Name)
	}
}

// unusedBinders deletes the echo.DefaultBinder variables whose every use
// became a call of Echo v5's top-level Bind functions.
func (r *fileRewriter) unusedBinders() {
	for obj, rewritten := range r.binders {
		uses := 0
		for _, o := range r.u.info.Uses {
			if o == obj {
				uses++
			}
		}
		if uses != rewritten {
			continue
		}
		for id, o := range r.u.info.Defs {
			if o != obj || !r.inFile(id) {
				continue
			}
			switch p := r.parent[id].(type) {
			case *ast.ValueSpec:
				if decl, ok := r.parent[p].(*ast.GenDecl); ok && len(decl.Specs) == 1 && len(p.Names) == 1 {
					if stmt, ok := r.parent[decl].(*ast.DeclStmt); ok {
						r.deleteLines(stmt)
					} else {
						r.deleteLines(decl)
					}
					r.did("var b echo.DefaultBinder → deleted, unused")
				}
			case *ast.AssignStmt:
				if len(p.Lhs) == 1 {
					r.deleteLines(p)
					r.did("var b echo.DefaultBinder → deleted, unused")
				}
			}
		}
	}
}

func (r *fileRewriter) inFile(n ast.Node) bool {
	return n.Pos() >= r.file.FileStart && n.Pos() < r.file.FileEnd
}

// needsEchoResponse reports whether the v4 code uses e, a *echo.Response,
// as more than an http.ResponseWriter: reads a field, calls Before, or
// stores it where a *echo.Response goes. In v5 c.Response() is an
// http.ResponseWriter, which is enough everywhere else.
func (r *fileRewriter) needsEchoResponse(e ast.Expr, depth int) bool {
	if depth > 8 {
		return true
	}
	var expected types.Type
	switch p := r.parent[e].(type) {
	case *ast.SelectorExpr:
		return !slices.Contains([]string{"Header", "Write", "WriteHeader"}, p.Sel.Name)
	case *ast.ParenExpr:
		return r.needsEchoResponse(p, depth+1)
	case *ast.CallExpr:
		sig, ok := types.Unalias(r.typeOf(p.Fun)).Underlying().(*types.Signature)
		if !ok {
			return true
		}
		i := slices.Index(p.Args, e)
		if i < 0 {
			return true
		}
		if sig.Variadic() && i >= sig.Params().Len()-1 {
			expected = sig.Params().At(sig.Params().Len() - 1).Type().(*types.Slice).Elem()
		} else {
			expected = sig.Params().At(i).Type()
		}
	case *ast.KeyValueExpr:
		if id, ok := p.Key.(*ast.Ident); ok && p.Value == e {
			if f, ok := r.u.info.Uses[id].(*types.Var); ok {
				expected = f.Type()
			}
		}
	case *ast.AssignStmt:
		i := slices.Index(p.Rhs, e)
		if len(p.Lhs) != len(p.Rhs) || i < 0 {
			return true
		}
		if id, ok := p.Lhs[i].(*ast.Ident); ok && p.Tok == token.DEFINE {
			return r.varNeedsEchoResponse(r.u.info.Defs[id], depth)
		}
		expected = r.typeOf(p.Lhs[i])
	case *ast.ValueSpec:
		i := slices.Index(p.Values, e)
		if len(p.Names) != len(p.Values) || i < 0 {
			return true
		}
		if p.Type == nil {
			return r.varNeedsEchoResponse(r.u.info.Defs[p.Names[i]], depth)
		}
		expected = r.typeOf(p.Type)
	}
	if expected == nil {
		return true
	}
	_, isInterface := expected.Underlying().(*types.Interface)
	return !isInterface
}

// varNeedsEchoResponse is needsEchoResponse for every use of a variable.
func (r *fileRewriter) varNeedsEchoResponse(obj types.Object, depth int) bool {
	if obj == nil {
		return true
	}
	for id, o := range r.u.info.Uses {
		if o == obj && r.inFile(id) && r.needsEchoResponse(id, depth+1) {
			return true
		}
	}
	return false
}

// Type helpers.

func (r *fileRewriter) typeOf(e ast.Expr) types.Type {
	if t := r.u.info.Types[e].Type; t != nil {
		return t
	}
	return types.Typ[types.Invalid]
}

// calledFunc is the function or method a call calls, or nil for a call
// of a function value or a conversion.
func (r *fileRewriter) calledFunc(call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	default:
		return nil
	}
	fn, _ := r.u.info.Uses[id].(*types.Func)
	return fn
}

func (r *fileRewriter) isEchoType(e ast.Expr, name string) bool {
	return isNamed(r.typeOf(e), echoV4, name)
}

// isEchoMethod reports whether fn is one of the methods names of the Echo
// v4 type typeName.
func (r *fileRewriter) isEchoMethod(fn *types.Func, typeName string, names ...string) bool {
	if fn == nil || !slices.Contains(names, fn.Name()) {
		return false
	}
	recv := fn.Type().(*types.Signature).Recv()
	return recv != nil && isNamed(recv.Type(), echoV4, typeName)
}

func (r *fileRewriter) isEchoFunc(fn *types.Func, pkgPath string, names ...string) bool {
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == pkgPath &&
		fn.Type().(*types.Signature).Recv() == nil && slices.Contains(names, fn.Name())
}

func isEchoPkg(p *types.Package) bool { return p != nil && isEchoV4Path(p.Path()) }

// isNamed reports whether t, or what it points to, is the named type
// pkgPath.name.
func isNamed(t types.Type, pkgPath, name string) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, _ := types.Unalias(t).(*types.Named)
	return isNamedObj(n, pkgPath, name)
}

func isNamedObj(n *types.Named, pkgPath, name string) bool {
	return n != nil && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkgPath && n.Obj().Name() == name
}

// isPointerTo reports whether t is exactly stars pointers to pkgPath.name.
func isPointerTo(t types.Type, stars int, pkgPath, name string) bool {
	for range stars {
		p, ok := types.Unalias(t).(*types.Pointer)
		if !ok {
			return false
		}
		t = p.Elem()
	}
	n, _ := types.Unalias(t).(*types.Named)
	return isNamedObj(n, pkgPath, name)
}

func isErrorType(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

func isString(t types.Type) bool {
	b, ok := types.Unalias(t).Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// declaringType is the struct type that declares the field s selects,
// which differs from s.Recv() when the field is promoted.
func declaringType(s *types.Selection) *types.Named {
	t := s.Recv()
	idx := s.Index()
	for _, i := range idx[:len(idx)-1] {
		if p, ok := types.Unalias(t).(*types.Pointer); ok {
			t = p.Elem()
		}
		st, ok := types.Unalias(t).Underlying().(*types.Struct)
		if !ok {
			return nil
		}
		t = st.Field(i).Type()
	}
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, _ := types.Unalias(t).(*types.Named)
	return n
}

// field returns the element of a struct literal that sets name.
func field(lit *ast.CompositeLit, name string) *ast.KeyValueExpr {
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv
			}
		}
	}
	return nil
}
