package tasks_test

import (
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/internal/tasks"
)

func TestConfig_WithDefaults(t *testing.T) {
	got, err := tasks.Config{Workers: 2, Timeout: time.Second}.WithDefaults()
	if err != nil {
		t.Fatalf("WithDefaults: %v", err)
	}
	want := tasks.DefaultConfig
	want.Workers, want.Timeout = 2, time.Second
	if got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
}

func TestConfig_WithDefaultsNegative(t *testing.T) {
	tests := []struct {
		name string
		cfg  tasks.Config
	}{
		{"Workers", tasks.Config{Workers: -1}},
		{"QueueSize", tasks.Config{QueueSize: -1}},
		{"MaxAttempts", tasks.Config{MaxAttempts: -1}},
		{"Timeout", tasks.Config{Timeout: -time.Second}},
		{"RetryDelay", tasks.Config{RetryDelay: -time.Second}},
		{"RetryMaxDelay", tasks.Config{RetryMaxDelay: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.WithDefaults()
			if err == nil {
				t.Fatal("WithDefaults succeeded, want an error")
			}
			if got := err.Error(); !strings.Contains(got, tt.name) {
				t.Errorf("error %q does not name %s", got, tt.name)
			}
		})
	}
}
