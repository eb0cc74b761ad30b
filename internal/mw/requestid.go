package mw

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"example.com/echotemplate/internal/logging"
)

// RequestIDConfig configures the RequestID middleware.
type RequestIDConfig struct {
	// Skipper defines a function to skip the middleware.
	// Optional. Default middleware.DefaultSkipper.
	Skipper middleware.Skipper

	// Generator makes a new id when the client sent none or an unusable one.
	// Optional. Default 32 random hex digits.
	Generator func() string
}

// DefaultRequestIDConfig is the default RequestID configuration.
var DefaultRequestIDConfig = RequestIDConfig{
	Skipper:   middleware.DefaultSkipper,
	Generator: randomID,
}

// maxRequestIDLen bounds an id taken from a client, so that a hostile
// header cannot bloat every log line.
const maxRequestIDLen = 128

// RequestID returns a RequestID middleware with the default configuration.
func RequestID() echo.MiddlewareFunc {
	return RequestIDWithConfig(DefaultRequestIDConfig)
}

// RequestIDWithConfig returns a middleware that keeps the client's
// X-Request-ID when it is sane, makes one otherwise, echoes it in the
// response and puts it in the request context with logging.WithRequestID,
// where logging.RequestID and the logger find it.
//
// Echo's RequestID is not used: it keeps any id a client sends, quotes and
// kilobytes included, for every log line to repeat (TestRequestID/Hostile).
func RequestIDWithConfig(cfg RequestIDConfig) echo.MiddlewareFunc {
	if cfg.Skipper == nil {
		cfg.Skipper = DefaultRequestIDConfig.Skipper
	}
	if cfg.Generator == nil {
		cfg.Generator = DefaultRequestIDConfig.Generator
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			req := c.Request()
			id := req.Header.Get(echo.HeaderXRequestID)
			if !saneRequestID(id) {
				id = cfg.Generator()
			}
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			c.SetRequest(req.WithContext(logging.WithRequestID(req.Context(), id)))
			return next(c)
		}
	}
}

// saneRequestID accepts ids that are safe to log and echo: 1 to 128
// characters of letters, digits and - _ . :
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '-', b == '_', b == '.', b == ':':
		default:
			return false
		}
	}
	return true
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	return hex.EncodeToString(b[:])
}
