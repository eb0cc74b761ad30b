package handlers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// secret stands for internal error text that must never reach a client.
const secret = "dial tcp 10.0.0.7:5432: password authentication failed for /srv/app/db.conf"

func TestErrorShapes(t *testing.T) {
	s := newTestServer(t, testConfig())
	// Routes that exist only in this test, to reach the error paths.
	s.e.GET("/test/panic", func(echo.Context) error { panic(secret) })
	s.e.GET("/test/internal", func(echo.Context) error { return errors.New(secret) })
	s.e.POST("/test/body", func(c echo.Context) error {
		var v struct {
			Name string `json:"name" validate:"required,max=5"`
			Mail string `json:"mail" validate:"required,email"`
		}
		if err := bind(c, &v); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})

	bigBody := strings.Repeat("x", 1<<20+1)
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		check  func(t *testing.T, rec *httptest.ResponseRecorder, p Problem)
	}{
		{"NotFound", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/no/such/path", nil) }, 404, nil},
		{"MethodNotAllowed", func() *http.Request { return httptest.NewRequest(http.MethodDelete, "/headers", nil) }, 405,
			func(t *testing.T, rec *httptest.ResponseRecorder, _ Problem) {
				if got := rec.Header().Get("Allow"); !strings.Contains(got, "GET") {
					t.Errorf("Allow = %q, want it to list GET", got)
				}
			}},
		{"BodyTooLarge", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/test/body", strings.NewReader(bigBody))
		}, 413, nil},
		{"BodyTooLargeChunked", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/test/body", strings.NewReader(`{"name":"`+bigBody+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = -1 // As a chunked body arrives: no length up front.
			req.TransferEncoding = []string{"chunked"}
			return req
		}, 413, nil},
		{"MalformedBody", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/test/body", strings.NewReader(`{"name": `))
			req.Header.Set("Content-Type", "application/json")
			return req
		}, 400, func(t *testing.T, _ *httptest.ResponseRecorder, p Problem) {
			if strings.Contains(p.Detail, "unexpected") || strings.Contains(p.Detail, "EOF") {
				t.Errorf("detail %q shows parser text", p.Detail)
			}
		}},
		{"InvalidFields", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/test/body", strings.NewReader(`{"name":"toolong","mail":"nope"}`))
			req.Header.Set("Content-Type", "application/json")
			return req
		}, 422, func(t *testing.T, _ *httptest.ResponseRecorder, p Problem) {
			got := map[string]string{}
			for _, fe := range p.Errors {
				got[fe.Field] = fe.Message
			}
			if len(got) != 2 || got["name"] == "" || got["mail"] == "" {
				t.Errorf("errors = %+v, want one each for name and mail", p.Errors)
			}
		}},
		{"HeadersTooLarge", func() *http.Request {
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.Header.Set("X-Big", strings.Repeat("a", 17<<10))
			return req
		}, 431, nil},
		{"Panic", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/test/panic", nil) }, 500, nil},
		{"InternalError", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/test/internal", nil) }, 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.logs.Reset()
			rec := s.do(t, tt.req())
			p := wantProblem(t, rec, tt.status)
			if rec.Header().Get("X-Process-Time") == "" {
				t.Error("X-Process-Time missing on an error response")
			}
			if strings.Contains(rec.Body.String(), "10.0.0.7") || strings.Contains(rec.Body.String(), ".go:") {
				t.Errorf("body leaks internal text: %s", rec.Body)
			}
			if tt.status == 500 {
				if n := strings.Count(s.logs.String(), "password authentication failed"); n != 1 {
					t.Errorf("internal error logged %d times, want once:\n%s", n, s.logs)
				}
				if !strings.Contains(s.logs.String(), p.RequestID) {
					t.Errorf("log does not name request id %s", p.RequestID)
				}
			}
			if tt.check != nil {
				tt.check(t, rec, p)
			}
		})
	}
}

func TestErrorHeadHasNoBody(t *testing.T) {
	rec := newTestServer(t, testConfig()).do(t, httptest.NewRequest(http.MethodHead, "/nowhere", nil))
	if rec.Code != http.StatusNotFound || rec.Body.Len() != 0 {
		t.Errorf("got %d with %d body bytes, want 404 and no body", rec.Code, rec.Body.Len())
	}
}
