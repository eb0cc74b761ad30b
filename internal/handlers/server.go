// Package handlers is the service's HTTP face: NewServer builds the Echo
// instance with its middleware, routes and error handler, and each handler
// is a maker function whose closure holds what it needs. Business packages
// (tasks, ws, files) are passed in; nothing here reaches for globals.
package handlers

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"example.com/echotemplate/internal/files" // feature:files
	"example.com/echotemplate/internal/metrics"
	"example.com/echotemplate/internal/mw"
)

// Config holds the HTTP settings NewServer needs. cmd/api fills it from the
// validated service configuration.
type Config struct {
	// AllowOrigins lists the exact origins (scheme://host[:port]) that CORS
	// answers; "*" allows any origin and is refused with AllowCredentials.
	AllowOrigins     []string
	AllowCredentials bool
	// TrustedProxies are the networks whose X-Forwarded-For and
	// X-Forwarded-Proto are believed.
	// Empty means the client address is the TCP peer.
	TrustedProxies []*net.IPNet
	// RedirectURL is where GET /redirect sends clients by default.
	RedirectURL string
	// RedirectAllowedHosts are the hosts GET /redirect?to= may send clients to.
	RedirectAllowedHosts []string
	// CookieSecure marks cookies Secure even on plain HTTP, for a service
	// behind a TLS-terminating proxy.
	CookieSecure bool
	// CookieHashKey signs and CookieBlockKey (optional) encrypts the signed cookie.
	CookieHashKey, CookieBlockKey []byte
	// BodyLimit caps request bodies on routes that do not set their own.
	BodyLimit int64
	// HeaderLimit caps the request line and headers; larger ones get 431.
	HeaderLimit int
	// MetricsOnOwnListener leaves /metrics off this server, for a service
	// that serves it on METRICS_ADDR instead.
	MetricsOnOwnListener bool
	// feature:files begin
	// Upload bounds each POST /upload request: body size, parts, part
	// headers and plain fields. Zero fields take files.DefaultLimits.
	Upload files.Limits
	// UploadAllowedTypes is named in the 415 answer to a file of another
	// type; the store is what enforces it.
	UploadAllowedTypes []string
	// UploadPace bounds how slowly an upload may arrive, DownloadPace how
	// slowly a download may be read. Zero fields take DefaultPace.
	UploadPace, DownloadPace Pace
	// PresignDownloads answers GET /download/{id} with a redirect to a
	// short-lived URL of the bucket instead of sending the bytes. It needs
	// a store that can presign (files.Store.CanPresign).
	PresignDownloads bool
	// feature:files end
}

// Deps are the long-lived parts the handlers use, built and owned by run.
type Deps struct {
	Log    *slog.Logger
	Health *Health
	// feature:files begin
	// Files keeps uploads and serves downloads. Required by the file
	// routes, which are the only ones that use it.
	Files *files.Store
	// feature:files end
	// feature:websockets begin
	// WebSockets serves /ws and /chat: a *ws.Server built with UpgradeError
	// as its Config.UpgradeError. Required by those routes.
	WebSockets WebSockets
	// feature:websockets end
	// Static serves the page at / and its assets at /static/ (a
	// static.Handler). Optional: without it both answer 404.
	Static http.Handler
	// Metrics records every request. Optional: NewServer makes a private
	// registry when it is nil.
	Metrics *metrics.Metrics
	// RateLimit counts each client address's requests on the routes that
	// may change state; past its limit they get 429. Optional: nil, no
	// limit.
	RateLimit mw.Limiter
	// feature:tasks begin
	// Tasks takes the jobs of background tasks: a *tasks.Dispatcher or a
	// *redisqueue.Queue. Required by POST /notify.
	Tasks TaskQueue
	// NotifyLimit counts the notifications to each recipient; past its
	// limit POST /notify gets 429. Optional: nil, no limit.
	NotifyLimit mw.Limiter
	// feature:tasks end
}

// contentSecurityPolicy allows the page at / exactly what it uses: its own
// scripts, styles and WebSocket connections. No inline code, no CDN.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// NewServer returns the service's whole HTTP surface.
func NewServer(cfg Config, deps Deps) *echo.Echo {
	if deps.Metrics == nil {
		deps.Metrics = metrics.New()
	}
	if deps.Health != nil {
		deps.Health.addMetrics(deps.Metrics)
	}
	// The CORS origins may post here too. With "*" the operator opened the
	// API to every site, so no origin is refused.
	crossOrigin := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	if !slices.Contains(cfg.AllowOrigins, "*") {
		var err error
		if crossOrigin, err = mw.CrossOrigin(cfg.AllowOrigins); err != nil {
			panic(fmt.Sprintf("handlers: CORS origins, which the settings check: %v", err))
		}
	}
	rateLimit := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	if deps.RateLimit != nil {
		rateLimit = mw.RateLimit(deps.RateLimit)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = HandleError
	e.Validator = newValidator()
	e.JSONSerializer = strictJSON{}
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.SchemeExtractor = schemeExtractor(cfg.TrustedProxies)

	// Order matters: ProcessTime is outermost so its figure covers all the
	// rest; the request id comes before the logger so every line has it;
	// Recover sits inside the logger so a panic is logged like any error.
	// The mw ones are the service's own; the middleware ones are Echo's.
	// mw.Chain builds the chain once, not on every request.
	e.Use(mw.Chain(
		mw.ProcessTime(),
		mw.RequestID(),
		mw.Metrics(deps.Metrics),
		mw.RequestLog(deps.Log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableStackAll:     true,
			LogErrorFunc:        panicError,
			DisableErrorHandler: true, // RequestLog logs the error and hands it to HandleError.
		}),
		mw.HeaderLimit(cfg.HeaderLimit),
		mw.SecurityHeaders(map[string]string{
			// No X-XSS-Protection: obsolete, and harmful in old browsers;
			// the CSP replaces it.
			echo.HeaderXContentTypeOptions:   "nosniff",
			echo.HeaderXFrameOptions:         "DENY",
			echo.HeaderContentSecurityPolicy: contentSecurityPolicy,
			echo.HeaderReferrerPolicy:        "strict-origin-when-cross-origin",
		}, "max-age=31536000; includeSubdomains"), // HSTS on https only, as e.SchemeExtractor decides.
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOriginFunc:  allowOrigin(cfg.AllowOrigins),
			AllowMethods:     []string{"GET", "POST", "HEAD", "OPTIONS"},
			AllowHeaders:     []string{echo.HeaderContentType, echo.HeaderXRequestID},
			ExposeHeaders:    []string{echo.HeaderXRequestID, mw.HeaderProcessTime, "X-Custom-Header", echo.HeaderLocation, echo.HeaderRetryAfter},
			AllowCredentials: cfg.AllowCredentials,
			MaxAge:           600,
		}),
		crossOrigin,
		rateLimit,
		mw.BodyLimitWithConfig(mw.BodyLimitConfig{Skipper: streamsOwnBody, Limit: cfg.BodyLimit}),
	))

	codec := newCookieCodec(cfg.CookieHashKey, cfg.CookieBlockKey)
	addRoutes(e, cfg, deps, codec)
	return e
}

// streamsOwnBody skips the default body limit on routes that stream large
// bodies under a limit of their own.
func streamsOwnBody(c echo.Context) bool {
	return c.Path() == "/upload"
}

// allowOrigin matches the Origin header exactly against the allowlist.
// Echo's pattern matching is looser than needed here, and an exact match
// is what keeps look-alikes such as http://localhost:8080.evil.example out.
func allowOrigin(origins []string) func(string) (bool, error) {
	set := make(map[string]bool, len(origins))
	wildcard := false
	for _, o := range origins {
		if o == "*" {
			wildcard = true
		}
		set[o] = true
	}
	return func(origin string) (bool, error) {
		return wildcard || set[origin], nil
	}
}

// panicError is Recover's LogErrorFunc: it turns a panic into an error
// whose text carries the stack for the log. Keeping only the text cuts any
// error chain, so HandleError answers a bare 500 whatever was panicked.
func panicError(_ echo.Context, err error, stack []byte) error {
	return fmt.Errorf("panic: %s\n%s", err.Error(), stack)
}

// ipExtractor believes X-Forwarded-For only from trusted proxies. Echo v4
// without an extractor believes any client's header, which lets anyone
// choose the address that logs and rate limits see.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	return echo.ExtractIPFromXFFHeader(trustOnly(trusted)...)
}

// schemeExtractor believes X-Forwarded-Proto only from trusted proxies, as
// ipExtractor does X-Forwarded-For, so that Secure sends HSTS on TLS and
// behind a trusted TLS-terminating proxy only. Echo's default believes any
// peer on a private network.
func schemeExtractor(trusted []*net.IPNet) echo.SchemeExtractor {
	if len(trusted) == 0 {
		return echo.ExtractSchemeDirect()
	}
	return echo.ExtractSchemeFromHeaders(trustOnly(trusted)...)
}

// trustOnly trusts the given networks and no others, loopback and private
// ones included.
func trustOnly(trusted []*net.IPNet) []echo.TrustOption {
	opts := []echo.TrustOption{
		echo.TrustLoopback(false),
		echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false),
	}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return opts
}
