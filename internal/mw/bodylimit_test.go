package mw

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestBodyLimit(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		chunked bool
		wantErr bool
	}{
		{"AtLimit", strings.Repeat("a", 10), false, false},
		{"OverByOne", strings.Repeat("a", 11), false, true},
		{"ChunkedAtLimit", strings.Repeat("a", 10), true, false},
		{"ChunkedOverByOne", strings.Repeat("a", 11), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
			}
			var read int
			h := BodyLimit(10)(func(c echo.Context) error {
				b, err := io.ReadAll(c.Request().Body)
				read = len(b)
				return err
			})
			e := echo.New()
			err := h(e.NewContext(req, httptest.NewRecorder()))
			var mbe *http.MaxBytesError
			if got := errors.As(err, &mbe); got != tt.wantErr {
				t.Errorf("err = %v, want a MaxBytesError: %v", err, tt.wantErr)
			}
			if read > 10 {
				t.Errorf("handler read %d bytes, more than the limit", read)
			}
		})
	}
}

// TestBodyLimitSkipper: a request the Skipper picks is read whole, however
// large; the others are still cut at the limit.
func TestBodyLimitSkipper(t *testing.T) {
	mw := BodyLimitWithConfig(BodyLimitConfig{
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == "/big" },
		Limit:   10,
	})
	for _, tt := range []struct {
		path    string
		maxRead int
		wantErr bool
	}{
		{"/big", 100, false},
		{"/small", 10, true},
	} {
		t.Run(tt.path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(strings.Repeat("a", 100)))
			var read int
			h := mw(func(c echo.Context) error {
				b, err := io.ReadAll(c.Request().Body)
				read = len(b)
				return err
			})
			err := h(echo.New().NewContext(req, httptest.NewRecorder()))
			if read > tt.maxRead || tt.maxRead == 100 && read != 100 || (err != nil) != tt.wantErr {
				t.Errorf("read %d bytes, err %v; want at most %d bytes (all 100 when skipped), an error: %v", read, err, tt.maxRead, tt.wantErr)
			}
		})
	}
}
