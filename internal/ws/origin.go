package ws

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// originPolicy decides which browser origins may open a WebSocket. Browsers
// send cookies with a WebSocket handshake from any site, so without this
// check any page a visitor opens could talk to the hub in their name.
type originPolicy struct {
	// allowed holds normalized origins allowed besides the request's own
	// host, which is always allowed, as same-origin requests are by CORS.
	allowed map[string]bool
}

// newOriginPolicy normalizes the configured origins and rejects any that is
// not of the form scheme://host[:port], such as "*" or "null".
func newOriginPolicy(origins []string) (originPolicy, error) {
	p := originPolicy{allowed: make(map[string]bool, len(origins))}
	for _, o := range origins {
		n, ok := normalizeOrigin(o)
		if !ok {
			return originPolicy{}, fmt.Errorf("ws: config: AllowedOrigins: %q is not scheme://host[:port]", o)
		}
		p.allowed[n] = true
	}
	return p, nil
}

// allows reports whether r may be upgraded. A request without an Origin
// header does not come from a browser page and is allowed; an Origin header
// that is repeated or malformed (including "null") is refused.
func (p originPolicy) allows(r *http.Request) bool {
	values := r.Header.Values("Origin")
	switch len(values) {
	case 0:
		return true
	case 1:
	default:
		return false
	}
	u, ok := parseOrigin(values[0])
	if !ok {
		return false
	}
	// Same origin: the page was served by this host. The scheme is not
	// compared because a TLS-terminating proxy hides it from us.
	return strings.EqualFold(u.Host, r.Host) || p.allowed[normalize(u)]
}

// normalizeOrigin returns origin in the form used as a key of
// originPolicy.allowed, or false when it is not a web page's origin.
func normalizeOrigin(origin string) (string, bool) {
	u, ok := parseOrigin(origin)
	if !ok {
		return "", false
	}
	return normalize(u), true
}

// parseOrigin parses an Origin header value and reports false for anything a
// browser would not send as the origin of a web page, such as "null" or a
// value with a path.
func parseOrigin(origin string) (*url.URL, bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, false
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, false
	}
	return u, true
}

// normalize writes u as lower-case scheme://host:port with the port always
// present, so "http://Example.com" and "http://example.com:80" compare equal.
func normalize(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	return scheme + "://" + strings.ToLower(withDefaultPort(u.Host, scheme == "https"))
}

// withDefaultPort returns host with the port of the scheme appended when it
// has none.
func withDefaultPort(host string, https bool) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := "80"
	if https {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}
