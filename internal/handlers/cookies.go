package handlers

import (
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
)

const (
	// signedCookieName names the cookie that set-signed-cookie writes.
	signedCookieName = "session"
	// signedCookieMaxAge bounds how long a signed cookie is accepted; the
	// codec checks the timestamp inside the value, so it holds even when a
	// client ignores Max-Age.
	signedCookieMaxAge = 24 * time.Hour
)

// newCookieCodec signs cookie values with hashKey (HMAC-SHA256) and, when
// blockKey is set, encrypts them with AES too.
func newCookieCodec(hashKey, blockKey []byte) *securecookie.SecureCookie {
	return securecookie.New(hashKey, blockKey).MaxAge(int(signedCookieMaxAge.Seconds()))
}

// handleSetCookie is the tutorial's plain cookie, with the attributes a
// browser needs to keep it away from scripts and cross-site requests.
func handleSetCookie(secure bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		//nolint:gosec // Secure is set whenever the client could have used HTTPS; see COOKIE_SECURE.
		c.SetCookie(&http.Cookie{
			Name:     "user",
			Value:    "fake-user",
			Path:     "/",
			HttpOnly: true,
			Secure:   secure || c.IsTLS(),
			SameSite: http.SameSiteLaxMode,
		})
		// A page cannot read Set-Cookie (fetch hides it) nor an HttpOnly
		// cookie, so the answer says what was set.
		return c.JSON(http.StatusOK, message{Message: "Cookie set: user=fake-user"})
	}
}

// handleSetSignedCookie shows the safer pattern: the value is signed, so the
// server can tell when a client has changed it.
func handleSetSignedCookie(codec *securecookie.SecureCookie, secure bool) echo.HandlerFunc {
	type request struct {
		User string `query:"user" validate:"omitempty,min=1,max=64,alphanum"`
	}
	return func(c echo.Context) error {
		var req request
		if err := bind(c, &req); err != nil {
			return err
		}
		if req.User == "" {
			req.User = "fake-user"
		}
		value, err := codec.Encode(signedCookieName, req.User)
		if err != nil {
			return err // The codec is misconfigured: a 500, logged with its cause.
		}
		//nolint:gosec // Secure is set whenever the client could have used HTTPS; see COOKIE_SECURE.
		c.SetCookie(&http.Cookie{
			Name:     signedCookieName,
			Value:    value,
			Path:     "/",
			MaxAge:   int(signedCookieMaxAge.Seconds()),
			HttpOnly: true,
			Secure:   secure || c.IsTLS(),
			SameSite: http.SameSiteLaxMode,
		})
		return c.JSON(http.StatusOK, message{Message: "Signed cookie set: " + signedCookieName + " for user " + req.User})
	}
}

// handleReadSignedCookie answers the user named by a valid signed cookie and
// refuses a missing, expired or tampered one.
func handleReadSignedCookie(codec *securecookie.SecureCookie) echo.HandlerFunc {
	type response struct {
		User string `json:"user"`
	}
	return func(c echo.Context) error {
		// 401 must name a challenge (RFC 9110); there is no registered
		// scheme for cookies, so this one only tells where the cookie comes from.
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Cookie realm="session", form="/set-signed-cookie"`)
		cookie, err := c.Cookie(signedCookieName)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnauthorized,
				"No signed cookie was sent. Call /set-signed-cookie first.")
		}
		var user string
		if err := codec.Decode(signedCookieName, cookie.Value, &user); err != nil {
			return echo.NewHTTPError(http.StatusUnauthorized,
				"The signed cookie is invalid, expired or has been tampered with.")
		}
		c.Response().Header().Del(echo.HeaderWWWAuthenticate)
		return c.JSON(http.StatusOK, response{User: user})
	}
}
