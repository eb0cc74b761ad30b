package files

import "strings"

// ContentDisposition returns a Content-Disposition header value that makes a
// browser save the response under name:
//
//	attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded
//
// name is passed through Sanitize first. The quoted filename is a plain-ASCII
// fallback for old clients (RFC 6266 section 4.3); filename* carries the real
// name in the RFC 8187 encoding, which current browsers prefer. Neither part
// can contain a quote, backslash, semicolon, percent sign, CR, LF or NUL, so
// the value cannot end the header or inject a parameter.
func ContentDisposition(name string) string {
	name = Sanitize(name)
	var b strings.Builder
	b.WriteString(`attachment; filename="`)
	b.WriteString(asciiFallback(name))
	b.WriteString(`"; filename*=UTF-8''`)
	b.WriteString(encodeRFC8187(name))
	return b.String()
}

// asciiFallback replaces every byte that is not printable ASCII, and the few
// printable ones that naive parsers mishandle inside a quoted string, with
// "_". The percent sign is among them because some user agents
// percent-decode the plain filename parameter (RFC 6266 appendix D).
func asciiFallback(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || strings.ContainsRune(`"\;%`, r) {
			return '_'
		}
		return r
	}, name)
}

// encodeRFC8187 percent-encodes every byte of s except the attr-chars of
// RFC 8187 section 3.2.1.
func encodeRFC8187(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

// isAttrChar reports whether c may appear unencoded in an RFC 8187 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
