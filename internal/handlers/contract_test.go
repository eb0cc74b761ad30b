package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"example.com/echotemplate/api"
)

var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return doc, nil
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := loadSpec()
	if err != nil {
		return nil, err
	}
	// Match any host: tests send requests to example.com.
	doc.Servers = nil
	// Page assets and byte ranges are checked for their status and type,
	// not parsed.
	for _, ct := range []string{"text/html", "text/css", "text/javascript", "image/png", "multipart/byteranges"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	return gorillamux.NewRouter(doc)
})

// checkContract validates a response against api/openapi.yaml when the
// spec describes the request's route; requests to unknown routes (404s)
// are checked by the problem tests instead.
func checkContract(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	router, err := specRouter()
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return
	}
	// default describes the error documents; any other answer, and every
	// answer to HEAD (which has no body to check), must be listed by its
	// status.
	if route.Operation.Responses.Status(rec.Code) == nil && (rec.Code < 400 || req.Method == http.MethodHead) {
		t.Errorf("%s %s -> %d: api/openapi.yaml does not list %d for this operation", req.Method, req.URL.Path, rec.Code, rec.Code)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		t.Errorf("%s %s -> %d does not match api/openapi.yaml: %v", req.Method, req.URL.Path, rec.Code, err)
	}
}

// TestRoutesMatchSpec keeps routes.go and api/openapi.yaml in step: every
// route Echo serves is described, and every described operation is served.
func TestRoutesMatchSpec(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	echoParam := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	served := map[string]bool{}
	for _, r := range newTestServer(t, testConfig()).e.Routes() {
		if r.Method == "echo_route_not_found" {
			continue
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		path = strings.Replace(path, "*", "{path}", 1)
		served[r.Method+" "+path] = true
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	for _, k := range sortedKeys(served) {
		if !described[k] {
			t.Errorf("%s is served but not described in api/openapi.yaml", k)
		}
	}
	for _, k := range sortedKeys(described) {
		if !served[k] {
			t.Errorf("%s is described in api/openapi.yaml but not served", k)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSpecServerIsRelative keeps /docs "Try it out" working at any address:
// Swagger UI sends its requests to the spec's server, and only the origin
// the page came from passes the CSP's connect-src 'self'.
func TestSpecServerIsRelative(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Servers {
		if !strings.HasPrefix(s.URL, "/") {
			t.Errorf("server %q is absolute; want a path such as /, so the docs call the host that served them", s.URL)
		}
	}
}

// TestSpecFlowMappingsQuoteColons keeps the spec readable by strict YAML
// parsers (dredd's among them), which stop at a plain scalar holding a
// colon inside a flow mapping, such as {example: about:blank}.
func TestSpecFlowMappingsQuoteColons(t *testing.T) {
	flow := regexp.MustCompile(`\{([^{}]*)\}`)
	for i, line := range strings.Split(string(api.OpenAPI), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range flow.FindAllStringSubmatch(line, -1) {
			for entry := range strings.SplitSeq(m[1], ",") {
				_, value, ok := strings.Cut(entry, ":")
				value = strings.TrimSpace(value)
				if ok && strings.Contains(value, ":") && !strings.ContainsAny(value[:1], `"'[`) {
					t.Errorf("api/openapi.yaml:%d: quote %q: a plain scalar with a colon inside {...}", i+1, value)
				}
			}
		}
	}
}
