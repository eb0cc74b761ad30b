package redisqueue_test

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/tasks/taskstest"
)

// waitDrained waits until Redis holds no job of queue that may still run:
// none pending, taken by a worker, scheduled or waiting for a retry. asynq
// marks a job active in the same step that hands it to a worker and clears
// that only after the handler returned, so from then on every attempt that
// will ever be made has been made, and a test can count them: waiting for
// an observable end, not sleeping for a while and hoping.
func waitDrained(t *testing.T, rdb redis.UniversalClient, queue string) {
	t.Helper()
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	taskstest.WaitFor(t, 10*time.Second, "queue "+queue+" drained", func() bool {
		info, err := inspector.GetQueueInfo(queue)
		return err == nil && info.Pending+info.Active+info.Scheduled+info.Retry == 0
	})
}
