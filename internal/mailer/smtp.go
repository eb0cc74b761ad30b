package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
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
	// AllowPlaintextAuth lets credentials go over a connection without
	// TLS, to a server on a trusted network that offers no STARTTLS.
	// Otherwise, with credentials, STARTTLS is required (smtp://) and a
	// server without it is a permanent failure.
	AllowPlaintextAuth bool
	// TLSConfig is used for both kinds of TLS.
	// Optional. Default: system roots, TLS 1.2 or later. Set RootCAs to trust
	// a private CA.
	TLSConfig *tls.Config
}

// SMTP sends email over SMTP with go-mail, one connection per email. It is
// safe for concurrent use.
type SMTP struct {
	host        string
	from        *mail.Address
	domain      string // of the sender, for Message-IDs
	implicitTLS bool
	tlsConfig   *tls.Config
	opts        []gomail.Option
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

// Mechanisms to log in with, strongest first. The plain ones are only
// used over TLS (go-mail's PLAIN and LOGIN refuse otherwise), unless the
// operator allowed plain text, when their -NOENC twins stand in.
var (
	authMechanisms = []gomail.SMTPAuthType{
		gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
		gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
	}
	authMechanismsPlaintext = []gomail.SMTPAuthType{
		gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
		gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc,
	}
)

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
	// With implicit TLS the dialler does the TLS (see dial), so go-mail
	// sees a connection that is already secure and must not STARTTLS.
	policy := gomail.TLSOpportunistic
	switch {
	case cfg.ImplicitTLS:
		policy = gomail.NoTLS
	case cfg.Username != "" && !cfg.AllowPlaintextAuth:
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTLSConfig(tlsConfig), gomail.WithTLSPolicy(policy)}
	if cfg.Username != "" {
		mechs := authMechanisms
		if cfg.AllowPlaintextAuth {
			mechs = authMechanismsPlaintext
		}
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(mechs...),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}

	return &SMTP{
		host:        cfg.Host,
		from:        from,
		domain:      from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		implicitTLS: cfg.ImplicitTLS,
		tlsConfig:   tlsConfig,
		opts:        opts,
	}, nil
}

// Send implements tasks.Mailer. What retrying cannot fix (see permanent)
// and an email that cannot be built are returned wrapping
// tasks.ErrPermanent, so they are not retried.
func (s *SMTP) Send(ctx context.Context, e tasks.Email) error {
	msg, err := s.message(e)
	if err != nil {
		return fmt.Errorf("build email %s: %w: %w", e.ID, tasks.ErrPermanent, err)
	}

	// go-mail gives each command the client's timeout afresh, so a server
	// that answers slowly could hold a worker for many timeouts; dial
	// bounds the whole attempt by ctx's deadline instead. A new client per
	// send is cheap (no I/O) and shares no state between sends.
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultTimeout)
	}
	// slices.Concat copies: appending to s.opts would share its spare
	// capacity between concurrent sends.
	var conn net.Conn
	// go-mail leaves the connection open when the greeting, STARTTLS or
	// the login fails; closing it here, whatever happened, ends the
	// session with the attempt.
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	opts := slices.Concat(s.opts, []gomail.Option{
		gomail.WithTimeout(max(time.Until(deadline), time.Millisecond)),
		gomail.WithDialContextFunc(s.dial(deadline, &conn)),
	})
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("configure SMTP client: %w: %w", tasks.ErrPermanent, err)
	}

	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("send email %s via %s: %w", e.ID, client.ServerAddr(), err)
		if permanent(err) {
			return fmt.Errorf("%w: %w", tasks.ErrPermanent, err)
		}
		return err
	}
	return nil
}

// permanent reports whether err is one that another attempt would meet
// again: the server refused for good (a 5xx reply, to the message or to
// the login), or it offers no way to log in that this mailer will use
// (no STARTTLS where credentials need it, no mechanism in common).
func permanent(err error) bool {
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) && sendErr.ErrorCode() >= 500 {
		return true
	}
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 {
		return true
	}
	if errors.Is(err, gomail.ErrNoSupportedAuthDiscovered) || errors.Is(err, gomail.ErrPlainAuthNotSupported) ||
		errors.Is(err, gomail.ErrLoginAuthNotSupported) {
		return true
	}
	// go-mail has no error values for these two; TestSMTP_PermanentFailures
	// notices if its wording changes.
	msg := err.Error()
	return strings.Contains(msg, "does not support STARTTLS") || strings.Contains(msg, "server does not support SMTP AUTH")
}

// maxReplyBytes bounds what one attempt reads from the mail server. A
// session's replies take a few kilobytes; a broken or hostile server's
// endless line must not grow the process, as net/textproto would let it.
const maxReplyBytes = 1 << 20

// errTooMuchReply ends an attempt whose server sent more than maxReplyBytes.
var errTooMuchReply = errors.New("mailer: the SMTP server sent more than 1 MiB of replies")

// dial returns go-mail's dialler for one attempt: a TCP connection that
// reads at most maxReplyBytes and whose deadlines never pass the
// attempt's, wrapped in TLS for smtps. It keeps the connection in *dialled
// for Send to close.
func (s *SMTP) dial(deadline time.Time, dialled *net.Conn) gomail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		*dialled = raw
		conn := &boundedConn{Conn: raw, left: maxReplyBytes, deadline: deadline}
		if err := conn.SetDeadline(deadline); err != nil {
			return nil, err
		}
		if !s.implicitTLS {
			return conn, nil
		}
		tc := tls.Client(conn, s.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		return tc, nil // go-mail's PLAIN and LOGIN see a *tls.Conn, so allow themselves.
	}
}

// boundedConn is the connection of one attempt (see dial).
type boundedConn struct {
	net.Conn
	left     int64
	deadline time.Time
}

func (c *boundedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooMuchReply
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *boundedConn) SetDeadline(t time.Time) error     { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *boundedConn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *boundedConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

// clamp keeps a deadline go-mail sets from passing the attempt's.
func (c *boundedConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(c.deadline) {
		return c.deadline
	}
	return t
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
