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
