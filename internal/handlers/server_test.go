package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/files"
	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/testenv"
)

// testConfig is a valid configuration for tests; tests change what they need.
func testConfig() Config {
	return Config{
		AllowOrigins:         []string{"http://localhost:8080", "http://127.0.0.1:8080"},
		RedirectURL:          "https://echo.labstack.com/",
		RedirectAllowedHosts: []string{"echo.labstack.com"},
		CookieHashKey:        bytes.Repeat([]byte("k"), 32),
		BodyLimit:            1 << 20,
		HeaderLimit:          16 << 10,
	}
}

// testServer is the whole HTTP surface with its log captured.
type testServer struct {
	e      *echo.Echo
	logs   *bytes.Buffer
	health *Health
}

func newTestServer(t *testing.T, cfg Config, checks ...Check) *testServer {
	t.Helper()
	return newServerWith(t, cfg, Deps{Health: NewHealth(checks...)})
}

// newServerWith returns the whole HTTP surface with deps, logging to the
// returned server's buffer and with a Health of no checks unless deps has
// one.
func newServerWith(t testing.TB, cfg Config, deps Deps) *testServer {
	t.Helper()
	var logs bytes.Buffer
	log, err := logging.New(&logs, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	if deps.Health == nil {
		deps.Health = NewHealth()
	}
	deps.Log = log
	return &testServer{e: NewServer(cfg, deps), logs: &logs, health: deps.Health}
}

// do serves req and checks the response against api/openapi.yaml.
func (s *testServer) do(t *testing.T, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	checkContract(t, req, rec)
	return rec
}

func (s *testServer) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	return s.do(t, httptest.NewRequest(http.MethodGet, target, nil))
}

// wantProblem checks that rec is a problem+json error with the given status
// and returns it.
func wantProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if got := rec.Header().Get(echo.HeaderContentType); got != MIMEProblemJSON {
		t.Errorf("Content-Type = %q, want %q", got, MIMEProblemJSON)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Type == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want status %d with type, title and detail", p, status)
	}
	if p.RequestID == "" || p.RequestID != rec.Header().Get(echo.HeaderXRequestID) {
		t.Errorf("request_id = %q, want the X-Request-ID %q", p.RequestID, rec.Header().Get(echo.HeaderXRequestID))
	}
	return p
}

func TestHeaders(t *testing.T) {
	s := newTestServer(t, testConfig())
	tests := []struct {
		name string
		ua   []string
		want string
	}{
		{"Present", []string{"curl/8.5.0"}, `{"User-Agent":"curl/8.5.0"}`},
		{"Absent", nil, `{"User-Agent":null}`},
		{"Empty", []string{""}, `{"User-Agent":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.Header.Del("User-Agent")
			for _, v := range tt.ua {
				req.Header.Add("User-Agent", v)
			}
			rec := s.do(t, req)
			if got := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || got != tt.want {
				t.Errorf("got %d %s, want 200 %s", rec.Code, got, tt.want)
			}
		})
	}
}

func TestCustomHeaders(t *testing.T) {
	rec := newTestServer(t, testConfig()).get(t, "/custom-headers")
	if got, want := rec.Header().Get("X-Custom-Header"), "Echo"; got != want {
		t.Errorf("X-Custom-Header = %q, want %q", got, want)
	}
	if got, want := strings.TrimSpace(rec.Body.String()), `{"message":"Hello"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestOpenAPIServed(t *testing.T) {
	rec := newTestServer(t, testConfig()).get(t, "/openapi.yaml")
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !bytes.HasPrefix(body, []byte("openapi: 3")) {
		t.Errorf("got %d %.40q, want 200 and the OpenAPI document", rec.Code, body)
	}
}

// fileServer is the whole HTTP surface with the page, a store in a
// temporary directory and a log that is safe to read while a real server writes it.
type fileServer struct {
	*testServer
	store *files.Store // feature:files
	dir   string
	logs  *testenv.Buffer
}

func newFileServer(t testing.TB, cfg Config, page http.Handler) *fileServer {
	t.Helper()
	dir := t.TempDir()
	logs := &testenv.Buffer{}
	log, err := logging.New(logs, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	health := NewHealth()
	deps := Deps{Log: log, Health: health, Static: page}
	// feature:files begin
	store, err := files.NewStore(dir, files.Options{AllowedTypes: cfg.UploadAllowedTypes})
	if err != nil {
		t.Fatal(err)
	}
	deps.Files = store
	// feature:files end
	s := &fileServer{testServer: &testServer{e: NewServer(cfg, deps), health: health}, dir: dir, logs: logs}
	s.store = store // feature:files
	return s
}

// start serves s on a loopback listener, for tests that need a real
// connection: raw paths, deadlines, clients that go away.
func (s *fileServer) start(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(s.e)
	t.Cleanup(srv.Close)
	return srv
}

// feature:files begin
// waitLog waits until the log has a line containing want and returns the log.
func (s *fileServer) waitLog(t *testing.T, want string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if logs := s.logs.String(); strings.Contains(logs, want) {
			return logs
		}
	}
	t.Fatalf("no log line with %s in:\n%s", want, s.logs.String())
	return ""
}

// feature:files end
