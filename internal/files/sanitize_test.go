package files

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	long := strings.Repeat("a", 4096)
	tests := []struct {
		name, in, want string
	}{
		{"Plain", "report.pdf", "report.pdf"},
		{"KeepsUnicode", "résumé 履歴書.txt", "résumé 履歴書.txt"},
		{"UnixTraversal", "../../etc/passwd", "passwd"},
		{"WindowsTraversal", `..\..\x`, "x"},
		{"MixedSeparators", `a/b\c/d.txt`, "d.txt"},
		{"AbsolutePath", "/etc/shadow", "shadow"},
		{"DriveLetter", `C:\Windows\win.ini`, "win.ini"},
		{"DotDot", "..", FallbackName},
		{"Dot", ".", FallbackName},
		{"TrailingDotDot", "a/..", FallbackName},
		{"TrailingSeparator", "dir/", FallbackName},
		{"DotDotGluedByNUL", ".\x00.", FallbackName},
		{"DotDotGluedByRTL", ".\u202e.", FallbackName},
		{"SeparatorAfterHidden", "..\u200b/x", "x"},
		{"Empty", "", FallbackName},
		{"OnlySpaces", "   ", FallbackName},
		{"NUL", "evil\x00.txt", "evil.txt"},
		{"CRLF", "a\r\nSet-Cookie: x.txt", "aSet-Cookie: x.txt"},
		{"Tab", "a\tb", "ab"},
		{"C1Control", "a\u0085b", "ab"},
		{"RTLOverride", "invoice\u202Etxt.exe", "invoicetxt.exe"},
		{"BidiIsolate", "\u2066x\u2069.png", "x.png"},
		{"ZeroWidth", "a\u200b\u200db\ufeff", "ab"},
		{"LineSeparator", "a\u2028b\u2029c", "abc"},
		{"InvalidUTF8", "a\xffb\xc3.txt", "ab.txt"},
		{"Script", "<script>alert(1)</script>.html", "script>.html"},
		{"ScriptNoSlash", "<script>.html", "<script>.html"},
		{"Trims", "  name.txt \t", "name.txt"},
		{"LongKeepsExtension", long + ".pdf", strings.Repeat("a", MaxNameBytes-4) + ".pdf"},
		{"LongNoExtension", long, strings.Repeat("a", MaxNameBytes)},
		{"LongExtensionIsText", "x." + long, "x." + strings.Repeat("a", MaxNameBytes-2)},
		{"LongCutsAtRune", strings.Repeat("é", 200), strings.Repeat("é", MaxNameBytes/2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			if got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkSanitized(t, tt.in, got)
		})
	}
}

// hostileNames seed the fuzz tests; TestSanitize holds the expected outputs.
var hostileNames = []string{
	"../../etc/passwd",
	`..\..\x`,
	"a\x00b",
	"\x00",
	strings.Repeat("A", 4096),
	strings.Repeat("語", 2000) + ".txt",
	"<script>alert(1)</script>",
	"invoice\u202Etxt.exe",
	"\r\nSet-Cookie: a=b",
	`"; filename=evil.exe`,
	"..",
	" . ",
	"50%25 off.pdf",
	"a\xff\xfe.bin",
}

func FuzzSanitize(f *testing.F) {
	for _, s := range hostileNames {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSanitized(t, in, Sanitize(in))
	})
}

// checkSanitized asserts the properties every Sanitize result has.
func checkSanitized(t *testing.T, in, got string) {
	t.Helper()
	switch {
	case got == "" || got == "." || got == "..":
		t.Errorf("Sanitize(%q) = %q, a directory name", in, got)
	case len(got) > MaxNameBytes:
		t.Errorf("Sanitize(%q) is %d bytes, want at most %d", in, len(got), MaxNameBytes)
	case !utf8.ValidString(got):
		t.Errorf("Sanitize(%q) = %q, invalid UTF-8", in, got)
	case strings.ContainsAny(got, "/\\\x00\r\n\u202e"):
		t.Errorf("Sanitize(%q) = %q, contains a separator or control character", in, got)
	case strings.TrimSpace(got) != got:
		t.Errorf("Sanitize(%q) = %q, has surrounding space", in, got)
	case Sanitize(got) != got:
		t.Errorf("Sanitize is not idempotent: Sanitize(%q) = %q", got, Sanitize(got))
	}
	for _, r := range got {
		if dropInvisible(r) < 0 {
			t.Errorf("Sanitize(%q) = %q, contains invisible rune %U", in, got, r)
		}
	}
}

// TestCutAtRune: a cut never splits a rune, nor reads past either end,
// whatever the bytes.
func TestCutAtRune(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abc", 2, "ab"},
		{"aé", 2, "a"},
		{"aé", 3, "aé"},
		{"\x80\x80", 1, ""}, // continuation bytes only
	}
	for _, tt := range tests {
		if got := cutAtRune(tt.s, tt.n); got != tt.want {
			t.Errorf("cutAtRune(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
