// Package logging builds the service's slog logger and carries the request id
// through a context, so that every log line written with a ...Context call
// names the request it belongs to.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "" when there is none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ParseLevel reads a level name as LOG_LEVEL spells it: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("unknown level %q (want debug, info, warn or error)", s)
	}
	return l, nil
}

// New returns a logger writing JSON or text lines to w at the given level.
// Records logged with a context that carries a request id get a request_id
// attribute.
func New(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("unknown log format %q (want json or text)", format)
	}
	return slog.New(contextHandler{h}), nil
}

// textDuration returns a with its durations, in groups too, as Go spells
// them ("15s", "1.2ms"), which JSON would write as nanoseconds
// (15000000000), and whether it changed anything. The handler does this
// rather than a HandlerOptions.ReplaceAttr, which slog calls for every
// attribute of every line, the time and level included, and which made
// each request's log line a third dearer (BenchmarkRequestLog).
func textDuration(a slog.Attr) (slog.Attr, bool) {
	switch a.Value.Kind() {
	case slog.KindDuration:
		return slog.String(a.Key, a.Value.Duration().String()), true
	case slog.KindGroup:
		group := a.Value.Group()
		changed := false
		out := make([]slog.Attr, len(group))
		for i, ga := range group {
			var c bool
			out[i], c = textDuration(ga)
			changed = changed || c
		}
		if changed {
			return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
		}
	}
	return a, false
}

// hasDuration reports whether a holds a duration, in groups too, without
// allocating: most lines have none.
func hasDuration(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindDuration:
		return true
	case slog.KindGroup:
		for _, ga := range a.Value.Group() {
			if hasDuration(ga) {
				return true
			}
		}
	}
	return false
}

// contextHandler adds the request id from the record's context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	durations := false
	r.Attrs(func(a slog.Attr) bool {
		durations = hasDuration(a)
		return !durations
	})
	if durations {
		text := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool {
			a, _ = textDuration(a)
			text.AddAttrs(a)
			return true
		})
		r = text
	}
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	text := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		text[i], _ = textDuration(a)
	}
	return contextHandler{h.Handler.WithAttrs(text)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// Printf adapts a library's Printf-style logger, such as go-redis's, to
// the service's log: each message, which such libraries use for trouble
// with a connection, becomes one warning.
type Printf struct {
	Log    *slog.Logger
	Prefix string
}

// Printf logs one formatted message at warning level.
func (p Printf) Printf(ctx context.Context, format string, args ...any) {
	p.Log.WarnContext(ctx, p.Prefix+fmt.Sprintf(format, args...))
}
