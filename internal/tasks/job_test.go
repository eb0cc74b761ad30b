package tasks_test

import (
	"errors"
	"strings"
	"testing"

	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

func TestNewJob(t *testing.T) {
	a, b := taskstest.Job("a@example.com"), taskstest.Job("a@example.com")
	if a.ID == "" || a.ID == b.ID {
		t.Errorf("NewJob IDs %q and %q, want two different non-empty IDs", a.ID, b.ID)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("NewJob gave an invalid job: %v", err)
	}
}

func TestEmail_Validate(t *testing.T) {
	valid := tasks.Email{ID: "ABC-1.x_2", To: "Alice <alice@example.com>", Subject: "Hi", Body: "Line one\r\nLine two"}
	tests := []struct {
		name   string
		modify func(*tasks.Email)
		ok     bool
	}{
		{"Valid", func(*tasks.Email) {}, true},
		{"BodyMayHoldLineBreaks", func(e *tasks.Email) { e.Body = "a\nb\r\nc" }, true},
		{"NoID", func(e *tasks.Email) { e.ID = "" }, false},
		{"IDWithSpace", func(e *tasks.Email) { e.ID = "a b" }, false},
		{"IDWithAngleBracket", func(e *tasks.Email) { e.ID = "a>b" }, false},
		{"IDTooLong", func(e *tasks.Email) { e.ID = strings.Repeat("a", 129) }, false},
		{"NoRecipient", func(e *tasks.Email) { e.To = "" }, false},
		{"RecipientNotAnAddress", func(e *tasks.Email) { e.To = "alice" }, false},
		{"RecipientWithLF", func(e *tasks.Email) { e.To = "alice@example.com\nBcc: x@example.com" }, false},
		{"SubjectWithCR", func(e *tasks.Email) { e.Subject = "Hi\rBcc: x@example.com" }, false},
		{"SubjectWithCRLF", func(e *tasks.Email) { e.Subject = "Hi\r\nBcc: x@example.com" }, false},
		{"SubjectTooLong", func(e *tasks.Email) { e.Subject = strings.Repeat("s", 999) }, false},
		{"BodyTooLong", func(e *tasks.Email) { e.Body = strings.Repeat("b", 64<<10+1) }, false},
		// Each limit itself is allowed.
		{"IDAtLimit", func(e *tasks.Email) { e.ID = strings.Repeat("a", 128) }, true},
		{"RecipientAtLimit", func(e *tasks.Email) { e.To = strings.Repeat("a", 254-len("@example.com")) + "@example.com" }, true},
		{"RecipientTooLong", func(e *tasks.Email) { e.To = strings.Repeat("a", 255-len("@example.com")) + "@example.com" }, false},
		{"SubjectAtLimit", func(e *tasks.Email) { e.Subject = strings.Repeat("s", 998) }, true},
		{"BodyAtLimit", func(e *tasks.Email) { e.Body = strings.Repeat("b", 64<<10) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid
			tt.modify(&e)
			err := e.Validate()
			if tt.ok && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, tasks.ErrInvalidJob) {
				t.Errorf("Validate() = %v, want ErrInvalidJob", err)
			}
		})
	}
}
