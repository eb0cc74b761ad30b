package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// strictJSON is Echo's JSON serializer, but a request body must be one JSON
// value and nothing after it: Echo's Deserialize decodes the first value
// and ignores the rest, so {"email":"a@example.com"}{"email":"b@…"} would
// be read as the first alone.
type strictJSON struct{ echo.DefaultJSONSerializer }

// Deserialize reads the request body into v, as Echo's does, then refuses
// anything but white space after the value.
func (s strictJSON) Deserialize(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(v); err != nil {
		var (
			syntax    *json.SyntaxError
			fieldType *json.UnmarshalTypeError
		)
		if errors.As(err, &syntax) || errors.As(err, &fieldType) || errors.Is(err, io.ErrUnexpectedEOF) {
			return echo.NewHTTPError(http.StatusBadRequest, "The body is not valid JSON for this request.").SetInternal(err)
		}
		return err // a body limit or a read error, which the error handler maps
	}
	_, err := dec.Token()
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil || errors.As(err, &syntax):
		return echo.NewHTTPError(http.StatusBadRequest, "The body has data after its JSON value.")
	default:
		return err // as above: the limit or the connection, not the client's JSON
	}
}
