package mailer

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"example.com/echotemplate/internal/tasks"
)

// FromConfig returns the mailer the configuration asks for: SMTP when cfg is
// set, and otherwise one that writes each email to log. name ("smtp" or
// "log") is for the start-up line.
func FromConfig(cfg *SMTPConfig, log *slog.Logger) (m tasks.Mailer, name string, err error) {
	if cfg == nil {
		return NewLog(log), "log", nil
	}
	sm, err := NewSMTP(*cfg)
	if err != nil {
		return nil, "", fmt.Errorf("SMTP mailer: %w", err)
	}
	return sm, "smtp", nil
}

// Reachable returns a health check that passes when the mail server accepts
// a TCP connection. It speaks no SMTP, so probes cost the server a connect
// and a close, not a session; a send is what tells a refusal apart.
func Reachable(cfg SMTPConfig) func(context.Context) error {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("mailer: reach %s: %w", addr, err)
		}
		return conn.Close()
	}
}
