package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/echotemplate/internal/ws"
)

func TestRun(t *testing.T) {
	hub, err := ws.NewServer(ws.Config{}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if r.URL.Path == "/chat" {
			err = hub.ServeChat(w, r, r.RemoteAddr, ws.ChatRequest{Name: r.URL.Query().Get("name")})
		} else {
			err = hub.ServeEcho(w, r, r.RemoteAddr)
		}
		if err != nil {
			// The service answers a refused name with 422; any refusal will do
			// here, as long as the client reports the status it got.
			http.Error(w, "refused", http.StatusUnprocessableEntity)
		}
	}))
	t.Cleanup(func() {
		_ = hub.Shutdown(context.Background())
		srv.Close()
	})
	base := "ws" + strings.TrimPrefix(srv.URL, "http")

	tests := []struct {
		name, path, in, want string
	}{
		{"Echo", "/ws", "hello\n<b>hi</b>\n", "Echo: hello\nEcho: <b>hi</b>\n"},
		{"Chat", "/chat?name=Ann", "hi\n", "Ann joined\nAnn said: hi\n"},
		{"NoInput", "/ws", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run([]string{base + tt.path}, strings.NewReader(tt.in), &out); err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}

	if err := run([]string{base + "/chat?name=<b>"}, strings.NewReader(""), &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "422") {
		t.Errorf("run with a refused name = %v, want an error with the status", err)
	}
}
