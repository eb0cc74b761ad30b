package tasks

import (
	"cmp"
	"errors"
	"fmt"
	"time"
)

// Config tunes how jobs are run. Both backends use it; a zero field takes its
// value from DefaultConfig.
type Config struct {
	// Workers is how many jobs run at once.
	// Optional. Default 4.
	Workers int
	// QueueSize is how many jobs may wait in memory; one more is refused
	// with ErrQueueFull. Only the Dispatcher uses it: Redis holds as many
	// as it has memory for.
	// Optional. Default 1000.
	QueueSize int
	// MaxAttempts is how often a job is tried before it is given up.
	// Optional. Default 5.
	MaxAttempts int
	// Timeout bounds one attempt.
	// Optional. Default 30s.
	Timeout time.Duration
	// RetryDelay is the wait before the first retry; each later one doubles
	// it, with jitter, up to RetryMaxDelay.
	// Optional. Default 1s.
	RetryDelay time.Duration
	// RetryMaxDelay caps the wait between two attempts.
	// Optional. Default 1m.
	RetryMaxDelay time.Duration
}

// DefaultConfig holds the value of each Config field left zero.
var DefaultConfig = Config{
	Workers:       4,
	QueueSize:     1000,
	MaxAttempts:   5,
	Timeout:       30 * time.Second,
	RetryDelay:    time.Second,
	RetryMaxDelay: time.Minute,
}

// errConfig is wrapped by every Config error.
var errConfig = errors.New("tasks: invalid config")

// WithDefaults returns c with each zero field set from DefaultConfig, or an
// error naming the first negative one.
func (c Config) WithDefaults() (Config, error) {
	for _, f := range []struct {
		name     string
		negative bool
	}{
		{"Workers", c.Workers < 0},
		{"QueueSize", c.QueueSize < 0},
		{"MaxAttempts", c.MaxAttempts < 0},
		{"Timeout", c.Timeout < 0},
		{"RetryDelay", c.RetryDelay < 0},
		{"RetryMaxDelay", c.RetryMaxDelay < 0},
	} {
		if f.negative {
			return c, fmt.Errorf("%w: %s is negative", errConfig, f.name)
		}
	}
	d := DefaultConfig
	c.Workers = cmp.Or(c.Workers, d.Workers)
	c.QueueSize = cmp.Or(c.QueueSize, d.QueueSize)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, d.MaxAttempts)
	c.Timeout = cmp.Or(c.Timeout, d.Timeout)
	c.RetryDelay = cmp.Or(c.RetryDelay, d.RetryDelay)
	c.RetryMaxDelay = cmp.Or(c.RetryMaxDelay, d.RetryMaxDelay)
	return c, nil
}
