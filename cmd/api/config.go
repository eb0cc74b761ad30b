package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"example.com/echotemplate/internal/files" // feature:files
	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/logging"
	"example.com/echotemplate/internal/mailer" // feature:tasks
	"example.com/echotemplate/internal/settings"
	"example.com/echotemplate/internal/tasks" // feature:tasks
	"example.com/echotemplate/internal/ws"    // feature:websockets
)

// config is every setting of the service, filled by loadConfig from the
// table in config.settings.
type config struct {
	// Healthcheck and Version are one-shot modes of the binary rather
	// than settings: flags only.
	Healthcheck, Version bool

	AppEnv                                       string
	HTTPAddr, MetricsAddr, PprofAddr             string
	ReadHeaderTimeout, ReadTimeout, WriteTimeout time.Duration
	IdleTimeout, ShutdownTimeout, ShutdownDelay  time.Duration
	MaxHeaderBytes                               int
	// RateLimitPerMinute caps each client address's requests to the routes
	// that change state; 0 is no limit.
	RateLimitPerMinute   int
	LogLevel             slog.Level
	LogFormat, StaticDir string
	StaticMaxAge         time.Duration
	// CookieKeyRandom says Server.CookieHashKey was made at start for want
	// of COOKIE_HASH_KEY (development only).
	CookieKeyRandom bool
	// Server is the HTTP layer's share: CORS, proxies, redirects, cookies,
	// body and upload limits, transfer paces.
	Server handlers.Config
	// Redis (REDIS_URL) selects the durable task queue and carries the chat
	// between instances; nil keeps both within this process.
	Redis *redis.Options

	// feature:files begin
	StorageDir string
	// StorageS3 (STORAGE_URL) keeps uploads in a bucket; nil keeps them in
	// StorageDir.
	StorageS3 *files.S3Config
	// S3AccessKey and S3SecretKey go into StorageS3 once both are read.
	S3AccessKey, S3SecretKey string
	Storage                  files.Options // quota, retention and allowlist of the store
	// feature:files end
	// feature:websockets begin
	// WebSockets holds the hub's limits and AllowedOrigins; run adds the
	// UpgradeError hook. Fields no setting names keep their default.
	WebSockets   ws.Config
	ChatRedisKey string // names the Redis keys of the chat's log and members
	// feature:websockets end
	// feature:tasks begin
	// Tasks sets Workers, QueueSize, MaxAttempts and Timeout. SMTP selects
	// a real mailer; nil writes emails to the log.
	Tasks                  tasks.Config
	MailFrom               string
	SMTP                   *mailer.SMTPConfig
	SMTPAllowPlaintextAuth bool
	// NotifyPerRecipientPerHour caps the notifications to one address; 0
	// is no limit.
	NotifyPerRecipientPerHour int
	// feature:tasks end
}

// settings is the one list of the service's settings. Flags, environment
// variables, -h, the README's table and .env.example all follow from it
// (go test ./cmd/api -run TestSettingsDocumented -update rewrites the two
// files). Rows are set in order, so a row may use the ones above it. Every
// limit a client could push against is a setting; tuning that only this
// code can judge keeps its package's default.
func (c *config) settings() []settings.Setting {
	srv := &c.Server
	return []settings.Setting{
		{Name: "APP_ENV", Default: "development", Help: "development or production; production refuses unsafe defaults, such as a missing COOKIE_HASH_KEY", Set: settings.OneOf(&c.AppEnv, "development", "production")},
		{Name: "HTTP_ADDR", Default: ":8080", Help: "address the HTTP server listens on", Set: settings.HostPort(&c.HTTPAddr)},
		{Name: "METRICS_ADDR", Help: "serve /metrics on a listener of its own, such as 127.0.0.1:9090 (empty: on HTTP_ADDR)", Set: settings.Optional(settings.HostPort(&c.MetricsAddr))},
		{Name: "PPROF_ADDR", Help: "serve net/http/pprof's /debug/pprof/ on a listener of its own, such as 127.0.0.1:6060; never a public address (empty: off)", Set: settings.Optional(settings.HostPort(&c.PprofAddr))},
		{Name: "HTTP_READ_HEADER_TIMEOUT", Default: "5s", Help: "time a client has to send the request headers", Set: settings.Duration(&c.ReadHeaderTimeout, time.Millisecond)},
		{Name: "HTTP_READ_TIMEOUT", Default: "30s", Help: "time a client has to send a whole request; upload routes extend it", Set: settings.Duration(&c.ReadTimeout, time.Millisecond)},
		{Name: "HTTP_WRITE_TIMEOUT", Default: "30s", Help: "time a client has to read a whole response; download routes extend it", Set: settings.Duration(&c.WriteTimeout, time.Millisecond)},
		{Name: "HTTP_IDLE_TIMEOUT", Default: "2m", Help: "time an idle keep-alive connection stays open", Set: settings.Duration(&c.IdleTimeout, time.Millisecond)},
		{Name: "MAX_HEADER_BYTES", Default: "16KiB", Help: "largest request line plus headers; larger gets 431", Set: settings.Size(&c.MaxHeaderBytes, 1<<10, 1<<20)},
		{Name: "BODY_LIMIT", Default: "1MiB", Help: "largest request body on routes without a limit of their own; larger gets 413", Set: settings.Size(&srv.BodyLimit, 1, 1<<40)},
		{Name: "SHUTDOWN_DELAY", Default: "0s", Help: "time /readyz answers 503 before the server stops accepting, for load balancers to notice", Set: settings.Duration(&c.ShutdownDelay, 0)},
		{Name: "SHUTDOWN_TIMEOUT", Default: "15s", Help: "time in-flight work gets to finish after SIGTERM, counted after SHUTDOWN_DELAY", Set: settings.Duration(&c.ShutdownTimeout, time.Millisecond)},
		{Name: "LOG_LEVEL", Default: "info", Help: "debug, info, warn or error", Set: settings.Func(&c.LogLevel, logging.ParseLevel)},
		{Name: "LOG_FORMAT", Default: "json", Help: "json or text", Set: settings.OneOf(&c.LogFormat, "json", "text")},
		{Name: "CORS_ALLOW_ORIGINS", Help: "comma-separated origins that CORS allows and that may open WebSockets; * allows any site CORS without cookies but no WebSockets (empty: this service's http://localhost:PORT and http://127.0.0.1:PORT)", Set: settings.List(&srv.AllowOrigins, settings.Origin)},
		{Name: "CORS_ALLOW_CREDENTIALS", Default: "false", Help: "let allowed origins send cookies; refused with *", Set: settings.Bool(&srv.AllowCredentials)},
		{Name: "RATE_LIMIT_PER_MINUTE", Default: "60", Help: "requests a client address (as TRUSTED_PROXIES decides it; an IPv6 /64) may send per minute, all at once if it likes, to the routes that change state: POST /upload and /notify; more get 429 with Retry-After; shared by every instance with REDIS_URL (0: no limit)", Set: settings.Int(&c.RateLimitPerMinute, 0, 1_000_000)},
		{Name: "TRUSTED_PROXIES", Help: "comma-separated CIDRs whose X-Forwarded-For and X-Forwarded-Proto are believed (empty: none, the client is the TCP peer)", Set: settings.List(&srv.TrustedProxies, settings.CIDR)},
		{Name: "REDIRECT_URL", Default: "https://echo.labstack.com/", Help: "where GET /redirect sends clients", Set: settings.HTTPURL(&srv.RedirectURL)},
		{Name: "REDIRECT_ALLOWED_HOSTS", Help: "comma-separated hosts GET /redirect?to= may send clients to (empty: REDIRECT_URL's host)", Set: settings.List(&srv.RedirectAllowedHosts, settings.BareHost)},
		{Name: "COOKIE_SECURE", Default: "false", Help: "mark cookies Secure on plain HTTP too (behind a TLS proxy)", Set: settings.Bool(&srv.CookieSecure)},
		{Name: "COOKIE_HASH_KEY", Help: "base64 of 32 or more random bytes that sign the session cookie, required in production (empty in development: a random key per start); make one with openssl rand -base64 32", Set: c.setHashKey, Secret: true},
		{Name: "COOKIE_BLOCK_KEY", Help: "base64 of 16, 24 or 32 random bytes that also encrypt the session cookie (empty: not encrypted)", Set: c.setBlockKey, Secret: true},
		// feature:files begin
		{Name: "STORAGE_DIR", Default: "./data/uploads", Help: "directory uploads are kept in when STORAGE_URL is empty; created at start, checked by /readyz; instances may share it", Set: settings.NonEmpty(&c.StorageDir)},
		{Name: "STORAGE_URL", Help: "s3://BUCKET?endpoint=URL&region=REGION keeps uploads in an S3-compatible bucket that holds nothing else (path-style with an endpoint; region default us-east-1); /readyz reports it in its body, not its status (empty: STORAGE_DIR)", Set: settings.Optional(c.setStorageURL)},
		{Name: "AWS_ACCESS_KEY_ID", Help: "access key for STORAGE_URL, with AWS_SECRET_ACCESS_KEY (empty: the AWS SDK's usual chain: shared files, instance roles)", Set: settings.String(&c.S3AccessKey), Secret: true},
		{Name: "STORAGE_PRESIGN_DOWNLOADS", Default: "false", Help: "with STORAGE_URL, answer GET /download/{id} with a 307 to a presigned URL of the bucket valid for 5 minutes, so the bytes do not pass through the service", Set: settings.Bool(&srv.PresignDownloads)},
		{Name: "AWS_SECRET_ACCESS_KEY", Help: "secret key for STORAGE_URL, with AWS_ACCESS_KEY_ID", Set: settings.String(&c.S3SecretKey), Secret: true},
		{Name: "MAX_UPLOAD_BYTES", Default: "100MiB", Help: "largest POST /upload body, multipart framing included; larger gets 413", Set: settings.Size(&srv.Upload.MaxBytes, 1, 1<<40)},
		{Name: "UPLOAD_MAX_PARTS", Default: "16", Help: "most parts (files and plain fields) in one upload", Set: settings.Int(&srv.Upload.MaxParts, 1, 1000)},
		{Name: "UPLOAD_ALLOWED_TYPES", Help: "comma-separated media types a file's bytes may have, such as image/png,image/*; others get 415 (empty: any; */* is refused)", Set: settings.Func(&c.Storage.AllowedTypes, files.ParseAllowedList)},
		{Name: "STORAGE_MAX_BYTES", Default: "10GiB", Help: "most bytes STORAGE_DIR or the bucket may hold, all instances together; an upload that would pass it gets 507, though uploads running at once may each pass it by up to MAX_UPLOAD_BYTES (0: no limit)", Set: settings.Size(&c.Storage.MaxBytes, 0, 1<<50)},
		{Name: "UPLOAD_RETENTION", Default: "24h", Help: "how long an upload is kept; older ones answer 404 and are deleted (0: forever)", Set: settings.Duration(&c.Storage.Retention, 0)},
		{Name: "UPLOAD_MIN_BYTES_PER_SEC", Default: "32KiB", Help: "slowest an upload may arrive over TRANSFER_RATE_WINDOW; slower gets 408", Set: settings.Size(&srv.UploadPace.MinBytesPerSec, 1, 1<<40)},
		{Name: "UPLOAD_TIMEOUT", Default: "1h", Help: "longest an upload may take, however fast it moves", Set: settings.Duration(&srv.UploadPace.Timeout, time.Millisecond)},
		{Name: "DOWNLOAD_MIN_BYTES_PER_SEC", Default: "32KiB", Help: "slowest a download may be read over TRANSFER_RATE_WINDOW; slower is cut off", Set: settings.Size(&srv.DownloadPace.MinBytesPerSec, 1, 1<<40)},
		{Name: "DOWNLOAD_TIMEOUT", Default: "1h", Help: "longest a download may take, however fast it moves", Set: settings.Duration(&srv.DownloadPace.Timeout, time.Millisecond)},
		{Name: "TRANSFER_RATE_WINDOW", Default: "15s", Help: "how long an upload or download may stay below its minimum rate (a stalled one: send or read nothing) before it is cut off", Set: settings.Duration(&srv.UploadPace.Window, time.Millisecond)},
		// feature:files end
		{Name: "STATIC_DIR", Help: "serve the page and /static/ from this directory, re-read on every request, for editing them live (empty: the files built in)", Set: settings.String(&c.StaticDir)},
		{Name: "STATIC_MAX_AGE", Default: "1h", Help: "how long browsers may reuse /static/ assets without asking; HTML is always revalidated", Set: settings.Duration(&c.StaticMaxAge, time.Second)},
		// feature:websockets begin
		{Name: "WS_MAX_MESSAGE_BYTES", Default: "4KiB", Help: "largest WebSocket message a client may send; larger closes it with 1009", Set: settings.Size(&c.WebSockets.MaxMessageBytes, 1, 1<<20)},
		{Name: "WS_MAX_CONNECTIONS", Default: "10000", Help: "most open WebSockets, echo and chat together; more get 503", Set: settings.Int(&c.WebSockets.MaxConnections, 1, 1_000_000)},
		{Name: "WS_MAX_CONNECTIONS_PER_IP", Default: "256", Help: "most open WebSockets from one client IP (as TRUSTED_PROXIES resolves it); more get 429 with Retry-After", Set: settings.Int(&c.WebSockets.MaxConnectionsPerIP, 1, 1_000_000)},
		{Name: "WS_MESSAGE_RATE", Default: "10", Help: "messages per second a WebSocket client may send on average; faster closes it with 1008", Set: settings.Float(&c.WebSockets.MessageRate, 0.01, 10_000)},
		{Name: "WS_MESSAGE_BURST", Default: "20", Help: "messages a WebSocket client may send at once above WS_MESSAGE_RATE", Set: settings.Int(&c.WebSockets.MessageBurst, 1, 10_000)},
		{Name: "WS_BUDGET_WINDOW", Default: "10s", Help: "window over which WS_MAX_CONTROL_FRAMES, WS_MAX_FRAGMENTS and WS_MAX_BYTES count what one WebSocket client sends; more closes it with 1008", Set: settings.Duration(&c.WebSockets.BudgetWindow, time.Millisecond)},
		{Name: "WS_MAX_CONTROL_FRAMES", Default: "50", Help: "control frames (pings, pongs, closes) a WebSocket client may send per WS_BUDGET_WINDOW", Set: settings.Int(&c.WebSockets.MaxControlFrames, 1, 1_000_000)},
		{Name: "WS_MAX_FRAGMENTS", Default: "200", Help: "frames of fragmented messages a WebSocket client may send per WS_BUDGET_WINDOW", Set: settings.Int(&c.WebSockets.MaxFragments, 1, 1_000_000)},
		{Name: "WS_MAX_BYTES", Default: "1MiB", Help: "bytes a WebSocket client may send per WS_BUDGET_WINDOW, frame headers included", Set: settings.Size(&c.WebSockets.MaxBytes, 1, 1<<40)},
		{Name: "WS_WRITE_TIMEOUT", Default: "10s", Help: "time a WebSocket client has to take each message (and the handshake) before it is dropped", Set: settings.Duration(&c.WebSockets.WriteWait, time.Millisecond)},
		{Name: "CHAT_HISTORY", Default: "100", Help: "chat lines kept for clients that reconnect with ?last_id=: by each instance, or with REDIS_URL by the Redis stream the instances share (trimmed approximately, so a few more may stay)", Set: settings.Int(&c.WebSockets.History, 1, 100_000)},
		{Name: "CHAT_HISTORY_TTL", Default: "10m", Help: "how long a chat line stays in CHAT_HISTORY", Set: settings.Duration(&c.WebSockets.HistoryTTL, time.Second)},
		{Name: "CHAT_REDIS_KEY", Default: "chat", Help: "with REDIS_URL, the Redis stream of the chat that the instances share; its notices and members use keys that start with it and a colon", Set: settings.NonEmpty(&c.ChatRedisKey)},
		// feature:websockets end
		// feature:tasks begin
		{Name: "TASK_WORKERS", Default: "4", Help: "background jobs (emails) that run at once", Set: settings.Int(&c.Tasks.Workers, 1, 1000)},
		// The in-process queue allocates its whole capacity at start.
		{Name: "TASK_QUEUE_SIZE", Default: "1000", Help: "jobs that may wait in memory; one more gets 503 (in-process queue only)", Set: settings.Int(&c.Tasks.QueueSize, 1, 1_000_000)},
		{Name: "TASK_MAX_ATTEMPTS", Default: "5", Help: "attempts per job before it is given up", Set: settings.Int(&c.Tasks.MaxAttempts, 1, 100)},
		{Name: "NOTIFY_PER_RECIPIENT_PER_HOUR", Default: "5", Help: "notifications POST /notify takes per hour for one address; more get 429 with Retry-After; shared by every instance with REDIS_URL (0: no limit)", Set: settings.Int(&c.NotifyPerRecipientPerHour, 0, 1_000_000)},
		{Name: "TASK_TIMEOUT", Default: "30s", Help: "time one attempt of a job may take", Set: settings.Duration(&c.Tasks.Timeout, time.Millisecond)},
		// feature:tasks end
		{Name: "REDIS_URL", Help: "redis://[:password@]host:6379/0, rediss:// for TLS: keep jobs in Redis and carry the chat between instances (empty: both stay in this process)", Set: settings.Optional(c.setRedis), Secret: true},
		// feature:tasks begin
		{Name: "MAIL_FROM", Default: "noreply@localhost", Help: "sender of the emails, such as Example <noreply@example.com>; its domain also ends each Message-ID", Set: c.setMailFrom},
		{Name: "SMTP_ALLOW_PLAINTEXT_AUTH", Default: "false", Help: "let SMTP_URL's password cross a connection without TLS, to a mail server on a trusted network that offers no STARTTLS", Set: settings.Bool(&c.SMTPAllowPlaintextAuth)},
		{Name: "SMTP_URL", Help: "smtp://host:587 (STARTTLS when offered, and required with a password) or smtps://host:465 (implicit TLS), with USER:PASSWORD@ before the host to log in; for Mailpit smtp://localhost:1025 (empty: emails go to the log)", Set: settings.Optional(c.setSMTP), Secret: true},
		// feature:tasks end
	}
}

// loadConfig reads the settings (see settings.Load), then fills in the
// defaults that follow from other settings. Errors name the variable or
// flag at fault; -h prints the flags to usage.
func loadConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.BoolVar(&c.Healthcheck, "healthcheck", false, "check that the service on HTTP_ADDR answers /healthz, then exit 0 or 1 (for container health checks)")
	fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	if err := settings.Load(fs, args, getenv, c.settings()); err != nil {
		return c, err
	}
	// What follows checks and fills in settings that depend on others.
	if c.Server.AllowCredentials && slices.Contains(c.Server.AllowOrigins, "*") {
		return c, errors.New("CORS_ALLOW_ORIGINS: * with CORS_ALLOW_CREDENTIALS=true would let any site act as the user; list the origins instead")
	}
	if _, port, _ := net.SplitHostPort(c.HTTPAddr); len(c.Server.AllowOrigins) == 0 {
		// The page this service serves calls it from these.
		c.Server.AllowOrigins = []string{"http://localhost:" + port, "http://127.0.0.1:" + port}
	}
	// feature:websockets begin
	// A WebSocket handshake carries the visitor's cookies, unlike the
	// requests "*" opens CORS to, so "*" allows no other site a WebSocket
	// (the service's own host always may).
	for _, o := range c.Server.AllowOrigins {
		if o != "*" {
			c.WebSockets.AllowedOrigins = append(c.WebSockets.AllowedOrigins, o)
		}
	}
	// feature:websockets end
	if u, _ := url.Parse(c.Server.RedirectURL); len(c.Server.RedirectAllowedHosts) == 0 {
		c.Server.RedirectAllowedHosts = []string{u.Hostname()}
	}
	c.Server.HeaderLimit = c.MaxHeaderBytes
	c.Server.MetricsOnOwnListener = c.MetricsAddr != ""
	// feature:files begin
	c.Server.UploadAllowedTypes = c.Storage.AllowedTypes
	c.Storage.StaleAfter = c.Server.UploadPace.Timeout // an older partial file is a dead upload's
	c.Server.DownloadPace.Window = c.Server.UploadPace.Window
	if (c.S3AccessKey == "") != (c.S3SecretKey == "") {
		return c, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both or neither")
	}
	if c.Server.PresignDownloads && c.StorageS3 == nil {
		return c, errors.New("STORAGE_PRESIGN_DOWNLOADS: needs STORAGE_URL (a directory has no URLs to hand out)")
	}
	if c.StorageS3 != nil {
		c.StorageS3.AccessKeyID, c.StorageS3.SecretAccessKey = c.S3AccessKey, c.S3SecretKey
		// The store adds the checksum to a large upload with CopyObject,
		// which S3 allows up to 5 GiB.
		if c.Server.Upload.MaxBytes > files.MaxS3ObjectBytes {
			return c, errors.New("MAX_UPLOAD_BYTES: at most 5GiB with STORAGE_URL")
		}
	}
	// feature:files end
	return c, nil
}

// setHashKey reads the key that signs the session cookie. Without one,
// development gets a random key per start (cookies then last until a
// restart); production refuses to start, since a default key is no key.
func (c *config) setHashKey(s string) error {
	key, err := base64.StdEncoding.DecodeString(s)
	switch {
	case s == "" && c.AppEnv == "production":
		return errors.New("required when APP_ENV=production (32 or 64 random bytes, base64; try: openssl rand -base64 32)")
	case s == "":
		key, c.CookieKeyRandom = make([]byte, 32), true
		_, _ = rand.Read(key) // crypto/rand.Read never fails.
	case err != nil || len(key) < 32:
		return errors.New("must be base64 of at least 32 bytes")
	}
	c.Server.CookieHashKey = key
	return nil
}

func (c *config) setBlockKey(s string) error {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !slices.Contains([]int{0, 16, 24, 32}, len(key)) {
		return errors.New("must be base64 of 16, 24 or 32 bytes (AES)")
	} else if len(key) > 0 {
		c.Server.CookieBlockKey = key
	}
	return nil
}

// setRedis reads a URL such as redis://:password@host:6379/0. Its errors
// never repeat the URL, which may hold a password.
func (c *config) setRedis(s string) (err error) {
	c.Redis, err = redis.ParseURL(s)
	// url.Error quotes the whole URL; its inner error names the fault only.
	if urlErr := (*url.Error)(nil); errors.As(err, &urlErr) {
		return fmt.Errorf("not a URL such as redis://host:6379/0: %w", urlErr.Err)
	}
	return err
}

// feature:files begin
func (c *config) setStorageURL(s string) error {
	cfg, err := files.ParseS3URL(s)
	if err != nil {
		return err
	}
	c.StorageS3 = &cfg
	return nil
}

// feature:files end

// feature:tasks begin
func (c *config) setMailFrom(s string) (err error) {
	c.MailFrom = s
	_, err = mailer.ParseSender(s)
	return err
}

// setSMTP reads SMTP_URL, after MAIL_FROM and SMTP_ALLOW_PLAINTEXT_AUTH.
func (c *config) setSMTP(s string) error {
	sc, err := mailer.ParseSMTPURL(s) // its errors never repeat the URL
	if err != nil {
		return err
	}
	sc.From, sc.AllowPlaintextAuth = c.MailFrom, c.SMTPAllowPlaintextAuth
	c.SMTP = &sc
	return nil
}

// feature:tasks end
