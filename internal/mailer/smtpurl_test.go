package mailer

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want SMTPConfig
	}{
		{"STARTTLSDefaultPort", "smtp://mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 587}},
		{"ImplicitTLSDefaultPort", "smtps://mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 465, ImplicitTLS: true}},
		{"ExplicitPort", "smtp://localhost:1025", SMTPConfig{Host: "localhost", Port: 1025}},
		{"TrailingSlash", "smtp://localhost:1025/", SMTPConfig{Host: "localhost", Port: 1025}},
		{"Credentials", "smtp://user:pass@host:587", SMTPConfig{Host: "host", Port: 587, Username: "user", Password: "pass"}},
		{"EncodedCredentials", "smtp://me%40example.com:p%3Ass%2Fw@host", SMTPConfig{Host: "host", Port: 587, Username: "me@example.com", Password: "p:ss/w"}},
		{"IPv6", "smtp://[::1]:25", SMTPConfig{Host: "::1", Port: 25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSMTPURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseSMTPURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("ParseSMTPURL(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestParseSMTPURL_Invalid(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantMsg string // part of the error that tells the operator what to fix
	}{
		{"Empty", "", "empty"},
		{"WrongScheme", "http://host", `scheme "http"`},
		{"NoScheme", "host:587", "scheme"},
		{"Opaque", "smtp:host", "want smtp://host"},
		{"NoHost", "smtp://:587", "no host"},
		{"PortNotNumber", "smtp://u:secret@host:abc", "port"},
		{"PortTooLarge", "smtp://u:secret@host:70000", "port"},
		{"PortZero", "smtp://host:0", "port"},
		{"Path", "smtp://host/inbox", "path"},
		{"Query", "smtp://host?tls=no", "query"},
		{"UserWithoutPassword", "smtp://user@host", "no password"},
		{"EmptyUser", "smtp://:secret@host", "empty user name"},
		{"BadEscape", "smtp://u:sec%zzret@host", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSMTPURL(tt.raw)
			if !errors.Is(err, ErrSMTPURL) {
				t.Fatalf("ParseSMTPURL(%q) error = %v, want ErrSMTPURL", tt.raw, err)
			}
			if got := err.Error(); !strings.Contains(got, tt.wantMsg) {
				t.Errorf("error %q does not say %q", got, tt.wantMsg)
			}
			if got := err.Error(); strings.Contains(got, "secret") || strings.Contains(got, "sec%zzret") {
				t.Errorf("error %q leaks the password", got)
			}
		})
	}
}
