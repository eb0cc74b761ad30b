package redisqueue

import (
	"errors"
	"fmt"
	"time"

	"example.com/echotemplate/internal/tasks"
)

// Config tunes the Redis queue. A zero field takes its value from
// DefaultConfig.
type Config struct {
	// Tasks holds what both backends share: Workers, MaxAttempts, Timeout,
	// RetryDelay and RetryMaxDelay. QueueSize is not used: Redis holds as
	// many jobs as it has memory for.
	// Optional. Default tasks.DefaultConfig.
	Tasks tasks.Config
	// Queue names the asynq queue. Instances that share it share the jobs.
	// Optional. Default "email".
	Queue string
	// PollInterval is how often an idle instance looks for new jobs and for
	// retries that are due. Lower picks jobs up sooner and loads Redis more;
	// Shutdown may wait up to 1.5 times this for the poller to stop.
	// Optional. Default 1s.
	PollInterval time.Duration
	// EnqueueTimeout bounds storing one job in Redis, so a request waits no
	// longer than this for its 503 when Redis does not answer. It holds for
	// a Redis that hangs only if the client honours context deadlines
	// (redis.Options.ContextTimeoutEnabled, which the service sets).
	// Optional. Default 1s.
	EnqueueTimeout time.Duration
	// Retention is how long a sent job stays in Redis: while it does,
	// enqueueing the same job ID again is refused, so it is not sent twice.
	// Optional. Default 1h.
	Retention time.Duration
}

// DefaultConfig holds the value of each Config field left zero.
var DefaultConfig = Config{
	Tasks:          tasks.DefaultConfig,
	Queue:          "email",
	PollInterval:   time.Second,
	EnqueueTimeout: time.Second,
	Retention:      time.Hour,
}

// errConfig is wrapped by every Config error.
var errConfig = errors.New("redisqueue: invalid config")

// withDefaults returns c with each zero field set from DefaultConfig, or an
// error naming the first negative one.
func (c Config) withDefaults() (Config, error) {
	var err error
	if c.Tasks, err = c.Tasks.WithDefaults(); err != nil {
		return c, err
	}
	for _, f := range []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"PollInterval", &c.PollInterval, DefaultConfig.PollInterval},
		{"EnqueueTimeout", &c.EnqueueTimeout, DefaultConfig.EnqueueTimeout},
		{"Retention", &c.Retention, DefaultConfig.Retention},
	} {
		switch {
		case *f.value < 0:
			return c, fmt.Errorf("%w: %s is negative", errConfig, f.name)
		case *f.value == 0:
			*f.value = f.def
		}
	}
	if c.Queue == "" {
		c.Queue = DefaultConfig.Queue
	}
	return c, nil
}
