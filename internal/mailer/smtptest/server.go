// Package smtptest runs a real SMTP server on 127.0.0.1 for tests, as
// net/http/httptest does for HTTP. It records what it receives and can be
// made slow or failing.
package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Replies a test can return from Options.Reject.
var (
	// TempFail is a transient refusal (451): the client should retry.
	TempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	// PermFail is a permanent refusal (550): retrying cannot help.
	PermFail = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
)

// Message is one email the server accepted.
type Message struct {
	From      string   // envelope sender
	To        []string // envelope recipients
	Header    mail.Header
	Subject   string // decoded
	MessageID string // without the angle brackets
	Body      string // decoded text
	TLS       bool   // arrived over TLS
	User      string // authenticated user, if any
}

// Options shape the server's behaviour. The zero value accepts everything at
// once over plain text.
type Options struct {
	// Delay holds every message this long before replying to it, as a slow
	// server does.
	Delay time.Duration
	// Reject, when set, is asked about every message; a non-nil error (such
	// as TempFail) refuses it.
	Reject func(Message) error
	// StartTLS offers STARTTLS with a certificate made for 127.0.0.1.
	StartTLS bool
	// ImplicitTLS speaks TLS from the first byte, as smtps does.
	ImplicitTLS bool
	// Users maps user names to passwords. When set, AUTH PLAIN is offered
	// (over TLS only, unless InsecureAuth) and required before MAIL.
	Users map[string]string
	// InsecureAuth offers AUTH over plain text too, as a server on a
	// trusted network may.
	InsecureAuth bool
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	// Host and Port are where it listens.
	Host string
	Port int

	opts      Options
	srv       *smtp.Server
	clientTLS *tls.Config
	closing   chan struct{} // closed on cleanup; cuts Delay short

	mu       sync.Mutex
	messages []Message
	attempts int // messages offered, refused ones included
	arrived  chan struct{}
}

// NewServer starts a server on 127.0.0.1 and stops it when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, closing: make(chan struct{}), arrived: make(chan struct{}, 1)}

	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{server: s, conn: c}, nil
	}))
	s.srv.Domain = "127.0.0.1"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = discardLogger{}
	s.srv.AllowInsecureAuth = opts.InsecureAuth

	if opts.StartTLS || opts.ImplicitTLS {
		serverTLS, clientTLS, err := selfSigned()
		if err != nil {
			t.Fatalf("smtptest: make certificate: %v", err)
		}
		s.srv.TLSConfig, s.clientTLS = serverTLS, clientTLS
	}

	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	if opts.ImplicitTLS {
		l = tls.NewListener(l, s.srv.TLSConfig)
	}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.srv.Serve(l) // returns when Close is called below
	}()
	t.Cleanup(func() {
		close(s.closing)
		_ = s.srv.Close()
		// Close misses a listener that Serve has not registered yet.
		_ = l.Close()
		<-served
	})
	return s
}

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

// URL returns an SMTP URL for the server, with user and password when user
// is not empty.
func (s *Server) URL(user, password string) string {
	scheme := "smtp"
	if s.opts.ImplicitTLS {
		scheme = "smtps"
	}
	if user == "" {
		return fmt.Sprintf("%s://%s", scheme, s.Addr())
	}
	return fmt.Sprintf("%s://%s:%s@%s", scheme, user, password, s.Addr())
}

// ClientTLSConfig returns a TLS config that trusts the server's certificate,
// or nil when the server speaks no TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Attempts returns how many messages were offered, refused ones included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Count returns how many accepted messages carry messageID.
func (s *Server) Count(messageID string) int {
	n := 0
	for _, m := range s.Messages() {
		if m.MessageID == messageID {
			n++
		}
	}
	return n
}

// WaitMessages waits until at least n messages were accepted and returns
// them, or fails the test after timeout.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if s.Len() >= n {
			return s.Messages()
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("smtptest: got %d messages after %v, want %d", s.Len(), timeout, n)
		}
	}
}

// Len returns how many messages were accepted so far.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

func (s *Server) receive(m Message) error {
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()

	if s.opts.Delay > 0 {
		select {
		case <-time.After(s.opts.Delay):
		case <-s.closing:
			return errors.New("smtptest: server closing")
		}
	}
	if s.opts.Reject != nil {
		if err := s.opts.Reject(m); err != nil {
			return err
		}
	}

	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	select { // wake WaitMessages without blocking when nobody waits
	case s.arrived <- struct{}{}:
	default:
	}
	return nil
}

// session is one client connection.
type session struct {
	server *Server
	conn   *smtp.Conn
	user   string
	msg    Message
}

func (s *session) AuthMechanisms() []string {
	if s.server.opts.Users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if want, ok := s.server.opts.Users[user]; !ok || want != password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Invalid credentials"}
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.opts.Users != nil && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.msg = Message{From: from, User: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(s.msg, raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: err.Error()}
	}
	_, m.TLS = s.conn.TLSConnectionState()
	return s.server.receive(m)
}

func (s *session) Reset()        { s.msg = Message{} }
func (s *session) Logout() error { return nil }

// parse decodes the headers and text body the way a mail client would.
func parse(m Message, raw []byte) (Message, error) {
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m, fmt.Errorf("parse message: %w", err)
	}
	m.Header = parsed.Header
	m.MessageID = strings.Trim(parsed.Header.Get("Message-Id"), "<>")
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("decode subject: %w", err)
	}

	body := parsed.Body
	switch strings.ToLower(parsed.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return m, fmt.Errorf("decode body: %w", err)
	}
	// SMTP ends every message with a line break (RFC 5321, 4.1.1.4); it is
	// not part of the text the sender wrote.
	m.Body = strings.TrimSuffix(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n")
	return m, nil
}

// discardLogger silences go-smtp's log of client errors, which tests provoke.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
