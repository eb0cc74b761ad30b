package files

import (
	"strings"
	"testing"
)

func TestNewIDIsValidAndUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := newID()
		if !validID(id) {
			t.Fatalf("newID() = %q, not valid", id)
		}
		if seen[id] {
			t.Fatalf("newID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestValidID(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 2)
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"Good", good, true},
		{"Empty", "", false},
		{"Short", good[1:], false},
		{"Long", good + "0", false},
		{"Uppercase", strings.ToUpper(good), false},
		{"DotDot", "..", false},
		{"Traversal", "../../../../../../../etc/passwd", false},
		{"SameLengthTraversal", "../" + good[3:], false},
		{"Slash", good[:16] + "/" + good[17:], false},
		{"Metadata", good + ".json", false},
		{"TempFile", ".upload-" + good[8:], false},
		{"NUL", good[:31] + "\x00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validID(tt.id); got != tt.want {
				t.Errorf("validID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}
