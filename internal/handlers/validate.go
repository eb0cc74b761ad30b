package handlers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
)

// requestValidator is the echo.Validator for the service: it reports every
// broken rule as a FieldError named as the client spelled the field.
type requestValidator struct {
	v *validator.Validate
}

func newValidator() *requestValidator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "query", "form", "param"} {
			name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
			if name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	return &requestValidator{v: v}
}

// Validate implements echo.Validator.
func (rv *requestValidator) Validate(i any) error {
	err := rv.v.Struct(i)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err // nil, or a programming error such as a non-struct: a 500.
	}
	verr := &ValidationError{}
	for _, fe := range ves {
		verr.Errors = append(verr.Errors, FieldError{Field: fe.Field(), Message: fieldMessage(fe)})
	}
	return verr
}

// fieldMessage says what a rule demands without echoing the value, which
// may be long or hostile.
func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "email":
		return "must be a valid email address"
	case "max":
		return fmt.Sprintf("must be at most %s characters long", fe.Param())
	case "min":
		return fmt.Sprintf("must be at least %s characters long", fe.Param())
	case "alphanum":
		return "must contain only letters and digits"
	case "printascii":
		return "must contain only printable ASCII characters"
	case "excludesall":
		return "contains a character that is not allowed"
	default:
		return "is invalid (" + fe.Tag() + ")"
	}
}

// bind fills v from the request and validates it. Bind errors need no
// translation here: HandleError shows none of their parser text.
func bind(c echo.Context, v any) error {
	if err := c.Bind(v); err != nil {
		return err
	}
	return c.Validate(v)
}
