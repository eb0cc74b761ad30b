package files

import (
	"errors"
	"strings"
	"testing"
)

func TestHeaderLimiter(t *testing.T) {
	l := &headerLimiter{r: strings.NewReader(strings.Repeat("x", 100))}
	buf := make([]byte, 30)

	if n, err := l.Read(buf); n != 30 || err != nil {
		t.Fatalf("disarmed Read = %d, %v; want 30, nil", n, err)
	}
	l.arm(20)
	if n, err := l.Read(buf); n != 20 || err != nil {
		t.Fatalf("armed Read = %d, %v; want the 20 left in the budget", n, err)
	}
	if _, err := l.Read(buf); !errors.Is(err, errHeaderBudget) {
		t.Fatalf("Read past the budget error = %v, want errHeaderBudget", err)
	}
	l.disarm()
	if n, err := l.Read(buf); n != 30 || err != nil {
		t.Fatalf("Read after disarm = %d, %v; want 30, nil", n, err)
	}
}
