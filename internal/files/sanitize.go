package files

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes caps a sanitised name. 255 bytes is the longest file name most
// file systems accept, so a user who saves the download keeps the whole name.
const MaxNameBytes = 255

// FallbackName replaces a name that sanitising leaves empty or that would
// name a directory ("." and "..").
const FallbackName = "file"

// maxExtBytes is the longest extension that truncation keeps, so
// "aaaa….pdf" still ends in ".pdf"; longer "extensions" are just text.
const maxExtBytes = 16

// Sanitize returns a name that is safe to store, to show in HTML-escaped
// output and to put in a header: the last path element of clientName (both /
// and \ count as separators), without control characters, invalid UTF-8 or
// invisible Unicode format characters such as the right-to-left override
// U+202E, trimmed of surrounding spaces and cut to MaxNameBytes at a rune
// boundary. It never returns "", "." or "..", and Sanitize(Sanitize(s)) ==
// Sanitize(s).
//
// The result is display metadata only: the Store never builds a path from it.
func Sanitize(clientName string) string {
	name := strings.Map(dropInvisible, strings.ToValidUTF8(clientName, ""))
	// Characters are dropped before the name is split, so a hidden character
	// cannot glue ".." or a separator back together afterwards.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = truncate(strings.TrimSpace(name), MaxNameBytes)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return FallbackName
	}
	return name
}

// dropInvisible is a strings.Map function that removes runes a reader cannot
// see or that change how the rest of the line renders: C0 and C1 controls
// (NUL, CR, LF, TAB, ESC, …), format characters (bidi overrides and isolates,
// zero-width joiners, the BOM) and the line and paragraph separators.
func dropInvisible(r rune) rune {
	switch {
	case unicode.IsControl(r),
		unicode.Is(unicode.Cf, r),
		unicode.Is(unicode.Zl, r),
		unicode.Is(unicode.Zp, r):
		return -1
	}
	return r
}

// truncate cuts name to at most limit bytes without splitting a rune,
// keeping a short extension so the file still opens with the right program.
func truncate(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > maxExtBytes || len(ext) == len(name) {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	return cutAtRune(stem, limit-len(ext)) + ext
}

// cutAtRune returns the longest prefix of s that is at most n bytes and ends
// on a rune boundary.
func cutAtRune(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
