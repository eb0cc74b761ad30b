package handlers

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestTrustedProxies: with TRUSTED_PROXIES set, X-Forwarded-For and
// X-Forwarded-Proto are believed from the listed networks and no others.
// A peer anywhere else, on a private, loopback or link-local network too,
// is the client whatever its headers say; Echo's own defaults would
// believe those.
func TestTrustedProxies(t *testing.T) {
	cfg := testConfig()
	cfg.TrustedProxies = parseCIDRs(t, "10.0.0.0/8", "2001:db8:1::/48")
	s := newTestServer(t, cfg)
	tests := []struct {
		name         string
		peer         string // RemoteAddr's host
		forwardedFor string
		wantIP       string // the address logged as remote_ip
		wantHTTPS    bool   // X-Forwarded-Proto: https was believed
	}{
		{"TrustedProxy", "10.1.2.3", "203.0.113.7", "203.0.113.7", true},
		{"TrustedIPv6Proxy", "2001:db8:1::5", "203.0.113.7", "203.0.113.7", true},
		{"ChainOfTrustedProxies", "10.0.0.1", "198.51.100.4, 10.0.0.2", "198.51.100.4", true},
		// The nearest hop that is not a listed proxy is the client; what
		// it claims to have forwarded for is not believed.
		{"UntrustedPrivateHopInChain", "10.0.0.1", "198.51.100.4, 192.168.1.9", "192.168.1.9", true},
		{"UntrustedLoopbackHopInChain", "10.0.0.1", "198.51.100.4, 127.0.0.1", "127.0.0.1", true},
		{"TrustedProxyWithoutHeader", "10.1.2.3", "", "10.1.2.3", true},
		{"PrivatePeer", "192.168.1.5", "203.0.113.7", "192.168.1.5", false},
		{"OtherPrivatePeer", "172.16.0.1", "203.0.113.7", "172.16.0.1", false},
		{"UniqueLocalIPv6Peer", "fd00::1", "203.0.113.7", "fd00::1", false},
		{"LoopbackPeer", "127.0.0.1", "203.0.113.7", "127.0.0.1", false},
		{"IPv6LoopbackPeer", "::1", "203.0.113.7", "::1", false},
		{"LinkLocalPeer", "169.254.1.1", "203.0.113.7", "169.254.1.1", false},
		{"PublicPeer", "198.51.100.1", "203.0.113.7", "198.51.100.1", false},
		{"PeerBesideTheTrustedIPv6Network", "2001:db8:2::5", "203.0.113.7", "2001:db8:2::5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.logs.Reset()
			req := httptest.NewRequest(http.MethodGet, "/headers", nil)
			req.RemoteAddr = net.JoinHostPort(tt.peer, "4567")
			if tt.forwardedFor != "" {
				req.Header.Set(echo.HeaderXForwardedFor, tt.forwardedFor)
			}
			req.Header.Set(echo.HeaderXForwardedProto, "https")
			rec := s.do(t, req)
			if got := loggedRemoteIP(t, s.logs.String()); got != tt.wantIP {
				t.Errorf("remote_ip = %q, want %q", got, tt.wantIP)
			}
			hsts := rec.Header().Get(echo.HeaderStrictTransportSecurity)
			if tt.wantHTTPS && hsts == "" {
				t.Error("no Strict-Transport-Security: X-Forwarded-Proto from a trusted proxy was not believed")
			}
			if !tt.wantHTTPS && hsts != "" {
				t.Errorf("Strict-Transport-Security = %q: X-Forwarded-Proto from an untrusted peer was believed", hsts)
			}
		})
	}
}

// TestTrustedProxyForwardsPlainHTTP: a trusted proxy's X-Forwarded-Proto
// is believed when it says http too, so a request that reached the proxy
// in plain text gets no HSTS even though the proxy is trusted.
func TestTrustedProxyForwardsPlainHTTP(t *testing.T) {
	cfg := testConfig()
	cfg.TrustedProxies = parseCIDRs(t, "10.0.0.0/8")
	req := httptest.NewRequest(http.MethodGet, "/headers", nil)
	req.RemoteAddr = "10.1.2.3:4567"
	req.Header.Set(echo.HeaderXForwardedProto, "http")
	if got := newTestServer(t, cfg).do(t, req).Header().Get(echo.HeaderStrictTransportSecurity); got != "" {
		t.Errorf("Strict-Transport-Security = %q, want none for a request forwarded as http", got)
	}
}

func parseCIDRs(t *testing.T, cidrs ...string) []*net.IPNet {
	t.Helper()
	nets := make([]*net.IPNet, 0, len(cidrs))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, n)
	}
	return nets
}

// loggedRemoteIP returns the remote_ip of the one request line in logs.
func loggedRemoteIP(t *testing.T, logs string) string {
	t.Helper()
	var ips []string
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct {
			RemoteIP *string `json:"remote_ip"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		if line.RemoteIP != nil {
			ips = append(ips, *line.RemoteIP)
		}
	}
	if len(ips) != 1 {
		t.Fatalf("got %d request lines with remote_ip, want 1:\n%s", len(ips), logs)
	}
	return ips[0]
}
