package handlers

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/logging"
)

// MIMEProblemJSON is the media type of RFC 9457 problem details.
const MIMEProblemJSON = "application/problem+json"

// statusClientClosedRequest is nginx's status for a client that went away
// before the answer. Nobody receives it; it is there so the request's log
// line says what happened, at warning level rather than as a server error.
const statusClientClosedRequest = 499

// clientGone records that the client went away before its answer: 499 in
// the request's log line and metrics (a warning, not a server error), and
// nothing written, since nobody would read it and 499 is no real status.
func clientGone(c echo.Context) {
	res := c.Response()
	res.Status, res.Committed = statusClientClosedRequest, true
	// A handler that writes nothing gets an empty 200 from net/http, which
	// a half-closed client would still read as a success: close the
	// connection instead. (A hijacked one, a WebSocket's, is closed
	// already; HTTP/2, which this server does not speak, cannot be.)
	if conn, _, err := http.NewResponseController(res.Writer).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// Problem is an RFC 9457 problem details object, the body of every error
// response the service writes.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError is returned for input that parsed but broke a rule; it
// becomes a 422 listing every invalid field, as FastAPI does.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	return "validation failed"
}

// genericDetail is what a client is told when the error carries no message
// of ours, so that no library or internal error text reaches it.
var genericDetail = map[int]string{
	http.StatusBadRequest:                   "The request could not be parsed.",
	http.StatusNotFound:                     "The requested resource was not found.",
	http.StatusMethodNotAllowed:             "The method is not allowed for this resource.",
	http.StatusRequestEntityTooLarge:        "The request body is too large.",
	http.StatusUnsupportedMediaType:         "The content type is not supported.",
	http.StatusRequestHeaderFieldsTooLarge:  "The request headers are too large.",
	http.StatusInternalServerError:          "An internal error occurred. Quote the request id when reporting it.",
	http.StatusServiceUnavailable:           "The service is unavailable. Try again later.",
	http.StatusUnprocessableEntity:          "The request has invalid fields.",
	http.StatusTooManyRequests:              "Too many requests. Try again later.",
	http.StatusRequestTimeout:               "The request body did not arrive in time.",
	http.StatusRequestedRangeNotSatisfiable: "The requested range cannot be satisfied.",
}

// HandleError is the service's one echo.HTTPErrorHandler: it writes every
// error as problem+json. Messages of *echo.HTTPError values made by this
// service's handlers are shown; anything else (library errors, panics,
// internal failures) shows only a generic detail. Logging is left to the
// request logger, which sees the same error, so each failure is logged once.
func HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The work stopped because the client went away (net/http cancels
		// the request's context when its connection closes).
		clientGone(c)
		return
	}
	p := problemFor(err)
	req := c.Request()
	p.Instance = req.URL.Path
	p.RequestID = logging.RequestID(req.Context())

	if req.Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	c.Response().Header().Set(echo.HeaderContentType, MIMEProblemJSON)
	// A failed write means the client has gone; there is no one left to tell.
	_ = c.JSON(p.Status, p)
}

// problemFor maps an error to the problem a client may see.
func problemFor(err error) Problem {
	var (
		verr   *ValidationError
		maxErr *http.MaxBytesError
		netErr net.Error
		he     *echo.HTTPError
	)
	switch {
	case errors.As(err, &verr):
		p := newProblem(http.StatusUnprocessableEntity, "")
		p.Errors = verr.Errors
		return p
	case errors.As(err, &maxErr):
		return newProblem(http.StatusRequestEntityTooLarge, "")
	case errors.As(err, &he):
		// Echo wraps errors from reading the body (a body limit, say) in a
		// 400 whose Internal field holds the real HTTP error.
		var inner *echo.HTTPError
		if he.Internal != nil && errors.As(he.Internal, &inner) {
			he = inner
		}
		// Echo's binder calls a body that did not arrive within
		// HTTP_READ_TIMEOUT malformed too. (Only there: a 503 may well
		// carry a timeout of Redis's.)
		if he.Code == http.StatusBadRequest && errors.As(he.Internal, &netErr) && netErr.Timeout() {
			return newProblem(http.StatusRequestTimeout, "")
		}
		detail := ""
		// Echo's own errors carry library text or the bare status phrase
		// when Internal is set; only our messages are worth showing.
		if msg, ok := he.Message.(string); ok && he.Internal == nil && msg != http.StatusText(he.Code) {
			detail = msg
		}
		return newProblem(he.Code, detail)
	default:
		return newProblem(http.StatusInternalServerError, "")
	}
}

func newProblem(status int, detail string) Problem {
	if detail == "" {
		detail = genericDetail[status]
	}
	return Problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	}
}
