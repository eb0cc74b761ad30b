package files

import (
	"fmt"
	"mime"
	"strings"
	"testing"
)

func TestContentDisposition(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Plain", "report.pdf", `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`},
		{"Space", "my file.txt", `attachment; filename="my file.txt"; filename*=UTF-8''my%20file.txt`},
		{"Unicode", "résumé.pdf", `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`},
		{"Quote", `a"b.txt`, `attachment; filename="a_b.txt"; filename*=UTF-8''a%22b.txt`},
		{"Semicolon", "a;b=c.txt", `attachment; filename="a_b=c.txt"; filename*=UTF-8''a%3Bb%3Dc.txt`},
		{"Percent", "100%41.txt", `attachment; filename="100_41.txt"; filename*=UTF-8''100%2541.txt`},
		{"Backslash", `dir\a.txt`, `attachment; filename="a.txt"; filename*=UTF-8''a.txt`},
		{"CRLF", "a\r\nX-Evil: 1", `attachment; filename="aX-Evil: 1"; filename*=UTF-8''aX-Evil%3A%201`},
		{"Traversal", "../../etc/passwd", `attachment; filename="passwd"; filename*=UTF-8''passwd`},
		{"Empty", "", `attachment; filename="file"; filename*=UTF-8''file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContentDisposition(tt.in)
			if got != tt.want {
				t.Errorf("ContentDisposition(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			checkDisposition(t, tt.in, got)
		})
	}
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range hostileNames {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkDisposition(t, in, ContentDisposition(in))
	})
}

// checkDisposition asserts that a header value is a single safe header line
// that a standard parser reads back as an attachment named Sanitize(in).
func checkDisposition(t *testing.T, in, got string) {
	t.Helper()
	for i := 0; i < len(got); i++ {
		if c := got[i]; c < 0x20 || c > 0x7e {
			t.Fatalf("ContentDisposition(%q) = %q, has byte %#x outside printable ASCII", in, got, c)
		}
	}
	disposition, params, err := mime.ParseMediaType(got)
	if err != nil {
		t.Fatalf("ContentDisposition(%q) = %q, does not parse: %v", in, got, err)
	}
	if disposition != "attachment" {
		t.Errorf("disposition = %q, want attachment", disposition)
	}
	// mime.ParseMediaType decodes filename* and reports it as "filename".
	if want := Sanitize(in); params["filename"] != want {
		t.Errorf("filename parses back as %q, want %q", params["filename"], want)
	}
	if len(params) != 1 {
		t.Errorf("params = %q, want only filename", params)
	}
	fallback, _, _ := strings.Cut(strings.TrimPrefix(got, `attachment; filename="`), `"; filename*=`)
	if strings.ContainsAny(fallback, `"\;%/`) {
		t.Errorf("ASCII fallback %q has a character that needs quoting", fallback)
	}
}

// TestEncodeRFC8187: exactly the attr-chars of RFC 8187 section 3.2.1 stay
// as they are; every other byte is percent-encoded.
func TestEncodeRFC8187(t *testing.T) {
	const attrChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~"
	for c := range 256 {
		want := fmt.Sprintf("%%%02X", c)
		if strings.IndexByte(attrChars, byte(c)) >= 0 {
			want = string(rune(c))
		}
		if got := encodeRFC8187(string([]byte{byte(c)})); got != want {
			t.Errorf("encodeRFC8187(%#02x) = %q, want %q", c, got, want)
		}
	}
}
