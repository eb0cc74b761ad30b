package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleHeaders answers the client's User-Agent, or null when it sent none,
// as FastAPI's Header(None) does.
func handleHeaders() echo.HandlerFunc {
	type response struct {
		UserAgent *string `json:"User-Agent"`
	}
	return func(c echo.Context) error {
		var resp response
		if ua := c.Request().Header.Values("User-Agent"); len(ua) > 0 {
			resp.UserAgent = &ua[0]
		}
		return c.JSON(http.StatusOK, resp)
	}
}

// handleCustomHeaders shows a response with a header of our own.
func handleCustomHeaders() echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("X-Custom-Header", "Echo")
		return c.JSON(http.StatusOK, message{Message: "Hello"})
	}
}

// message is the {"message": "..."} body several tutorial endpoints answer.
type message struct {
	Message string `json:"message"`
}
