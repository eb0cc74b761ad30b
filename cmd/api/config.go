package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/files"
	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/mailer"
	"example.com/echotemplate/internal/static"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/ws"
)

// config is every setting of the service. Each one has a flag and an
// environment variable (the flag wins), a safe default, and is checked
// before anything starts.
type config struct {
	// Healthcheck and Version are one-shot modes of the binary rather
	// than settings: flags only.
	Healthcheck bool
	Version     bool

	AppEnv string

	HTTPAddr          string
	MetricsAddr       string
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	BodyLimit         int64
	ShutdownTimeout   time.Duration
	ShutdownDelay     time.Duration

	LogLevel  slog.Level
	LogFormat string
	// LogFlushInterval batches log lines; 0 writes each line at once.
	LogFlushInterval time.Duration

	CORSAllowOrigins     []string
	CORSAllowCredentials bool
	TrustedProxies       []*net.IPNet

	RedirectURL          string
	RedirectAllowedHosts []string

	CookieSecure   bool
	CookieHashKey  []byte
	CookieBlockKey []byte
	// CookieKeyRandom says CookieHashKey was made at start for want of
	// COOKIE_HASH_KEY (development only).
	CookieKeyRandom bool

	StorageDir               string
	MaxUploadBytes           int64
	UploadMaxParts           int
	UploadMaxPartHeaderBytes int64
	UploadMaxFieldBytes      int64
	UploadAllowedTypes       []string
	UploadMinBytesPerSec     int64
	UploadTimeout            time.Duration
	DownloadMinBytesPerSec   int64
	DownloadTimeout          time.Duration
	TransferRateWindow       time.Duration

	StaticDir    string
	StaticMaxAge time.Duration

	// WebSockets holds the hub's limits and AllowedOrigins; run adds the
	// UpgradeError hook.
	WebSockets ws.Config
	// WSRedisChannel is the Redis channel the chat's instances share.
	WSRedisChannel string
	// Tasks sets Workers, QueueSize, MaxAttempts and Timeout; the rest
	// keep their defaults.
	Tasks tasks.Config
	// Redis (REDIS_URL) selects the durable task queue and carries the chat
	// between instances; nil keeps both within this process.
	Redis *redis.Options
	// SMTP selects a real mailer, with From set from MailFrom; nil writes
	// emails to the log.
	SMTP     *mailer.SMTPConfig
	MailFrom string
}

// loadConfig reads flags from args with environment fallbacks from getenv,
// then validates the whole. Errors name the variable at fault.
func loadConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(usage)
	l := &loader{fs: fs, getenv: getenv}
	raw := c.register(l)

	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if l.err != nil {
		return c, l.err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.resolve(raw); err != nil {
		return c, err
	}
	return c, c.validate()
}

// rawSettings holds the settings that need more than one value to make sense
// of, until every flag and variable has been read.
type rawSettings struct {
	maxHeader                                                int64
	level, origins, proxies, allowedHosts, hashKey, blockKey string
	allowedTypes                                             string
	redisURL, smtpURL                                        string
}

// register declares every setting with its variable, default and usage.
func (c *config) register(l *loader) *rawSettings {
	var r rawSettings
	l.fs.BoolVar(&c.Healthcheck, "healthcheck", false, "check that the service on HTTP_ADDR answers /healthz, then exit 0 or 1 (for container health checks)")
	l.fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	l.str(&c.AppEnv, "APP_ENV", "development", "development or production; production refuses unsafe defaults")
	l.str(&c.HTTPAddr, "HTTP_ADDR", ":8080", "address the HTTP server listens on")
	l.str(&c.MetricsAddr, "METRICS_ADDR", "", "serve /metrics on this address instead of HTTP_ADDR (default: on HTTP_ADDR)")
	l.duration(&c.ReadHeaderTimeout, "HTTP_READ_HEADER_TIMEOUT", 5*time.Second, "time allowed to read request headers")
	l.duration(&c.ReadTimeout, "HTTP_READ_TIMEOUT", 30*time.Second, "time allowed to read a whole request; upload routes extend it")
	l.duration(&c.WriteTimeout, "HTTP_WRITE_TIMEOUT", 30*time.Second, "time allowed to write a response; download routes extend it")
	l.duration(&c.IdleTimeout, "HTTP_IDLE_TIMEOUT", 120*time.Second, "how long an idle keep-alive connection stays open")
	l.size(&r.maxHeader, "MAX_HEADER_BYTES", 16<<10, "largest request line and headers; larger ones get 431")
	l.size(&c.BodyLimit, "BODY_LIMIT", 1<<20, "largest request body on routes without a limit of their own (bytes, or KiB/MiB/GiB)")
	l.duration(&c.ShutdownTimeout, "SHUTDOWN_TIMEOUT", 15*time.Second, "time allowed for in-flight work to finish on shutdown")
	l.duration(&c.ShutdownDelay, "SHUTDOWN_DELAY", 0, "time /readyz answers 503 before the server stops accepting, for load balancers to notice")
	l.str(&r.level, "LOG_LEVEL", "info", "debug, info, warn or error")
	l.str(&c.LogFormat, "LOG_FORMAT", "json", "json or text")
	l.duration(&c.LogFlushInterval, "LOG_FLUSH_INTERVAL", 100*time.Millisecond, "write log lines in batches this often (0: each line at once); a killed process loses at most this much")
	l.str(&r.origins, "CORS_ALLOW_ORIGINS", "", "comma-separated origins allowed by CORS and WebSockets (default: this service's localhost origins)")
	l.boolean(&c.CORSAllowCredentials, "CORS_ALLOW_CREDENTIALS", false, "let allowed origins send cookies cross-site")
	l.str(&r.proxies, "TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is believed (default: none)")
	l.str(&c.RedirectURL, "REDIRECT_URL", "https://echo.labstack.com/", "where GET /redirect sends clients")
	l.str(&r.allowedHosts, "REDIRECT_ALLOWED_HOSTS", "", "comma-separated hosts GET /redirect?to= may send clients to (default: REDIRECT_URL's host)")
	l.boolean(&c.CookieSecure, "COOKIE_SECURE", false, "mark cookies Secure on plain HTTP too (behind a TLS proxy)")
	l.secret(&r.hashKey, "COOKIE_HASH_KEY")
	l.secret(&r.blockKey, "COOKIE_BLOCK_KEY")
	l.str(&c.StorageDir, "STORAGE_DIR", "./data/uploads", "directory uploaded files are kept in, created at start; instances may share it")
	l.size(&c.MaxUploadBytes, "MAX_UPLOAD_BYTES", files.DefaultLimits.MaxBytes, "largest POST /upload body, multipart framing included; larger gets 413")
	l.integer(&c.UploadMaxParts, "UPLOAD_MAX_PARTS", files.DefaultLimits.MaxParts, "most parts (files and fields) in one upload")
	l.size(&c.UploadMaxPartHeaderBytes, "UPLOAD_MAX_PART_HEADER_BYTES", int64(files.DefaultLimits.MaxHeaderBytes), "largest header of one multipart part")
	l.size(&c.UploadMaxFieldBytes, "UPLOAD_MAX_FIELD_BYTES", files.DefaultLimits.MaxFieldBytes, "largest value of a plain (non-file) form field")
	l.str(&r.allowedTypes, "UPLOAD_ALLOWED_TYPES", "", "comma-separated media types uploads may have, judged from their bytes, such as image/png or image/* (default: any)")
	l.size(&c.UploadMinBytesPerSec, "UPLOAD_MIN_BYTES_PER_SEC", handlers.DefaultPace.MinBytesPerSec, "slowest an upload may arrive, measured over TRANSFER_RATE_WINDOW")
	l.duration(&c.UploadTimeout, "UPLOAD_TIMEOUT", handlers.DefaultPace.Timeout, "longest an upload may take, however fast it moves")
	l.size(&c.DownloadMinBytesPerSec, "DOWNLOAD_MIN_BYTES_PER_SEC", handlers.DefaultPace.MinBytesPerSec, "slowest a download may be read, measured over TRANSFER_RATE_WINDOW")
	l.duration(&c.DownloadTimeout, "DOWNLOAD_TIMEOUT", handlers.DefaultPace.Timeout, "longest a download may take, however fast it moves")
	l.duration(&c.TransferRateWindow, "TRANSFER_RATE_WINDOW", handlers.DefaultPace.Window, "how long an upload or download may stay below its minimum rate before it is cut off")
	l.str(&c.StaticDir, "STATIC_DIR", "", "serve the page and /static/ from this directory, re-read on every request, instead of the files built in (for editing them live)")
	l.duration(&c.StaticMaxAge, "STATIC_MAX_AGE", static.DefaultMaxAge, "how long browsers may reuse /static/ assets without asking (HTML is always revalidated)")
	wsd := ws.DefaultConfig
	l.size(&c.WebSockets.MaxMessageBytes, "WS_MAX_MESSAGE_BYTES", wsd.MaxMessageBytes, "largest WebSocket message a client may send; larger closes the connection with 1009")
	l.integer(&c.WebSockets.MaxConnections, "WS_MAX_CONNECTIONS", wsd.MaxConnections, "most open WebSocket connections (echo and chat); more get 503")
	l.integer(&c.WebSockets.SendBuffer, "WS_SEND_BUFFER", wsd.SendBuffer, "messages that may wait for one chat client; one that falls further behind is dropped with 1013")
	l.number(&c.WebSockets.MessageRate, "WS_MESSAGE_RATE", wsd.MessageRate, "messages per second a WebSocket client may send on average; faster closes it with 1008")
	l.integer(&c.WebSockets.MessageBurst, "WS_MESSAGE_BURST", wsd.MessageBurst, "messages a WebSocket client may send at once above WS_MESSAGE_RATE")
	l.duration(&c.WebSockets.WriteWait, "WS_WRITE_TIMEOUT", wsd.WriteWait, "time a WebSocket client has to take each message (and the handshake) before it is dropped")
	l.duration(&c.WebSockets.PongWait, "WS_PONG_TIMEOUT", wsd.PongWait, "time a silent WebSocket peer is kept; it is pinged every half of it")
	l.str(&c.WSRedisChannel, "WS_REDIS_CHANNEL", "chat", "Redis channel the chat's instances share, with REDIS_URL set")
	l.integer(&c.Tasks.Workers, "TASK_WORKERS", tasks.DefaultConfig.Workers, "how many background jobs (emails) run at once")
	l.integer(&c.Tasks.QueueSize, "TASK_QUEUE_SIZE", tasks.DefaultConfig.QueueSize, "how many jobs may wait in memory before POST /notify answers 503 (in-process queue only)")
	l.integer(&c.Tasks.MaxAttempts, "TASK_MAX_ATTEMPTS", tasks.DefaultConfig.MaxAttempts, "how often a job is tried before it is given up")
	l.duration(&c.Tasks.Timeout, "TASK_TIMEOUT", tasks.DefaultConfig.Timeout, "time one attempt of a job may take")
	l.secret(&r.redisURL, "REDIS_URL")
	l.secret(&r.smtpURL, "SMTP_URL")
	l.str(&c.MailFrom, "MAIL_FROM", "noreply@localhost", "sender of the emails, such as \"Example <noreply@example.com>\"")
	return &r
}

// resolve turns the raw settings into their final form.
func (c *config) resolve(r *rawSettings) error {
	var err error
	c.MaxHeaderBytes = int(r.maxHeader)
	if c.LogLevel, err = logging.ParseLevel(r.level); err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if c.CORSAllowOrigins, err = parseOrigins(r.origins, c.HTTPAddr); err != nil {
		return fmt.Errorf("CORS_ALLOW_ORIGINS: %w", err)
	}
	if c.TrustedProxies, err = parseCIDRs(r.proxies); err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	if c.RedirectAllowedHosts, err = parseRedirect(c.RedirectURL, r.allowedHosts); err != nil {
		return err
	}
	c.CookieKeyRandom = r.hashKey == ""
	if c.CookieHashKey, c.CookieBlockKey, err = parseCookieKeys(r.hashKey, r.blockKey, c.AppEnv); err != nil {
		return err
	}
	if c.UploadAllowedTypes, err = files.ParseAllowedTypes(splitList(r.allowedTypes)); err != nil {
		return fmt.Errorf("UPLOAD_ALLOWED_TYPES: %w", err)
	}
	c.WebSockets.AllowedOrigins = webSocketOrigins(c.CORSAllowOrigins)
	if c.Redis, err = parseRedisURL(r.redisURL); err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	c.SMTP, err = parseMail(r.smtpURL, c.MailFrom)
	return err
}

// validate checks the settings that parsed but may still be unusable.
func (c config) validate() error {
	switch c.AppEnv {
	case "development", "production":
	default:
		return fmt.Errorf("APP_ENV: %q is neither development nor production", c.AppEnv)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return fmt.Errorf("LOG_FORMAT: %q is neither json nor text", c.LogFormat)
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("HTTP_ADDR: %q is not host:port", c.HTTPAddr)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		return fmt.Errorf("METRICS_ADDR: %q is not host:port", c.MetricsAddr)
	}
	for name, d := range map[string]time.Duration{
		"HTTP_READ_HEADER_TIMEOUT": c.ReadHeaderTimeout,
		"HTTP_READ_TIMEOUT":        c.ReadTimeout,
		"HTTP_WRITE_TIMEOUT":       c.WriteTimeout,
		"HTTP_IDLE_TIMEOUT":        c.IdleTimeout,
		"SHUTDOWN_TIMEOUT":         c.ShutdownTimeout,
		"UPLOAD_TIMEOUT":           c.UploadTimeout,
		"DOWNLOAD_TIMEOUT":         c.DownloadTimeout,
		"TRANSFER_RATE_WINDOW":     c.TransferRateWindow,
		"STATIC_MAX_AGE":           c.StaticMaxAge,
		"TASK_TIMEOUT":             c.Tasks.Timeout,
	} {
		if d <= 0 {
			return fmt.Errorf("%s: must be positive, got %s", name, d)
		}
	}
	if c.LogFlushInterval < 0 {
		return fmt.Errorf("LOG_FLUSH_INTERVAL: must not be negative, got %s", c.LogFlushInterval)
	}
	if c.ShutdownDelay < 0 {
		return fmt.Errorf("SHUTDOWN_DELAY: must not be negative, got %s", c.ShutdownDelay)
	}
	if c.BodyLimit <= 0 {
		return errors.New("BODY_LIMIT: must be positive")
	}
	if c.MaxHeaderBytes < 1<<10 {
		return errors.New("MAX_HEADER_BYTES: must be at least 1KiB")
	}
	for name, n := range map[string]int64{
		"MAX_UPLOAD_BYTES":             c.MaxUploadBytes,
		"UPLOAD_MAX_PARTS":             int64(c.UploadMaxParts),
		"UPLOAD_MAX_PART_HEADER_BYTES": c.UploadMaxPartHeaderBytes,
		"UPLOAD_MAX_FIELD_BYTES":       c.UploadMaxFieldBytes,
		"UPLOAD_MIN_BYTES_PER_SEC":     c.UploadMinBytesPerSec,
		"DOWNLOAD_MIN_BYTES_PER_SEC":   c.DownloadMinBytesPerSec,
	} {
		if n <= 0 {
			return fmt.Errorf("%s: must be positive", name)
		}
	}
	if c.UploadMaxPartHeaderBytes > 1<<20 {
		return errors.New("UPLOAD_MAX_PART_HEADER_BYTES: must be at most 1MiB, as it is held in memory")
	}
	if c.StorageDir == "" {
		return errors.New("STORAGE_DIR: must not be empty")
	}
	if err := c.validateWebSockets(); err != nil {
		return err
	}
	for _, n := range []struct {
		name     string
		got, max int
	}{
		{"TASK_WORKERS", c.Tasks.Workers, 1000},
		// The in-process queue allocates its whole capacity at start.
		{"TASK_QUEUE_SIZE", c.Tasks.QueueSize, 1_000_000},
		{"TASK_MAX_ATTEMPTS", c.Tasks.MaxAttempts, 100},
	} {
		if n.got < 1 || n.got > n.max {
			return fmt.Errorf("%s: must be between 1 and %d, got %d", n.name, n.max, n.got)
		}
	}
	for _, o := range c.CORSAllowOrigins {
		if o == "*" && c.CORSAllowCredentials {
			return errors.New("CORS_ALLOW_ORIGINS: * with CORS_ALLOW_CREDENTIALS=true would let any site act as the user; list the origins instead")
		}
	}
	return nil
}

// parseOrigins reads a comma list of exact origins. The default is this
// service's own localhost origins, so the page it serves can call it.
func parseOrigins(s, httpAddr string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		_, port, err := net.SplitHostPort(httpAddr)
		if err != nil {
			return nil, fmt.Errorf("no default without a valid HTTP_ADDR: %w", err)
		}
		return []string{"http://localhost:" + port, "http://127.0.0.1:" + port}, nil
	}
	var out []string
	for _, o := range splitList(s) {
		if o == "*" {
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%q is not an origin such as https://app.example.com", o)
		}
		// Browsers send origins lowercased and without a trailing slash.
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}

// webSocketOrigins returns the origins, besides the service's own host, that
// may open WebSockets: those of CORS_ALLOW_ORIGINS but "*". A WebSocket
// handshake carries the visitor's cookies, unlike the requests "*" opens
// CORS to, so "*" allows no other site a WebSocket.
func webSocketOrigins(cors []string) []string {
	var out []string
	for _, o := range cors {
		if o != "*" {
			out = append(out, o)
		}
	}
	return out
}

// validateWebSockets checks the WS_ settings. The upper bounds keep a typo
// from committing the hub to unbounded memory per connection or message.
func (c config) validateWebSockets() error {
	w := c.WebSockets
	for _, n := range []struct {
		name     string
		got, max int64
	}{
		{"WS_MAX_MESSAGE_BYTES", w.MaxMessageBytes, 1 << 20},
		{"WS_MAX_CONNECTIONS", int64(w.MaxConnections), 1_000_000},
		{"WS_SEND_BUFFER", int64(w.SendBuffer), 10_000},
		{"WS_MESSAGE_BURST", int64(w.MessageBurst), 10_000},
	} {
		if n.got < 1 || n.got > n.max {
			return fmt.Errorf("%s: must be between 1 and %d, got %d", n.name, n.max, n.got)
		}
	}
	if w.MessageRate <= 0 || w.MessageRate > 10_000 {
		return fmt.Errorf("WS_MESSAGE_RATE: must be above 0 and at most 10000, got %g", w.MessageRate)
	}
	if w.WriteWait <= 0 {
		return fmt.Errorf("WS_WRITE_TIMEOUT: must be positive, got %s", w.WriteWait)
	}
	// The hub pings every half of it; shorter than a second would flood.
	if w.PongWait < time.Second {
		return fmt.Errorf("WS_PONG_TIMEOUT: must be at least 1s, got %s", w.PongWait)
	}
	if strings.TrimSpace(c.WSRedisChannel) == "" {
		return errors.New("WS_REDIS_CHANNEL: must not be empty")
	}
	return nil
}

func parseCIDRs(s string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, c := range splitList(s) {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", c)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseRedirect checks REDIRECT_URL and returns the redirect allowlist,
// which defaults to REDIRECT_URL's own host.
func parseRedirect(redirectURL, hosts string) ([]string, error) {
	u, err := url.Parse(redirectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("REDIRECT_URL: %q is not an absolute http(s) URL", redirectURL)
	}
	list := splitList(hosts)
	if len(list) == 0 {
		list = []string{u.Hostname()}
	}
	for _, h := range list {
		if strings.ContainsAny(h, "/:@\\ ") {
			return nil, fmt.Errorf("REDIRECT_ALLOWED_HOSTS: %q is not a bare host name", h)
		}
	}
	return list, nil
}

// parseCookieKeys decodes the signed cookie's keys (base64). Without a hash
// key, development gets a random one per start (cookies then last until a
// restart); production refuses to start, since a default key is no key.
func parseCookieKeys(hashB64, blockB64, env string) (hashKey, blockKey []byte, err error) {
	if hashB64 == "" {
		if env == "production" {
			return nil, nil, errors.New("COOKIE_HASH_KEY: required when APP_ENV=production (32 or 64 random bytes, base64; try: openssl rand -base64 32)")
		}
		return randomKey(32), nil, nil
	}
	if hashKey, err = base64.StdEncoding.DecodeString(hashB64); err != nil || len(hashKey) < 32 {
		return nil, nil, errors.New("COOKIE_HASH_KEY: must be base64 of at least 32 bytes")
	}
	if blockB64 != "" {
		blockKey, err = base64.StdEncoding.DecodeString(blockB64)
		if err != nil || (len(blockKey) != 16 && len(blockKey) != 24 && len(blockKey) != 32) {
			return nil, nil, errors.New("COOKIE_BLOCK_KEY: must be base64 of 16, 24 or 32 bytes (AES)")
		}
	}
	return hashKey, blockKey, nil
}

// parseRedisURL reads REDIS_URL, such as redis://:password@host:6379/0
// (rediss:// for TLS). Empty means no Redis: nil. Errors never repeat the
// URL, which may hold a password.
func parseRedisURL(s string) (*redis.Options, error) {
	if s == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(s)
	if err != nil {
		// url.Error quotes the whole URL; its inner error names the fault only.
		if urlErr := (*url.Error)(nil); errors.As(err, &urlErr) {
			return nil, fmt.Errorf("not a URL such as redis://host:6379/0: %w", urlErr.Err)
		}
		return nil, err
	}
	return opts, nil
}

// parseMail checks MAIL_FROM and reads SMTP_URL into the SMTP mailer's
// settings. No SMTP_URL means the log mailer: nil.
func parseMail(smtpURL, from string) (*mailer.SMTPConfig, error) {
	if _, err := mailer.ParseSender(from); err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}
	if smtpURL == "" {
		return nil, nil
	}
	sc, err := mailer.ParseSMTPURL(smtpURL) // its errors never repeat the URL
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	sc.From = from
	return &sc, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loader registers flags whose defaults come from the environment, and
// remembers the first environment value that did not parse.
type loader struct {
	fs     *flag.FlagSet
	getenv func(string) string
	err    error
	names  []string // every variable read, for the test that keeps docs in step
}

// flagName turns HTTP_ADDR into http-addr.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(env), "_", "-")
}

// parsed registers one setting: parse converts and stores a value, first
// from the environment (if set), then from the flag (if given).
func (l *loader) parsed(env, def, usage string, parse func(string) error) {
	l.names = append(l.names, env)
	if err := parse(def); err != nil {
		panic(fmt.Sprintf("default of %s does not parse: %v", env, err))
	}
	if v := l.getenv(env); v != "" {
		if err := parse(v); err != nil && l.err == nil {
			l.err = fmt.Errorf("%s: %w", env, err)
		}
	}
	l.fs.Func(flagName(env), usage+" (env "+env+", default "+strconv.Quote(def)+")", parse)
}

func (l *loader) str(p *string, env, def, usage string) {
	l.parsed(env, def, usage, func(s string) error { *p = s; return nil })
}

func (l *loader) duration(p *time.Duration, env string, def time.Duration, usage string) {
	l.parsed(env, def.String(), usage, func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 2m", s)
		}
		*p = d
		return nil
	})
}

func (l *loader) integer(p *int, env string, def int, usage string) {
	l.parsed(env, strconv.Itoa(def), usage, func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*p = n
		return nil
	})
}

func (l *loader) number(p *float64, env string, def float64, usage string) {
	l.parsed(env, strconv.FormatFloat(def, 'g', -1, 64), usage, func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number such as 10 or 0.5", s)
		}
		*p = f
		return nil
	})
}

func (l *loader) boolean(p *bool, env string, def bool, usage string) {
	l.parsed(env, strconv.FormatBool(def), usage, func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		*p = b
		return nil
	})
}

func (l *loader) size(p *int64, env string, def int64, usage string) {
	l.parsed(env, strconv.FormatInt(def, 10), usage, func(s string) error {
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		*p = n
		return nil
	})
}

// secret reads an environment-only setting: secrets stay out of flags,
// where every user of the machine could read them in the process list.
func (l *loader) secret(p *string, env string) {
	l.names = append(l.names, env)
	*p = l.getenv(env)
}

// parseSize reads a byte count: a number with an optional B, KiB, MiB or
// GiB suffix.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size such as 1048576, 512KiB or 100MiB", s)
	}
	return n * mult, nil
}

func randomKey(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return b
}
