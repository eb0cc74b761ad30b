package ws

import (
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	got, err := Config{}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	if got.MaxMessageBytes != 4096 || got.SendBuffer != 64 || got.PongWait != time.Minute {
		t.Errorf("got %+v, want DefaultConfig", got)
	}
	if got.pingPeriod() >= got.PongWait {
		t.Errorf("ping period %v must be shorter than PongWait %v", got.pingPeriod(), got.PongWait)
	}

	kept, err := Config{MaxMessageBytes: 100, MessageRate: 0.5}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults: %v", err)
	}
	if kept.MaxMessageBytes != 100 || kept.MessageRate != 0.5 {
		t.Errorf("set fields were replaced: %+v", kept)
	}
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"NegativeSize", Config{MaxMessageBytes: -1}},
		{"NegativeWait", Config{WriteWait: -time.Second}},
		{"NegativeBuffer", Config{SendBuffer: -1}},
		{"NegativeRate", Config{MessageRate: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.cfg.withDefaults(); err == nil {
				t.Errorf("withDefaults(%+v) succeeded, want an error", tt.cfg)
			}
		})
	}
}
