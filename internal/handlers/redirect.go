package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// handleRedirect answers 307 to defaultURL, or to the caller's ?to= target
// when that is a local path or an http(s) URL on an allowed host. Anything
// else is refused rather than followed: an open redirect lends the
// service's name to phishing links.
func handleRedirect(defaultURL string, allowedHosts []string) echo.HandlerFunc {
	allowed := make(map[string]bool, len(allowedHosts))
	for _, h := range allowedHosts {
		allowed[strings.ToLower(h)] = true
	}
	return func(c echo.Context) error {
		to := defaultURL
		if c.QueryParams().Has("to") {
			to = c.QueryParam("to")
			if !safeRedirect(to, allowed) {
				return echo.NewHTTPError(http.StatusBadRequest,
					"The redirect target must be a local path or an http(s) URL on an allowed host.")
			}
		}
		return c.Redirect(http.StatusTemporaryRedirect, to)
	}
}

// safeRedirect reports whether a browser given target as a Location would
// stay on this site or go to an allowed host. It refuses what browsers
// read differently from url.Parse: protocol-relative `//host`, `/\host`,
// backslashes anywhere, control characters, userinfo (`allowed@evil`),
// and opaque forms such as `https:evil.example`.
func safeRedirect(target string, allowed map[string]bool) bool {
	if target == "" || strings.ContainsAny(target, "\\") {
		return false
	}
	for _, r := range target {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	if strings.HasPrefix(target, "/") {
		return !strings.HasPrefix(target, "//")
	}
	u, err := url.Parse(target)
	if err != nil || u.Opaque != "" || u.User != nil {
		return false
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return false
	}
	return allowed[strings.ToLower(u.Hostname())]
}
