package mw

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestRecover(t *testing.T) {
	var got error
	h := Recover()(func(echo.Context) error { panic("disk on fire") })
	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	got = h(c)
	var pe *PanicError
	if !errors.As(got, &pe) || pe.Value != "disk on fire" || !strings.Contains(got.Error(), "recover_test.go") {
		t.Fatalf("got %v, want a *PanicError with the value and stack", got)
	}
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	defer func() {
		if r, _ := recover().(error); !errors.Is(r, http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler to pass through", r)
		}
	}()
	h := Recover()(func(echo.Context) error { panic(http.ErrAbortHandler) })
	e := echo.New()
	_ = h(e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder()))
}
