package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"example.com/echotemplate/internal/files" // feature:files
	"example.com/echotemplate/internal/handlers"
	"example.com/echotemplate/internal/settings"
	"example.com/echotemplate/internal/tasks" // feature:tasks
	"example.com/echotemplate/internal/ws"    // feature:websockets
)

// env returns a getenv over the given pairs.
func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(nil, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.ShutdownTimeout != 15*time.Second || c.LogFormat != "json" || c.Server.BodyLimit != 1<<20 ||
		c.MaxHeaderBytes != 16<<10 || c.Server.HeaderLimit != 16<<10 || c.IdleTimeout != 2*time.Minute {
		t.Errorf("defaults = %+v", c)
	}
	if got := strings.Join(c.Server.AllowOrigins, ","); got != "http://localhost:8080,http://127.0.0.1:8080" {
		t.Errorf("CORS default = %s, want the service's own localhost origins", got)
	}
	if got := strings.Join(c.Server.RedirectAllowedHosts, ","); got != "echo.labstack.com" {
		t.Errorf("redirect allowlist = %s, want REDIRECT_URL's host", got)
	}
	if len(c.Server.CookieHashKey) != 32 || !c.CookieKeyRandom || c.Server.CookieBlockKey != nil || len(c.Server.TrustedProxies) != 0 {
		t.Errorf("want a random 32-byte cookie key and no trusted proxies")
	}
	if c.StaticDir != "" || c.StaticMaxAge != time.Hour {
		t.Errorf("static defaults = %q, %v", c.StaticDir, c.StaticMaxAge)
	}
	// feature:files begin
	pace := handlers.Pace{MinBytesPerSec: 32 << 10, Window: 15 * time.Second, Timeout: time.Hour}
	if c.StorageDir != "./data/uploads" || c.Server.Upload != (files.Limits{MaxBytes: 100 << 20, MaxParts: 16}) ||
		c.Storage.AllowedTypes != nil || c.Server.UploadPace != pace || c.Server.DownloadPace != pace {
		t.Errorf("file defaults = %+v", c)
	}
	// feature:files end
}

// feature:files begin
func TestLoadConfigFiles(t *testing.T) {
	c, err := loadConfig(nil, env("STORAGE_DIR", "/srv/uploads", "MAX_UPLOAD_BYTES", "1GiB", "UPLOAD_MAX_PARTS", "4",
		"UPLOAD_ALLOWED_TYPES", "image/png, image/*", "UPLOAD_MIN_BYTES_PER_SEC", "1MiB", "TRANSFER_RATE_WINDOW", "5s"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.StorageDir != "/srv/uploads" || c.Server.Upload.MaxBytes != 1<<30 || c.Server.Upload.MaxParts != 4 ||
		c.Server.UploadPace.MinBytesPerSec != 1<<20 || c.Server.UploadPace.Window != 5*time.Second ||
		c.Server.DownloadPace.Window != 5*time.Second {
		t.Errorf("got %+v", c)
	}
	if got := strings.Join(c.Server.UploadAllowedTypes, ","); got != "image/png,image/*" {
		t.Errorf("allowed types = %s", got)
	}
}

// TestLoadConfigStorageURL: STORAGE_URL selects a bucket, with the
// credentials from the environment.
func TestLoadConfigStorageURL(t *testing.T) {
	c, err := loadConfig(nil, env("STORAGE_URL", "s3://uploads?endpoint=http://minio:9000&region=eu-west-1",
		"AWS_ACCESS_KEY_ID", "key", "AWS_SECRET_ACCESS_KEY", "secret"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := files.S3Config{Bucket: "uploads", Endpoint: "http://minio:9000", Region: "eu-west-1", AccessKeyID: "key", SecretAccessKey: "secret"}
	if c.StorageS3 == nil || *c.StorageS3 != want {
		t.Errorf("StorageS3 = %+v, want %+v", c.StorageS3, want)
	}
}

// feature:files end

// feature:websockets begin
func TestLoadConfigWebSockets(t *testing.T) {
	tests := []struct {
		name        string
		env         []string
		want        ws.Config
		wantChannel string
	}{
		{
			name: "Defaults",
			want: ws.Config{MaxMessageBytes: 4096, MaxConnections: 10000, MessageRate: 10, MessageBurst: 20,
				MaxConnectionsPerIP: 256, BudgetWindow: 10 * time.Second, MaxControlFrames: 50, MaxFragments: 200, MaxBytes: 1 << 20,
				History: 100, HistoryTTL: 10 * time.Minute,
				WriteWait: 10 * time.Second, AllowedOrigins: []string{"http://localhost:8080", "http://127.0.0.1:8080"}},
			wantChannel: "chat",
		},
		{
			name: "Set",
			env: []string{"WS_MAX_MESSAGE_BYTES", "16KiB", "WS_MAX_CONNECTIONS", "50", "WS_MESSAGE_RATE", "0.5",
				"WS_MESSAGE_BURST", "3", "WS_WRITE_TIMEOUT", "2s", "CHAT_REDIS_KEY", "orders:chat",
				"WS_MAX_CONNECTIONS_PER_IP", "8", "WS_BUDGET_WINDOW", "1s", "WS_MAX_CONTROL_FRAMES", "5",
				"WS_MAX_FRAGMENTS", "7", "WS_MAX_BYTES", "64KiB", "CHAT_HISTORY", "9", "CHAT_HISTORY_TTL", "1m",
				"CORS_ALLOW_ORIGINS", "https://app.example"},
			want: ws.Config{MaxMessageBytes: 16 << 10, MaxConnections: 50, MessageRate: 0.5, MessageBurst: 3,
				MaxConnectionsPerIP: 8, BudgetWindow: time.Second, MaxControlFrames: 5, MaxFragments: 7, MaxBytes: 64 << 10,
				History: 9, HistoryTTL: time.Minute,
				WriteWait: 2 * time.Second, AllowedOrigins: []string{"https://app.example"}},
			wantChannel: "orders:chat",
		},
		{
			// CORS's "*" opens nothing to WebSockets: only the service's own
			// host and the origins listed by name.
			name: "WildcardCORS",
			env:  []string{"CORS_ALLOW_ORIGINS", "*, https://app.example"},
			want: ws.Config{MaxMessageBytes: 4096, MaxConnections: 10000, MessageRate: 10, MessageBurst: 20,
				MaxConnectionsPerIP: 256, BudgetWindow: 10 * time.Second, MaxControlFrames: 50, MaxFragments: 200, MaxBytes: 1 << 20,
				History: 100, HistoryTTL: 10 * time.Minute,
				WriteWait: 10 * time.Second, AllowedOrigins: []string{"https://app.example"}},
			wantChannel: "chat",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(nil, env(tt.env...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.WebSockets, tt.want) || c.ChatRedisKey != tt.wantChannel {
				t.Errorf("got %+v on channel %q,\nwant %+v on %q", c.WebSockets, c.ChatRedisKey, tt.want, tt.wantChannel)
			}
		})
	}
}

// feature:websockets end

func TestLoadConfigSources(t *testing.T) {
	c, err := loadConfig(
		[]string{"-http-addr", "127.0.0.1:9000", "-max-header-bytes", "8KiB"},
		env("HTTP_ADDR", ":7000", "SHUTDOWN_TIMEOUT", "3s", "CORS_ALLOW_ORIGINS", "https://App.example.com, http://localhost:3000",
			"TRUSTED_PROXIES", "10.0.0.0/8", "LOG_LEVEL", "debug", "BODY_LIMIT", "2MiB"),
		io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9000" {
		t.Errorf("HTTPAddr = %q, want the flag to win over the environment", c.HTTPAddr)
	}
	if c.ShutdownTimeout != 3*time.Second || c.MaxHeaderBytes != 8<<10 || c.Server.BodyLimit != 2<<20 {
		t.Errorf("got %+v", c)
	}
	if got := strings.Join(c.Server.AllowOrigins, ","); got != "https://app.example.com,http://localhost:3000" {
		t.Errorf("origins = %s", got)
	}
	if len(c.Server.TrustedProxies) != 1 || c.Server.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Errorf("proxies = %v", c.Server.TrustedProxies)
	}
}

func TestLoadConfigRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string // the variable or flag the error must name
	}{
		{"Duration", nil, []string{"SHUTDOWN_TIMEOUT", "soon"}, "SHUTDOWN_TIMEOUT"},
		{"NegativeDelay", nil, []string{"SHUTDOWN_DELAY", "-1s"}, "SHUTDOWN_DELAY"},
		{"ZeroTimeout", nil, []string{"HTTP_READ_TIMEOUT", "0s"}, "HTTP_READ_TIMEOUT"},
		{"Bool", nil, []string{"COOKIE_SECURE", "yes please"}, "COOKIE_SECURE"},
		{"Size", nil, []string{"BODY_LIMIT", "lots"}, "BODY_LIMIT"},
		{"HeaderTooSmall", nil, []string{"MAX_HEADER_BYTES", "512"}, "MAX_HEADER_BYTES"},
		{"MetricsAddr", nil, []string{"METRICS_ADDR", "9090"}, "METRICS_ADDR"},
		{"StorageEmpty", []string{"-storage-dir", ""}, nil, "storage-dir"}, // feature:files
		{"SecretIsNoFlag", []string{"-cookie-hash-key", "c2VjcmV0"}, nil, "cookie-hash-key"},
		{"Level", nil, []string{"LOG_LEVEL", "loud"}, "LOG_LEVEL"},
		{"Format", nil, []string{"LOG_FORMAT", "xml"}, "LOG_FORMAT"},
		{"Addr", nil, []string{"HTTP_ADDR", "8080"}, "HTTP_ADDR"},
		{"Origin", nil, []string{"CORS_ALLOW_ORIGINS", "localhost:8080"}, "CORS_ALLOW_ORIGINS"},
		{"OriginPath", nil, []string{"CORS_ALLOW_ORIGINS", "https://a.example/app"}, "CORS_ALLOW_ORIGINS"},
		{"WildcardWithCredentials", nil, []string{"CORS_ALLOW_ORIGINS", "*", "CORS_ALLOW_CREDENTIALS", "true"}, "CORS_ALLOW_ORIGINS"},
		{"CIDR", nil, []string{"TRUSTED_PROXIES", "10.0.0.1"}, "TRUSTED_PROXIES"},
		{"RedirectURL", nil, []string{"REDIRECT_URL", "/relative"}, "REDIRECT_URL"},
		{"RedirectHost", nil, []string{"REDIRECT_ALLOWED_HOSTS", "a.example/path"}, "REDIRECT_ALLOWED_HOSTS"},
		{"ProductionWithoutKey", nil, []string{"APP_ENV", "production"}, "COOKIE_HASH_KEY"},
		{"ShortKey", nil, []string{"COOKIE_HASH_KEY", "c2hvcnQ="}, "COOKIE_HASH_KEY"},
		{"BlockKey", nil, []string{"COOKIE_HASH_KEY", strings.Repeat("QUFB", 11), "COOKIE_BLOCK_KEY", "QUFB"}, "COOKIE_BLOCK_KEY"},
		{"Env", nil, []string{"APP_ENV", "staging"}, "APP_ENV"},
		{"UploadZero", nil, []string{"MAX_UPLOAD_BYTES", "0"}, "MAX_UPLOAD_BYTES"},                    // feature:files
		{"Parts", nil, []string{"UPLOAD_MAX_PARTS", "many"}, "UPLOAD_MAX_PARTS"},                      // feature:files
		{"PartsZero", nil, []string{"UPLOAD_MAX_PARTS", "0"}, "UPLOAD_MAX_PARTS"},                     // feature:files
		{"AllowedType", nil, []string{"UPLOAD_ALLOWED_TYPES", "png"}, "UPLOAD_ALLOWED_TYPES"},         // feature:files
		{"AllowedTypeAnything", nil, []string{"UPLOAD_ALLOWED_TYPES", "*/*"}, "UPLOAD_ALLOWED_TYPES"}, // feature:files
		{"MinRate", nil, []string{"DOWNLOAD_MIN_BYTES_PER_SEC", "0"}, "DOWNLOAD_MIN_BYTES_PER_SEC"},   // feature:files
		{"Window", nil, []string{"TRANSFER_RATE_WINDOW", "0s"}, "TRANSFER_RATE_WINDOW"},               // feature:files
		{"UploadTimeout", nil, []string{"UPLOAD_TIMEOUT", "-1m"}, "UPLOAD_TIMEOUT"},                   // feature:files
		{"MaxAge", nil, []string{"STATIC_MAX_AGE", "forever"}, "STATIC_MAX_AGE"},
		{"WSMessageBytes", nil, []string{"WS_MAX_MESSAGE_BYTES", "0"}, "WS_MAX_MESSAGE_BYTES"},        // feature:websockets
		{"WSMessageBytesHuge", nil, []string{"WS_MAX_MESSAGE_BYTES", "2MiB"}, "WS_MAX_MESSAGE_BYTES"}, // feature:websockets
		{"WSConnections", nil, []string{"WS_MAX_CONNECTIONS", "-1"}, "WS_MAX_CONNECTIONS"},            // feature:websockets
		{"WSRate", nil, []string{"WS_MESSAGE_RATE", "fast"}, "WS_MESSAGE_RATE"},                       // feature:websockets
		{"WSRateZero", nil, []string{"WS_MESSAGE_RATE", "0"}, "WS_MESSAGE_RATE"},                      // feature:websockets
		{"WSRateNaN", nil, []string{"WS_MESSAGE_RATE", "NaN"}, "WS_MESSAGE_RATE"},                     // feature:websockets
		{"WSBurst", nil, []string{"WS_MESSAGE_BURST", "0"}, "WS_MESSAGE_BURST"},                       // feature:websockets
		{"WSWriteTimeout", nil, []string{"WS_WRITE_TIMEOUT", "0s"}, "WS_WRITE_TIMEOUT"},               // feature:websockets
		{"ChatRedisKey", nil, []string{"CHAT_REDIS_KEY", " "}, "CHAT_REDIS_KEY"},                      // feature:websockets
		{"NoWorkers", nil, []string{"TASK_WORKERS", "0"}, "TASK_WORKERS"},                             // feature:tasks
		{"WorkersNotANumber", nil, []string{"TASK_WORKERS", "four"}, "TASK_WORKERS"},                  // feature:tasks
		{"HugeQueue", nil, []string{"TASK_QUEUE_SIZE", "1000000000"}, "TASK_QUEUE_SIZE"},              // feature:tasks
		{"NoAttempts", nil, []string{"TASK_MAX_ATTEMPTS", "0"}, "TASK_MAX_ATTEMPTS"},                  // feature:tasks
		{"TaskTimeout", nil, []string{"TASK_TIMEOUT", "0s"}, "TASK_TIMEOUT"},                          // feature:tasks
		{"RedisScheme", nil, []string{"REDIS_URL", "http://localhost:6379"}, "REDIS_URL"},
		{"StorageURLScheme", nil, []string{"STORAGE_URL", "http://bucket"}, "STORAGE_URL"},                                        // feature:files
		{"StorageURLHalfCredentials", nil, []string{"STORAGE_URL", "s3://b", "AWS_ACCESS_KEY_ID", "k"}, "AWS_SECRET_ACCESS_KEY"},  // feature:files
		{"PresignWithoutBucket", nil, []string{"STORAGE_PRESIGN_DOWNLOADS", "true"}, "STORAGE_PRESIGN_DOWNLOADS"},                 // feature:files
		{"StorageURLUploadOverCopyLimit", nil, []string{"STORAGE_URL", "s3://b", "MAX_UPLOAD_BYTES", "6GiB"}, "MAX_UPLOAD_BYTES"}, // feature:files
		{"SMTPScheme", nil, []string{"SMTP_URL", "imap://localhost"}, "SMTP_URL"},                                                 // feature:tasks
		{"MailFrom", nil, []string{"MAIL_FROM", "no reply"}, "MAIL_FROM"},                                                         // feature:tasks
		{"MailFromHeaderInjection", nil, []string{"MAIL_FROM", "a@example.com\r\nBcc: b@example.com"}, "MAIL_FROM"},               // feature:tasks
		{"Flag", []string{"-shutdown-timeout", "never"}, nil, "shutdown-timeout"},
		{"Argument", []string{"extra"}, nil, "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(tt.args, env(tt.env...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// TestLoadConfigAcceptsBoundaries: a value exactly at a limit is within it.
func TestLoadConfigAcceptsBoundaries(t *testing.T) {
	tests := []struct {
		name string
		env  []string
	}{
		{"HashKey32Bytes", []string{"COOKIE_HASH_KEY", base64.StdEncoding.EncodeToString(make([]byte, 32))}},
		{"StorageURLUploadAtCopyLimit", []string{"STORAGE_URL", "s3://b", "MAX_UPLOAD_BYTES", "5GiB"}}, // feature:files
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := loadConfig(nil, env(tt.env...), io.Discard); err != nil {
				t.Errorf("err = %v, want %v accepted", err, tt.env)
			}
		})
	}
}

// feature:tasks begin
func TestLoadConfigTasks(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c, err := loadConfig(nil, env(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := tasks.Config{Workers: 4, QueueSize: 1000, MaxAttempts: 5, Timeout: 30 * time.Second}
		if c.Tasks != want {
			t.Errorf("Tasks = %+v, want %+v", c.Tasks, want)
		}
		if c.Redis != nil || c.SMTP != nil {
			t.Errorf("Redis = %v, SMTP = %v, want neither (memory queue, log mailer)", c.Redis, c.SMTP)
		}
	})
	t.Run("Set", func(t *testing.T) {
		c, err := loadConfig([]string{"-task-workers", "8"}, env(
			"TASK_QUEUE_SIZE", "50", "TASK_MAX_ATTEMPTS", "3", "TASK_TIMEOUT", "5s",
			"REDIS_URL", "redis://:pw@redis.internal:6380/2",
			"SMTP_URL", "smtps://mailer:s3cret@smtp.example.com", "MAIL_FROM", "Example <noreply@example.com>"), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := tasks.Config{Workers: 8, QueueSize: 50, MaxAttempts: 3, Timeout: 5 * time.Second}
		if c.Tasks != want {
			t.Errorf("Tasks = %+v, want %+v", c.Tasks, want)
		}
		if c.Redis == nil || c.Redis.Addr != "redis.internal:6380" || c.Redis.DB != 2 || c.Redis.Password != "pw" {
			t.Errorf("Redis = %+v, want redis.internal:6380 db 2 with the password", c.Redis)
		}
		if c.SMTP == nil || c.SMTP.Host != "smtp.example.com" || c.SMTP.Port != 465 || !c.SMTP.ImplicitTLS ||
			c.SMTP.Username != "mailer" || c.SMTP.From != "Example <noreply@example.com>" {
			t.Errorf("SMTP = %+v, want smtps to smtp.example.com:465 as mailer, from MAIL_FROM", c.SMTP)
		}
	})
}

// feature:tasks end

// TestLoadConfigKeepsPasswordsOut: errors about REDIS_URL and SMTP_URL name
// the variable and never print the password they hold.
func TestLoadConfigKeepsPasswordsOut(t *testing.T) {
	tests := []struct{ name, env, value string }{
		{"RedisUnparsable", "REDIS_URL", "redis://user:s3cret@[::1"},
		{"RedisDB", "REDIS_URL", "redis://user:s3cret@localhost:6379/zero"},
		{"RedisOption", "REDIS_URL", "redis://user:s3cret@localhost:6379/0?pool_size=many"},
		{"SMTPUnparsable", "SMTP_URL", "smtp://user:s3cret@[::1"},      // feature:tasks
		{"SMTPPort", "SMTP_URL", "smtp://user:s3cret@localhost:99999"}, // feature:tasks
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(nil, env(tt.env, tt.value), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.env) {
				t.Fatalf("err = %v, want one naming %s", err, tt.env)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("err = %q shows the password", err)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the README's settings table and .env.example from the settings table")

// TestSettingsDocumented keeps the README's settings table and .env.example
// as the settings table makes them. After a change to the table, rewrite
// both: go test ./cmd/api -run TestSettingsDocumented -update
func TestSettingsDocumented(t *testing.T) {
	table := new(config).settings()
	docs := []struct{ path, start, want string }{
		{"../../README.md", "| Variable | Default | Meaning |\n", readmeTable(table)},
		{"../../.env.example", "", envExample(table)},
	}
	for _, doc := range docs {
		b, err := os.ReadFile(doc.path)
		if err != nil {
			t.Fatal(err)
		}
		// The part to keep in step runs from start to the first blank line
		// after it, or to the end of the file when start is empty.
		text, i, j := string(b), 0, len(b)
		if doc.start != "" {
			if i = strings.Index(text, doc.start); i < 0 {
				t.Fatalf("%s has no line %q", doc.path, doc.start)
			}
			if j = strings.Index(text[i:], "\n\n"); j < 0 {
				j = len(text) - i
			}
			j += i + 1
		}
		if text[i:j] == doc.want {
			continue
		}
		if !*update {
			t.Errorf("%s is out of step with the settings table; run: go test ./cmd/api -run TestSettingsDocumented -update", doc.path)
			continue
		}
		if err := os.WriteFile(doc.path, []byte(text[:i]+doc.want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// settingName matches the names of settings in help text, for the README
// to set them as code.
var settingName = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b`)

func readmeTable(table []settings.Setting) string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Meaning |\n| --- | --- | --- |\n")
	for _, s := range table {
		def := ""
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		help := strings.NewReplacer("*", `\*`, "<", `\<`).Replace(s.Help)
		help = settingName.ReplaceAllString(help, "`$0`")
		if s.Secret {
			help += "; environment only"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, help)
	}
	return b.String()
}

func envExample(table []settings.Setting) string {
	var b strings.Builder
	b.WriteString(`# Every setting of the service, with its default. Each one but the secrets is
# also a flag: HTTP_ADDR is -http-addr. Flags win over the environment.
# make run and the binary read the environment only; load this file with
# your own tooling (for example: set -a; . ./.env; set +a).
# Made from the table in cmd/api/config.go by:
#   go test ./cmd/api -run TestSettingsDocumented -update
`)
	for _, s := range table {
		help := s.Help
		if s.Secret {
			help += "; environment only"
		}
		b.WriteString("\n" + comment(help) + s.Name + "=" + s.Default + "\n")
	}
	return b.String()
}

// comment wraps text into lines of a # comment.
func comment(text string) string {
	var b, line strings.Builder
	for _, w := range strings.Fields(text) {
		if line.Len() > 0 && line.Len()+1+len(w) > 90 {
			b.WriteString("#" + line.String() + "\n")
			line.Reset()
		}
		line.WriteString(" " + w)
	}
	return b.String() + "#" + line.String() + "\n"
}

// TestInternetLimitsDocumented: every setting the README's "On the
// internet" table names exists, with the default the table gives.
func TestInternetLimitsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "| Limit | Setting | Default | Past it |\n")
	if i < 0 {
		t.Fatal(`README.md has no "On the internet" table`)
	}
	text = text[i:]
	text = text[:strings.Index(text, "\n\n")]
	defaults := map[string]string{}
	for _, s := range new(config).settings() {
		defaults[s.Name] = s.Default
	}
	rows := 0
	for _, row := range strings.Split(text, "\n")[2:] {
		cells := strings.Split(row, "|")
		if len(cells) < 5 {
			t.Errorf("row %q has too few cells", row)
			continue
		}
		names, values := strings.Split(cells[2], ","), strings.Split(cells[3], ",")
		if len(names) != len(values) {
			t.Errorf("row %q: %d settings but %d defaults", row, len(names), len(values))
			continue
		}
		for k, name := range names {
			name, value := strings.Trim(name, " `"), strings.Trim(values[k], " `")
			if def, ok := defaults[name]; !ok || def != value {
				t.Errorf("README says %s defaults to %q; the settings table: %q (exists: %v)", name, value, def, ok)
			}
			rows++
		}
	}
	if rows < 10 {
		t.Errorf("the table lists %d settings; want them all", rows)
	}
}
