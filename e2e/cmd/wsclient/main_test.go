package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
			q := r.URL.Query()
			err = hub.ServeChat(w, r, r.RemoteAddr, ws.ChatRequest{Name: q.Get("name"), Format: q.Get("format"), LastID: q.Get("last_id")})
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
			if err := run([]string{base + tt.path}, strings.NewReader(tt.in), &out, io.Discard); err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}

	// -json prints objects and, at the end, the last line's id, with which
	// -last-id replays what came since.
	var out, errOut bytes.Buffer
	if err := run([]string{"-json", base + "/chat?name=Jo"}, strings.NewReader("one\n"), &out, &errOut); err != nil {
		t.Fatalf("run -json: %v", err)
	}
	var line struct{ ID, From, Text string }
	if err := json.Unmarshal(bytes.Split(out.Bytes(), []byte("\n"))[1], &line); err != nil || line.Text != "one" || line.ID == "" {
		t.Fatalf("second message %q (%v), want the line one with an id", out.String(), err)
	}
	if want := "last id: " + line.ID; !strings.HasPrefix(errOut.String(), want) {
		t.Errorf("stderr %q, want it to start %q", errOut.String(), want)
	}
	if err := hub.Broadcast(context.Background(), "two"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"-last-id", line.ID, base + "/chat?name=Jo"}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("run -last-id: %v", err)
	}
	if got := out.String(); !strings.HasPrefix(got, `{"id":`) || !strings.Contains(got, `"text":"two"`) {
		t.Errorf("resumed and printed %q, want the lines since one, as JSON", got)
	}

	if err := run([]string{base + "/chat?name=<b>"}, strings.NewReader(""), &bytes.Buffer{}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "422") {
		t.Errorf("run with a refused name = %v, want an error with the status", err)
	}
}
