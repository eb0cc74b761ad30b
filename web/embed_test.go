package web

import (
	"io/fs"
	"strings"
	"testing"
)

func TestStaticIsRootedAtWebStatic(t *testing.T) {
	b, err := fs.ReadFile(Static(), "robots.txt")
	if err != nil {
		t.Fatalf("read robots.txt: %v", err)
	}
	if !strings.Contains(string(b), "User-agent") {
		t.Errorf("robots.txt = %q, want a robots file", b)
	}
	if _, err := fs.Stat(Static(), "static"); err == nil {
		t.Error(`Static() still has a "static" directory; want it rooted inside`)
	}
}
