package tasks_test

import (
	"errors"
	"fmt"
	"testing"

	"example.com/echotemplate/internal/tasks"
)

func TestTryLater(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{tasks.ErrQueueFull, true},
		{tasks.ErrClosed, true},
		{fmt.Errorf("enqueue: %w", tasks.ErrBackendDown), true},
		{tasks.ErrInvalidJob, false},
		{errors.New("boom"), false},
		{nil, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := tasks.TryLater(tt.err); got != tt.want {
				t.Errorf("TryLater(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
