package mailer

import (
	"context"
	"fmt"
	"log/slog"

	"example.com/echotemplate/internal/tasks"
)

// Log is the mailer used when no SMTP server is configured: it writes each
// email to the log instead of sending it, as the FastAPI tutorial prints its
// notification. It is safe for concurrent use.
type Log struct {
	log *slog.Logger
}

// NewLog returns a Log mailer that writes to log.
func NewLog(log *slog.Logger) *Log {
	return &Log{log: log}
}

// Send implements tasks.Mailer.
func (l *Log) Send(ctx context.Context, e tasks.Email) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("log email %s: %w: %w", e.ID, tasks.ErrPermanent, err)
	}
	l.log.InfoContext(ctx, "email logged instead of sent",
		"message_id", e.ID,
		"to", e.To,
		"subject", e.Subject,
		"body", e.Body)
	return nil
}
