package metrics

import (
	"strings"
	"testing"
)

// TestSourceValuesExact: a source's figures are exposed with every digit,
// as Prometheus parses them back: 12345 bytes is not 1e+04.
func TestSourceValuesExact(t *testing.T) {
	m := New()
	m.AddSource(func() []Stat {
		return []Stat{
			{Name: "storage_bytes", Help: "Stored.", Value: 12345},
			{Name: "ratio", Help: "A share.", Value: 0.125},
			{Name: "big_total", Help: "Many.", Counter: true, Value: 1234567890123},
		}
	})
	out := scrape(t, m)
	for _, want := range []string{
		"\napp_storage_bytes 12345\n",
		"\napp_ratio 0.125\n",
		"\napp_big_total 1.234567890123e+12\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", strings.TrimSpace(want))
		}
	}
}
