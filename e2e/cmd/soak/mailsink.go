package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// tempFailure is the reply of a mail server that cannot take mail for now
// (451): the sender is expected to try again later.
var tempFailure = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}

// receivedMail is one email the sink accepted.
type receivedMail struct {
	To        string // envelope recipient
	MessageID string // without the angle brackets
	Body      string // decoded text
}

// mailSink is a real SMTP server on 127.0.0.1 that keeps every email it
// accepts, and can be told to refuse everything with 451 for a while, as a
// mail server under maintenance does.
type mailSink struct {
	srv     *smtp.Server
	ln      net.Listener
	served  chan struct{}
	failing atomic.Bool

	mu       sync.Mutex
	received []receivedMail
	refused  int // messages answered 451
}

// startMailSink starts the sink on a free loopback port.
func startMailSink(ctx context.Context) (*mailSink, error) {
	m := &mailSink{served: make(chan struct{})}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{sink: m}, nil
	}))
	m.srv.Domain = "127.0.0.1"
	m.srv.ReadTimeout = 30 * time.Second
	m.srv.WriteTimeout = 30 * time.Second
	m.srv.MaxMessageBytes = 1 << 20
	m.srv.ErrorLog = quietLog{}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP: %w", err)
	}
	m.ln = ln
	go func() {
		defer close(m.served)
		_ = m.srv.Serve(ln) // returns once close is called
	}()
	return m, nil
}

// url is the SMTP_URL that points the service at the sink.
func (m *mailSink) url() string { return "smtp://" + m.ln.Addr().String() }

// setFailing makes the sink refuse (true) or accept (false) every message.
func (m *mailSink) setFailing(failing bool) { m.failing.Store(failing) }

// mails returns the emails accepted so far.
func (m *mailSink) mails() []receivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receivedMail(nil), m.received...)
}

// refusals returns how many messages were answered 451.
func (m *mailSink) refusals() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused
}

func (m *mailSink) close() {
	_ = m.srv.Close()
	_ = m.ln.Close() // in case Serve had not registered it yet
	<-m.served
}

func (m *mailSink) receive(to string, raw []byte) error {
	if m.failing.Load() {
		m.mu.Lock()
		m.refused++
		m.mu.Unlock()
		return tempFailure
	}
	msg, err := parseMail(to, raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: err.Error()}
	}
	m.mu.Lock()
	m.received = append(m.received, msg)
	m.mu.Unlock()
	return nil
}

// parseMail reads the Message-ID and the decoded text body, as a mail
// client would.
func parseMail(to string, raw []byte) (receivedMail, error) {
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return receivedMail{}, fmt.Errorf("parse message: %w", err)
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
		return receivedMail{}, fmt.Errorf("decode body: %w", err)
	}
	return receivedMail{
		To:        to,
		MessageID: strings.Trim(parsed.Header.Get("Message-Id"), "<>"),
		Body:      strings.TrimRight(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n"),
	}, nil
}

// mailSession is one SMTP connection.
type mailSession struct {
	sink *mailSink
	to   []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.to) != 1 {
		return &smtp.SMTPError{Code: 554, Message: "want exactly one recipient"}
	}
	return s.sink.receive(s.to[0], raw)
}

func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

// quietLog drops go-smtp's log of client errors, which the faults provoke.
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
