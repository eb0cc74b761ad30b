package mailer

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// ErrSMTPURL is wrapped by every error ParseSMTPURL returns.
var ErrSMTPURL = errors.New("mailer: invalid SMTP URL")

// Default ports: the submission port for STARTTLS, and the one for implicit
// TLS (RFC 8314).
const (
	submissionPort = 587
	smtpsPort      = 465
)

// ParseSMTPURL reads a URL such as smtp://user:pass@host:587 into an
// SMTPConfig without a sender. smtp:// uses STARTTLS when the server offers
// it (port 587 by default); smtps:// speaks TLS from the start (port 465).
// User and password are optional but go together, percent-encoded.
//
// Errors describe what is wrong and never repeat the URL, which may hold a
// password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	if raw == "" {
		return SMTPConfig{}, fmt.Errorf("%w: empty", ErrSMTPURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL; its inner error names the fault only.
		if urlErr := (*url.Error)(nil); errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return SMTPConfig{}, fmt.Errorf("%w: %w", ErrSMTPURL, err)
	}

	var cfg SMTPConfig
	switch u.Scheme {
	case "smtp":
		cfg.Port = submissionPort
	case "smtps":
		cfg.Port, cfg.ImplicitTLS = smtpsPort, true
	default:
		return SMTPConfig{}, fmt.Errorf("%w: scheme %q, want smtp or smtps", ErrSMTPURL, u.Scheme)
	}
	switch {
	case u.Opaque != "":
		return SMTPConfig{}, fmt.Errorf("%w: want %s://host[:port]", ErrSMTPURL, u.Scheme)
	case u.Hostname() == "":
		return SMTPConfig{}, fmt.Errorf("%w: no host", ErrSMTPURL)
	case u.Path != "" && u.Path != "/":
		return SMTPConfig{}, fmt.Errorf("%w: unexpected path %q", ErrSMTPURL, u.Path)
	case u.RawQuery != "" || u.Fragment != "":
		return SMTPConfig{}, fmt.Errorf("%w: query and fragment are not supported", ErrSMTPURL)
	}
	cfg.Host = u.Hostname()

	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return SMTPConfig{}, fmt.Errorf("%w: port %q, want 1-65535", ErrSMTPURL, p)
		}
		cfg.Port = port
	}

	if u.User != nil {
		password, ok := u.User.Password()
		switch {
		case u.User.Username() == "":
			return SMTPConfig{}, fmt.Errorf("%w: empty user name", ErrSMTPURL)
		case !ok || password == "":
			return SMTPConfig{}, fmt.Errorf("%w: user %q has no password", ErrSMTPURL, u.User.Username())
		}
		cfg.Username, cfg.Password = u.User.Username(), password
	}
	return cfg, nil
}
