package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"example.com/echotemplate/internal/tasks"
)

// ErrSender is wrapped by the error for an unusable sender address.
var ErrSender = errors.New("mailer: invalid sender address")

// defaultTimeout bounds each SMTP command of a send whose context has no
// deadline. Jobs always have one (the attempt timeout); this is a backstop.
const defaultTimeout = 30 * time.Second

// SMTPConfig says where and how to send. ParseSMTPURL fills in all but From.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	// ImplicitTLS speaks TLS from the first byte (smtps). Otherwise the
	// connection is upgraded with STARTTLS when the server offers it, and a
	// failed upgrade fails the send rather than falling back to plain text.
	ImplicitTLS bool
	// From is the sender, as "noreply@example.com" or
	// "Example <noreply@example.com>". Its domain also ends each Message-ID.
	From string
	// TLSConfig is used for both kinds of TLS.
	// Optional. Default: system roots, TLS 1.2 or later. Set RootCAs to trust
	// a private CA.
	TLSConfig *tls.Config
}

// SMTP sends email over SMTP with go-mail, one connection per email. It is
// safe for concurrent use.
type SMTP struct {
	host   string
	from   *mail.Address
	domain string // of the sender, for Message-IDs
	opts   []gomail.Option
}

// ParseSender checks a sender address such as "Example <noreply@example.com>".
func ParseSender(from string) (*mail.Address, error) {
	if strings.ContainsAny(from, "\r\n") {
		return nil, fmt.Errorf("%w: line break", ErrSender)
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSender, err)
	}
	return addr, nil
}

// NewSMTP returns an SMTP mailer. It checks cfg but does not connect: a mail
// server that is down at start only delays the jobs, which are retried.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	from, err := ParseSender(cfg.From)
	if err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		return nil, errors.New("mailer: no SMTP host")
	}

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTLSConfig(tlsConfig)}
	if cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.Username != "" {
		// Auto-discovery picks the strongest mechanism the server offers and
		// never sends a password in clear text over an unencrypted link.
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}

	return &SMTP{
		host:   cfg.Host,
		from:   from,
		domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		opts:   opts,
	}, nil
}

// Send implements tasks.Mailer. A refusal the server marks permanent (5xx)
// and an email that cannot be built are returned wrapping tasks.ErrPermanent,
// so they are not retried.
func (s *SMTP) Send(ctx context.Context, e tasks.Email) error {
	msg, err := s.message(e)
	if err != nil {
		return fmt.Errorf("build email %s: %w: %w", e.ID, tasks.ErrPermanent, err)
	}

	// go-mail watches ctx only while dialling; afterwards each command is
	// bounded by the client's timeout. Taking it from ctx's deadline keeps a
	// stalled server from holding a worker past the attempt's timeout. A new
	// client per send is cheap (no I/O) and shares no state between sends.
	timeout := defaultTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(deadline), time.Millisecond)
	}
	// slices.Concat copies: appending to s.opts would share its spare
	// capacity between concurrent sends.
	opts := slices.Concat(s.opts, []gomail.Option{gomail.WithTimeout(timeout)})
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("configure SMTP client: %w: %w", tasks.ErrPermanent, err)
	}

	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("send email %s via %s: %w", e.ID, client.ServerAddr(), err)
		if sendErr := (*gomail.SendError)(nil); errors.As(err, &sendErr) && sendErr.ErrorCode() >= 500 {
			return fmt.Errorf("%w: %w", tasks.ErrPermanent, err)
		}
		return err
	}
	return nil
}

// message builds the email. Its Message-ID comes from e.ID, not from chance,
// so every attempt at the same email carries the same one.
func (s *SMTP) message(e tasks.Email) (*gomail.Msg, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.To(e.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(e.Subject)
	msg.SetMessageIDWithValue(e.ID + "@" + s.domain)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, e.Body)
	return msg, nil
}
