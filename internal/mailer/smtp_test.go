package mailer_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/tasks"
	"github.com/emersion/go-smtp"
)

// newSMTP returns an SMTP mailer for server's URL with user and password.
func newSMTP(t *testing.T, server *smtptest.Server, user, password string) *mailer.SMTP {
	t.Helper()
	return newSMTPWith(t, server, user, password, false)
}

// newSMTPWith is newSMTP, allowing credentials over plain text or not.
func newSMTPWith(t *testing.T, server *smtptest.Server, user, password string, allowPlaintext bool) *mailer.SMTP {
	t.Helper()
	cfg, err := mailer.ParseSMTPURL(server.URL(user, password))
	if err != nil {
		t.Fatalf("ParseSMTPURL: %v", err)
	}
	cfg.AllowPlaintextAuth = allowPlaintext
	cfg.From = "Echo Template <noreply@example.com>"
	cfg.TLSConfig = server.ClientTLSConfig()
	m, err := mailer.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return m
}

func testEmail() tasks.Email {
	return tasks.Email{
		ID:      "01HZX3EXAMPLE",
		To:      "alice@example.com",
		Subject: "Notification for alice",
		Body:    "Hello Alice,\nsomething happened = and here is a long line that quoted-printable has to wrap because it is longer than seventy-six characters.",
	}
}

func TestSMTP_Send(t *testing.T) {
	tests := []struct {
		name     string
		opts     smtptest.Options
		user     string
		password string
		wantTLS  bool
	}{
		{"PlainWhenNoSTARTTLS", smtptest.Options{}, "", "", false},
		{"STARTTLSWhenOffered", smtptest.Options{StartTLS: true}, "", "", true},
		{"STARTTLSWithAuth", smtptest.Options{StartTLS: true, Users: map[string]string{"bob": "s3cret"}}, "bob", "s3cret", true},
		{"ImplicitTLSWithAuth", smtptest.Options{ImplicitTLS: true, Users: map[string]string{"bob": "s3cret"}}, "bob", "s3cret", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := smtptest.NewServer(t, tt.opts)
			m := newSMTP(t, server, tt.user, tt.password)
			e := testEmail()

			if err := m.Send(t.Context(), e); err != nil {
				t.Fatalf("Send: %v", err)
			}

			msgs := server.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if want := []string{e.To}; len(got.To) != 1 || got.To[0] != want[0] {
				t.Errorf("recipients = %v, want %v", got.To, want)
			}
			if got.From != "noreply@example.com" {
				t.Errorf("envelope sender = %q, want noreply@example.com", got.From)
			}
			if got.Subject != e.Subject {
				t.Errorf("subject = %q, want %q", got.Subject, e.Subject)
			}
			if got.Body != e.Body {
				t.Errorf("body = %q, want %q", got.Body, e.Body)
			}
			if want := e.ID + "@example.com"; got.MessageID != want {
				t.Errorf("Message-ID = %q, want %q", got.MessageID, want)
			}
			if got.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got.TLS, tt.wantTLS)
			}
			if got.User != tt.user {
				t.Errorf("authenticated user = %q, want %q", got.User, tt.user)
			}
		})
	}
}

func TestSMTP_SendConcurrent(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{})
	m := newSMTP(t, server, "", "")

	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			e := testEmail()
			e.ID = fmt.Sprintf("concurrent-%d", i)
			errs <- m.Send(t.Context(), e)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	if got := server.Len(); got != n {
		t.Errorf("server got %d messages, want %d", got, n)
	}
}

func TestSMTP_SendRefused(t *testing.T) {
	tests := []struct {
		name          string
		reply         error
		wantPermanent bool
	}{
		{"TemporaryIsRetryable", smtptest.TempFail, false},
		{"PermanentIsNot", smtptest.PermFail, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := smtptest.NewServer(t, smtptest.Options{Reject: func(smtptest.Message) error { return tt.reply }})
			m := newSMTP(t, server, "", "")

			err := m.Send(t.Context(), testEmail())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, tasks.ErrPermanent); got != tt.wantPermanent {
				t.Errorf("errors.Is(%v, ErrPermanent) = %v, want %v", err, got, tt.wantPermanent)
			}
		})
	}
}

func TestSMTP_SendRefusesHeaderInjection(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{})
	m := newSMTP(t, server, "", "")
	e := testEmail()
	e.Subject = "Hi\r\nBcc: victim@example.com"

	err := m.Send(t.Context(), e)
	if !errors.Is(err, tasks.ErrInvalidJob) || !errors.Is(err, tasks.ErrPermanent) {
		t.Errorf("Send error = %v, want ErrInvalidJob and ErrPermanent", err)
	}
	if n := server.Attempts(); n != 0 {
		t.Errorf("server saw %d messages, want 0", n)
	}
}

func TestSMTP_SendNoPasswordOverPlainText(t *testing.T) {
	// The server offers no TLS, so the password must not be sent at all.
	server := smtptest.NewServer(t, smtptest.Options{})
	m := newSMTP(t, server, "bob", "s3cret")

	err := m.Send(t.Context(), testEmail())
	if err == nil {
		t.Fatal("Send succeeded over plain text with credentials, want an error")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q leaks the password", err)
	}
}

func TestSMTP_SendStopsAtDeadline(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Delay: 5 * time.Second})
	m := newSMTP(t, server, "", "")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()

	start := time.Now()
	err := m.Send(ctx, testEmail())
	if err == nil {
		t.Fatal("Send succeeded, want a timeout")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Send took %v against a 200ms deadline", took)
	}
}

func TestNewSMTP_Invalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  mailer.SMTPConfig
		want error
	}{
		{"NoSender", mailer.SMTPConfig{Host: "localhost", Port: 25}, mailer.ErrSender},
		{"BadSender", mailer.SMTPConfig{Host: "localhost", Port: 25, From: "not an address"}, mailer.ErrSender},
		{"SenderInjection", mailer.SMTPConfig{Host: "localhost", Port: 25, From: "a@example.com\r\nBcc: x@example.com"}, mailer.ErrSender},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mailer.NewSMTP(tt.cfg); !errors.Is(err, tt.want) {
				t.Errorf("NewSMTP error = %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkSMTP_Send(b *testing.B) {
	server := smtptest.NewServer(b, smtptest.Options{})
	cfg, err := mailer.ParseSMTPURL(server.URL("", ""))
	if err != nil {
		b.Fatal(err)
	}
	cfg.From = "noreply@example.com"
	m, err := mailer.NewSMTP(cfg)
	if err != nil {
		b.Fatal(err)
	}
	e := testEmail()

	for b.Loop() {
		if err := m.Send(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
}

// TestSMTP_PermanentFailures: what another attempt would meet again is
// permanent, so the queue gives up at once; a temporary refusal is not.
// Credentials never cross a connection without TLS unless allowed.
func TestSMTP_PermanentFailures(t *testing.T) {
	users := map[string]string{"bob": "s3cret"}
	tests := []struct {
		name           string
		opts           smtptest.Options
		user, password string
		allowPlaintext bool
		wantPermanent  bool
	}{
		{"CredentialsWithoutSTARTTLS", smtptest.Options{Users: users, InsecureAuth: true}, "bob", "s3cret", false, true},
		{"WrongPassword", smtptest.Options{StartTLS: true, Users: users}, "bob", "wrong", false, true},
		{"NoAuthOffered", smtptest.Options{StartTLS: true}, "bob", "s3cret", false, true},
		{"RecipientRefused", smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.PermFail }}, "", "", false, true},
		{"RefusedWith500", smtptest.Options{Reject: func(smtptest.Message) error {
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: "Refused"}
		}}, "", "", false, true},
		{"TryAgainLater", smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.TempFail }}, "", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := smtptest.NewServer(t, tt.opts)
			m := newSMTPWith(t, server, tt.user, tt.password, tt.allowPlaintext)
			err := m.Send(t.Context(), testEmail())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, tasks.ErrPermanent); got != tt.wantPermanent {
				t.Errorf("errors.Is(%v, ErrPermanent) = %v, want %v", err, got, tt.wantPermanent)
			}
			if server.Len() != 0 {
				t.Errorf("the server accepted %d messages", server.Len())
			}
		})
	}
}

// TestSMTP_AllowPlaintextAuth: with SMTP_ALLOW_PLAINTEXT_AUTH the mailer
// logs in to a server on a trusted network that offers no STARTTLS.
func TestSMTP_AllowPlaintextAuth(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Users: map[string]string{"bob": "s3cret"}, InsecureAuth: true})
	m := newSMTPWith(t, server, "bob", "s3cret", true)
	if err := m.Send(t.Context(), testEmail()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := server.Messages(); len(msgs) != 1 || msgs[0].User != "bob" || msgs[0].TLS {
		t.Errorf("server got %+v; want one message from user bob over plain text", msgs)
	}
}

// rawServer accepts connections on 127.0.0.1 and hands each to handle, for
// mail servers that smtptest will not play: hostile or very slow ones.
func rawServer(t *testing.T, handle func(net.Conn)) mailer.SMTPConfig {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer conn.Close(); handle(conn) })
		}
	})
	addr := l.Addr().(*net.TCPAddr)
	return mailer.SMTPConfig{Host: addr.IP.String(), Port: addr.Port, From: "noreply@example.com"}
}

// TestSMTP_EndlessReplyLine: a server that answers with a 50 MiB line
// costs the mailer about 1 MiB, not 50, and the attempt fails.
func TestSMTP_EndlessReplyLine(t *testing.T) {
	cfg := rawServer(t, func(conn net.Conn) {
		_, _ = conn.Write([]byte("220-"))
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for range 50 {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
		_, _ = conn.Write([]byte("\r\n"))
	})
	m, err := mailer.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = m.Send(ctx, testEmail())
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("Send succeeded against a 50 MiB greeting")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("the attempt allocated %d MiB; want at most 16", grew>>20)
	} else {
		t.Logf("the attempt allocated %.1f MiB against a 50 MiB line", float64(grew)/(1<<20))
	}
}

// TestSMTP_AttemptDeadlineIsWhole: a server that takes a while over every
// reply, each within the attempt's timeout, is still cut off at the
// attempt's deadline, not at one timeout per command.
func TestSMTP_AttemptDeadlineIsWhole(t *testing.T) {
	const step = 300 * time.Millisecond
	cfg := rawServer(t, func(conn net.Conn) {
		r := bufio.NewReader(conn)
		reply := func(s string) bool {
			time.Sleep(step)
			_, err := conn.Write([]byte(s + "\r\n"))
			return err == nil
		}
		if !reply("220 slow.example ESMTP") {
			return
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
			case "DATA":
				reply("354 go on")
				for line != ".\r\n" && err == nil {
					line, err = r.ReadString('\n')
				}
				reply("250 queued")
			case "QUIT":
				reply("221 bye")
				return
			default:
				reply("250 ok")
			}
		}
	})
	m, err := mailer.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*step)
	defer cancel()
	start := time.Now()
	err = m.Send(ctx, testEmail())
	if err == nil {
		t.Fatalf("Send succeeded after %v against a deadline of %v", time.Since(start), 2*step)
	}
	if took := time.Since(start); took > 5*step {
		t.Errorf("Send took %v against a deadline of %v", took, 2*step)
	}
}

// TestSMTP_ServerNameDefaultsToHost: a TLS config without a ServerName
// (SMTP_URL's host is the name to verify) still verifies the server's
// certificate, against the host the mailer dials.
func TestSMTP_ServerNameDefaultsToHost(t *testing.T) {
	for _, opts := range []smtptest.Options{{StartTLS: true}, {ImplicitTLS: true}} {
		server := smtptest.NewServer(t, opts)
		cfg, err := mailer.ParseSMTPURL(server.URL("", ""))
		if err != nil {
			t.Fatal(err)
		}
		cfg.From = "noreply@example.com"
		cfg.TLSConfig = server.ClientTLSConfig()
		cfg.TLSConfig.ServerName = ""
		m, err := mailer.NewSMTP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Send(t.Context(), testEmail()); err != nil {
			t.Errorf("implicit TLS %v: Send: %v, want the certificate for 127.0.0.1 verified", opts.ImplicitTLS, err)
		}
	}
}
