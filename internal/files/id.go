package files

import (
	"crypto/rand"
	"encoding/hex"
)

// idBytes is the entropy of an id: 128 bits, so ids made by any number of
// instances sharing a directory do not collide and cannot be guessed.
const idBytes = 16

// newID returns a random id of 2*idBytes lowercase hex digits.
func newID() string {
	b := make([]byte, idBytes)
	rand.Read(b) // Never fails; it crashes the program instead (Go 1.24+).
	return hex.EncodeToString(b)
}

// validID reports whether id has exactly the form newID makes. Only such an
// id is ever joined to the directory, so no id can name a path outside it
// (no separators, no dots) or one of the store's temporary files.
func validID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
