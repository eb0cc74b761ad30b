package ws

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultName is the chat name of a client that gives none, so a plain
// client sees the tutorial's "User said: m".
const DefaultName = "User"

// MaxNameRunes caps the length of a chat name.
const MaxNameRunes = 32

// ErrInvalidName reports a chat name that is too long or holds characters
// other than letters, digits, spaces, '-', '_' and '.'. It is the client's
// mistake (the HTTP layer answers 422, as for any invalid field).
var ErrInvalidName = errors.New("ws: invalid name")

// ParseName validates a chat name taken from the request (?name=). Spaces
// around it are dropped and an empty name becomes DefaultName. The character
// set is narrow so a name can neither break a line nor pose as another
// message ("Bob said: ...") or as markup.
func ParseName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return DefaultName, nil
	}
	if utf8.RuneCountInString(name) > MaxNameRunes {
		return "", ErrInvalidName
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -_.", r) {
			return "", ErrInvalidName
		}
	}
	return name, nil
}
