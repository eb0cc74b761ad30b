package files

import (
	"strings"
	"testing"
)

// TestReceiveAtTheLimits: a part header of exactly MaxHeaderBytes and a
// plain field of exactly MaxFieldBytes are taken (TestReceiveRefuses sends
// one byte more).
func TestReceiveAtTheLimits(t *testing.T) {
	const maxHeader = 512
	p := filePart("b.txt", "b")
	disposition := len(`Content-Disposition: form-data; name="file"; filename="b.txt"` + "\r\n")
	p.header = map[string]string{"X-Padding": strings.Repeat("p", maxHeader-disposition-len("X-Padding: \r\n"))}
	field := part{field: "note", content: strings.Repeat("x", 10)}
	body, ctype := multipartBody(t, field, p)

	store, _ := newStoreWithEarlier(t, Options{})
	res, err := receive(t, NewReceiver(store, Limits{MaxHeaderBytes: maxHeader, MaxFieldBytes: 10}), strings.NewReader(string(body)), ctype)
	if err != nil {
		t.Fatalf("Receive at the limits: %v", err)
	}
	if len(res.Files) != 1 || res.Files[0].Filename != "b.txt" {
		t.Errorf("stored %+v, want b.txt", res.Files)
	}
}

// TestSanitizeEdges: a separator in the first byte still cuts, and the
// extension that truncation keeps is at most maxExtBytes long, dot included.
func TestSanitizeEdges(t *testing.T) {
	long := strings.Repeat("a", 300)
	ext16 := "." + strings.Repeat("e", maxExtBytes-1)
	ext17 := "." + strings.Repeat("e", maxExtBytes)
	for _, tt := range []struct {
		name, in, want string
	}{
		{"LeadingSeparator", "/x.txt", "x.txt"},
		{"LeadingBackslash", `\x.txt`, "x.txt"},
		{"LongestKeptExtension", long + ext16, long[:MaxNameBytes-len(ext16)] + ext16},
		{"ExtensionTooLongToKeep", long + ext17, long[:MaxNameBytes]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestContentDispositionEdgeCharacters: the first and last printable ASCII
// characters that need no care pass through both parameters unchanged.
func TestContentDispositionEdgeCharacters(t *testing.T) {
	want := `attachment; filename="!a~"; filename*=UTF-8''!a~`
	if got := ContentDisposition("!a~"); got != want {
		t.Errorf("ContentDisposition(!a~)\n got %s\nwant %s", got, want)
	}
}
