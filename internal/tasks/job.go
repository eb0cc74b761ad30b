package tasks

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// ErrInvalidJob means a job cannot be sent as it is. The HTTP layer validates
// its input first, so this error reaching a client is a bug: answer 500.
var ErrInvalidJob = errors.New("tasks: invalid job")

// Limits on the parts of an email. They keep one job small in a queue and
// within what SMTP servers accept (RFC 5321 allows 254-octet addresses).
const (
	maxIDLen      = 128
	maxToLen      = 254
	maxSubjectLen = 998 // the longest line RFC 5322 allows in a header
	maxBodyLen    = 64 << 10
)

// Email is one message to send.
//
// ID identifies the message across retries and queue hand-overs: mailers put
// it in the Message-ID header, so a receiver can recognise a second delivery
// of the same email. It is also the job's idempotency key in Redis.
type Email struct {
	ID      string `json:"id"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Job is one email to send in the background, with the request that asked
// for it. It is a value: the queue holds a copy, never the request's data.
type Job struct {
	Email
	// RequestID names the originating request in log lines; the handler
	// that builds the job sets it.
	RequestID string `json:"request_id,omitempty"`
}

// NewJob returns a job for e with a fresh random ID, replacing e.ID.
func NewJob(e Email) Job {
	// rand.Text gives 26 base32 characters (128 random bits): unique enough
	// for an idempotency key and safe in a header and a Redis key.
	e.ID = rand.Text()
	return Job{Email: e}
}

// Validate reports whether e can be sent safely. It refuses CR and LF in
// every header field, because one line break there lets a sender add headers
// of their choosing (header injection).
func (e Email) Validate() error {
	switch {
	case e.ID == "" || len(e.ID) > maxIDLen || strings.Trim(e.ID, idChars) != "":
		return fmt.Errorf("%w: id must be 1-%d letters, digits, '.', '_' or '-'", ErrInvalidJob, maxIDLen)
	case strings.ContainsAny(e.To, "\r\n") || strings.ContainsAny(e.Subject, "\r\n"):
		return fmt.Errorf("%w: line break in a header field", ErrInvalidJob)
	case len(e.To) > maxToLen:
		return fmt.Errorf("%w: recipient longer than %d bytes", ErrInvalidJob, maxToLen)
	case len(e.Subject) > maxSubjectLen:
		return fmt.Errorf("%w: subject longer than %d bytes", ErrInvalidJob, maxSubjectLen)
	case len(e.Body) > maxBodyLen:
		return fmt.Errorf("%w: body longer than %d bytes", ErrInvalidJob, maxBodyLen)
	}
	if _, err := mail.ParseAddress(e.To); err != nil {
		return fmt.Errorf("%w: recipient: %w", ErrInvalidJob, err)
	}
	return nil
}

// idChars are the characters an email ID may hold: they need no quoting in a
// Message-ID and none in a Redis key.
const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
