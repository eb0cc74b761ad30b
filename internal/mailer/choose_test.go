package mailer_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/mailer/smtptest"
)

func TestFromConfig(t *testing.T) {
	log, _ := logging.New(&strings.Builder{}, "json", 0)
	server := smtptest.NewServer(t, smtptest.Options{})
	cfg, err := mailer.ParseSMTPURL(server.URL("", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.From = "noreply@example.com"
	bad := cfg
	bad.From = "not an address"
	for _, tt := range []struct {
		name     string
		cfg      *mailer.SMTPConfig
		wantName string
		wantErr  string
	}{
		{"NoSMTP", nil, "log", ""},
		{"SMTP", &cfg, "smtp", ""},
		{"BadSMTP", &bad, "", "SMTP mailer: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, name, err := mailer.FromConfig(tt.cfg, log)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || m != nil {
					t.Errorf("FromConfig = %v, %q, %v; want no mailer and an error starting %q", m, name, err, tt.wantErr)
				}
				return
			}
			if err != nil || m == nil || name != tt.wantName {
				t.Errorf("FromConfig = %v, %q, %v; want a %s mailer", m, name, err, tt.wantName)
			}
		})
	}
}

func TestReachable(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{})
	if err := mailer.Reachable(mailer.SMTPConfig{Host: server.Host, Port: server.Port})(t.Context()); err != nil {
		t.Errorf("a listening server: %v, want nil", err)
	}
	// A port that was just free: nothing listens on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	err = mailer.Reachable(mailer.SMTPConfig{Host: "127.0.0.1", Port: port})(t.Context())
	if want := "mailer: reach 127.0.0.1:" + strconv.Itoa(port); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("nothing listening: %v, want an error starting %q", err, want)
	}
}
