package handlers

// These tests send through the real SMTP mailer to a real SMTP server
// (smtptest, on 127.0.0.1): what a user of POST /notify gets.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"example.com/echotemplate/internal/mailer/smtptest"
	"example.com/echotemplate/internal/ratelimit"
	"example.com/echotemplate/internal/tasks"
	"example.com/echotemplate/internal/tasks/taskstest"
)

// quickTasks retries at once, so that a test of giving up stays short.
var quickTasks = tasks.Config{
	Workers:       2,
	QueueSize:     16,
	MaxAttempts:   3,
	Timeout:       5 * time.Second,
	RetryDelay:    10 * time.Millisecond,
	RetryMaxDelay: 50 * time.Millisecond,
}

// newTaskServer returns the whole HTTP surface with q as its task queue.
func newTaskServer(t testing.TB, q TaskQueue) *testServer {
	t.Helper()
	return newServerWith(t, testConfig(), Deps{Tasks: q})
}

// newDispatcher returns an in-process queue that sends through m and logs
// to the returned buffer; start says whether its workers run. It is shut
// down when the test ends.
func newDispatcher(t testing.TB, cfg tasks.Config, m tasks.Mailer, start bool) (*tasks.Dispatcher, *taskstest.LogBuffer) {
	t.Helper()
	log, logs := taskstest.NewLogger()
	d, err := tasks.NewDispatcher(cfg, m, log)
	if err != nil {
		t.Fatalf("NewDispatcher: %v", err)
	}
	if start {
		if err := d.Start(); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx) // a second Shutdown only logs again
	})
	return d, logs
}

// drain shuts d down and fails the test unless every job finished: after
// it, the SMTP server holds all that will ever be sent.
func drain(t *testing.T, d *tasks.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// postNotify sends POST target with body of type contentType (none when
// empty) through s.
func postNotify(t *testing.T, s *testServer, target, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set(echo.HeaderContentType, contentType)
	}
	return s.do(t, req)
}

// wantAccepted checks that rec is the 202 of POST /notify.
func wantAccepted(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if got, want := strings.TrimSpace(rec.Body.String()), `{"message":"Notification sent in background"}`; rec.Code != http.StatusAccepted || got != want {
		t.Fatalf("got %d %s, want 202 %s", rec.Code, got, want)
	}
}

// waitForRecipient waits until server has accepted a message to to, and
// returns it.
func waitForRecipient(t *testing.T, server *smtptest.Server, to string) smtptest.Message {
	t.Helper()
	var got smtptest.Message
	taskstest.WaitFor(t, 10*time.Second, "an email to "+to, func() bool {
		for _, m := range server.Messages() {
			if slices.Equal(m.To, []string{to}) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

func TestNotify_SendsEmail(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{})
	d, logs := newDispatcher(t, quickTasks, taskstest.SMTPMailer(t, server), true)
	s := newTaskServer(t, d)

	tests := []struct {
		name, target, contentType, body string
		wantTo, wantBody                string
	}{
		{"Query", "/notify?email=alice@example.com", "", "", "alice@example.com", "Hello, user!"},
		{"QueryWithMessage", "/notify?email=bob@example.com&message=Hi%20Bob", "", "", "bob@example.com", "Hi Bob"},
		{"JSON", "/notify", echo.MIMEApplicationJSON, `{"email":"carol@example.com","message":"Your order shipped.\nThank you!"}`,
			"carol@example.com", "Your order shipped.\nThank you!"},
		{"JSONDefaultMessage", "/notify", echo.MIMEApplicationJSON, `{"email":"dave@example.com"}`, "dave@example.com", "Hello, user!"},
		{"JSONOverQuery", "/notify?email=query@example.com&message=from+query", echo.MIMEApplicationJSON, `{"email":"erin@example.com"}`,
			"erin@example.com", "from query"},
		{"Form", "/notify", echo.MIMEApplicationForm, "email=frank%40example.com&message=Hello+Frank", "frank@example.com", "Hello Frank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := postNotify(t, s, tt.target, tt.contentType, tt.body)
			wantAccepted(t, rec)

			got := waitForRecipient(t, server, tt.wantTo)
			if got.Subject != notifySubject {
				t.Errorf("subject = %q, want %q", got.Subject, notifySubject)
			}
			if got.Body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.Body, tt.wantBody)
			}
			if h := got.Header.Get("To"); !strings.Contains(h, tt.wantTo) {
				t.Errorf("To header = %q, want %s", h, tt.wantTo)
			}
			// The job ran in a context of its own that still names the
			// request, so its log lines can be joined to the request's.
			jobID, ok := strings.CutSuffix(got.MessageID, "@example.com")
			if !ok {
				t.Fatalf("Message-ID = %q, want <job id>@example.com", got.MessageID)
			}
			var sent map[string]any
			taskstest.WaitFor(t, 5*time.Second, "the 'email job done' log line", func() bool {
				for _, line := range logs.Lines(t, "email job done") {
					if line["job_id"] == jobID {
						sent = line
						return true
					}
				}
				return false
			})
			if got, want := sent["request_id"], rec.Header().Get(echo.HeaderXRequestID); got != want {
				t.Errorf("job's request_id = %v, want the request's %q", got, want)
			}
		})
	}
}

// TestNotify_SlowMailServer: the response does not wait for SMTP. The
// bound is generous for a loaded machine running -race; the real figure is
// in BenchmarkNotify.
func TestNotify_SlowMailServer(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Delay: 2 * time.Second})
	d, _ := newDispatcher(t, quickTasks, taskstest.SMTPMailer(t, server), true)
	s := newTaskServer(t, d)

	start := time.Now()
	rec := postNotify(t, s, "/notify?email=slow@example.com", "", "")
	took := time.Since(start)
	wantAccepted(t, rec)
	if took > time.Second {
		t.Errorf("POST /notify took %v with a mail server that takes 2s, want it not to wait", took)
	}
	waitForRecipient(t, server, "slow@example.com")
}

func TestNotify_FailingMailServerIsRetriedThenGivenUp(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{Reject: func(smtptest.Message) error { return smtptest.TempFail }})
	d, logs := newDispatcher(t, quickTasks, taskstest.SMTPMailer(t, server), true)
	s := newTaskServer(t, d)

	wantAccepted(t, postNotify(t, s, "/notify?email=alice@example.com", "", ""))
	drain(t, d)

	if got, want := server.Attempts(), quickTasks.MaxAttempts; got != want {
		t.Errorf("server saw %d attempts, want %d", got, want)
	}
	if got := len(logs.Lines(t, "will retry")); got != quickTasks.MaxAttempts-1 {
		t.Errorf("got %d 'will retry' log lines, want %d", got, quickTasks.MaxAttempts-1)
	}
	gaveUp := logs.Lines(t, "giving up")
	if len(gaveUp) != 1 {
		t.Fatalf("got %d 'giving up' log lines, want 1", len(gaveUp))
	}
	if id, _ := gaveUp[0]["job_id"].(string); id == "" || gaveUp[0]["error"] == nil {
		t.Errorf("'giving up' line = %v, want the job id and the error", gaveUp[0])
	}
}

func TestNotify_PanickingJobLeavesProcessRunning(t *testing.T) {
	server := smtptest.NewServer(t, smtptest.Options{})
	smtp := taskstest.SMTPMailer(t, server)
	m := tasks.MailerFunc(func(ctx context.Context, e tasks.Email) error {
		if e.To == "panic@example.com" {
			panic("mailer bug")
		}
		return smtp.Send(ctx, e)
	})
	cfg := quickTasks
	cfg.Workers = 1 // the worker that recovered is the one that sends next
	d, logs := newDispatcher(t, cfg, m, true)
	s := newTaskServer(t, d)

	wantAccepted(t, postNotify(t, s, "/notify?email=panic@example.com", "", ""))
	wantAccepted(t, postNotify(t, s, "/notify?email=alice@example.com", "", ""))

	waitForRecipient(t, server, "alice@example.com")
	if got := len(logs.Lines(t, "email job panicked")); got != cfg.MaxAttempts {
		t.Errorf("got %d 'panicked' log lines, want one per attempt (%d)", got, cfg.MaxAttempts)
	}
	drain(t, d)
}

func TestNotify_Invalid(t *testing.T) {
	d, _ := newDispatcher(t, quickTasks, tasks.MailerFunc(func(context.Context, tasks.Email) error {
		t.Error("an invalid request sent an email")
		return nil
	}), true)
	s := newTaskServer(t, d)
	js := echo.MIMEApplicationJSON

	tests := []struct {
		name, target, contentType, body string
		wantStatus                      int
		wantFields                      []string // fields named in a 422
	}{
		{"NoEmail", "/notify", "", "", http.StatusUnprocessableEntity, []string{"email"}},
		{"EmptyEmail", "/notify?email=", "", "", http.StatusUnprocessableEntity, []string{"email"}},
		{"NotAnEmail", "/notify?email=alice", "", "", http.StatusUnprocessableEntity, []string{"email"}},
		{"DisplayName", "/notify", js, `{"email":"Alice <alice@example.com>"}`, http.StatusUnprocessableEntity, []string{"email"}},
		{"HeaderInjectionQuery", "/notify?email=a@example.com%0D%0ABcc:%20b@example.com", "", "", http.StatusUnprocessableEntity, []string{"email"}},
		{"HeaderInjectionJSON", "/notify", js, `{"email":"a@example.com\r\nBcc: b@example.com"}`, http.StatusUnprocessableEntity, []string{"email"}},
		{"TrailingNewline", "/notify", js, `{"email":"a@example.com\n"}`, http.StatusUnprocessableEntity, []string{"email"}},
		{"EmailTooLong", "/notify?email=" + strings.Repeat("a", 250) + "@example.com", "", "", http.StatusUnprocessableEntity, []string{"email"}},
		{"MessageTooLong", "/notify", js, `{"email":"a@example.com","message":"` + strings.Repeat("x", 2001) + `"}`,
			http.StatusUnprocessableEntity, []string{"message"}},
		{"BothWrong", "/notify", js, `{"email":"no","message":"` + strings.Repeat("x", 2001) + `"}`,
			http.StatusUnprocessableEntity, []string{"email", "message"}},
		{"MalformedJSON", "/notify", js, `{"email":`, http.StatusBadRequest, nil},
		{"WrongJSONType", "/notify", js, `{"email":42}`, http.StatusBadRequest, nil},
		{"UnsupportedType", "/notify", "text/plain", "a@example.com", http.StatusUnsupportedMediaType, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := postNotify(t, s, tt.target, tt.contentType, tt.body)
			p := wantProblem(t, rec, tt.wantStatus)
			var got []string
			for _, fe := range p.Errors {
				got = append(got, fe.Field)
				if fe.Message == "" {
					t.Errorf("field %s has no message", fe.Field)
				}
			}
			if !slices.Equal(got, tt.wantFields) {
				t.Errorf("fields = %v, want %v", got, tt.wantFields)
			}
			if strings.Contains(rec.Body.String(), "Bcc") {
				t.Errorf("the problem repeats the input: %s", rec.Body)
			}
		})
	}
	drain(t, d)
}

// TestNotify_TryLater: when the queue cannot take the job, the client is
// told so before anything is written, with 503 and Retry-After, and
// nothing is sent.
func TestNotify_TryLater(t *testing.T) {
	never := tasks.MailerFunc(func(context.Context, tasks.Email) error {
		t.Error("a refused notification sent an email")
		return nil
	})
	tests := []struct {
		name  string
		queue func(t *testing.T) TaskQueue
	}{
		{"QueueFull", func(t *testing.T) TaskQueue {
			// No workers: the first job fills the queue and stays.
			cfg := quickTasks
			cfg.QueueSize = 1
			d, _ := newDispatcher(t, cfg, tasks.MailerFunc(nil), false)
			taskstest.Enqueue(t, d, taskstest.Job("first@example.com"))
			return d
		}},
		{"ShuttingDown", func(t *testing.T) TaskQueue {
			d, _ := newDispatcher(t, quickTasks, never, true)
			drain(t, d)
			return d
		}},
		{"RedisDown", func(t *testing.T) TaskQueue {
			return newRedisQueue(t, downRedis(t), "unused", never, false)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTaskServer(t, tt.queue(t))
			rec := postNotify(t, s, "/notify?email=alice@example.com", "", "")
			wantProblem(t, rec, http.StatusServiceUnavailable)
			if got := rec.Header().Get(echo.HeaderRetryAfter); got != "5" {
				t.Errorf("Retry-After = %q, want 5", got)
			}
			if strings.Contains(rec.Body.String(), "tasks:") {
				t.Errorf("the problem shows the internal error: %s", rec.Body)
			}
			if !strings.Contains(s.logs.String(), "tasks:") {
				t.Errorf("the request log lacks the cause:\n%s", s.logs)
			}
		})
	}
}

// queueFunc adapts a function to TaskQueue.
type queueFunc func(ctx context.Context, job tasks.Job) error

func (f queueFunc) Enqueue(ctx context.Context, job tasks.Job) error { return f(ctx, job) }

// TestNotify_EnqueueFails: an error the client cannot wait out is a bare
// 500 without Retry-After, its cause logged and not shown.
func TestNotify_EnqueueFails(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"InvalidJob", fmt.Errorf("%w: line break in a header field", tasks.ErrInvalidJob)},
		{"Other", errors.New("queue bug")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTaskServer(t, queueFunc(func(context.Context, tasks.Job) error { return tt.err }))
			rec := postNotify(t, s, "/notify?email=alice@example.com", "", "")
			wantProblem(t, rec, http.StatusInternalServerError)
			if got := rec.Header().Get(echo.HeaderRetryAfter); got != "" {
				t.Errorf("Retry-After = %q, want none", got)
			}
			if msg := tt.err.Error(); strings.Contains(rec.Body.String(), msg) {
				t.Errorf("the problem shows the internal error: %s", rec.Body)
			}
			if !strings.Contains(s.logs.String(), tt.err.Error()) {
				t.Errorf("the request log lacks the cause:\n%s", s.logs)
			}
		})
	}
}

// TestNotify_QueuesOneJobForTheRequest: the handler hands the queue one job
// naming the request, and only once it has validated the input.
func TestNotify_QueuesOneJobForTheRequest(t *testing.T) {
	var got []tasks.Job
	s := newTaskServer(t, queueFunc(func(_ context.Context, job tasks.Job) error {
		got = append(got, job)
		return nil
	}))

	wantProblem(t, postNotify(t, s, "/notify?email=not-an-address", "", ""), http.StatusUnprocessableEntity)
	if len(got) != 0 {
		t.Fatalf("an invalid request queued %d jobs, want 0", len(got))
	}
	rec := postNotify(t, s, "/notify?email=alice@example.com", "", "")
	wantAccepted(t, rec)
	if len(got) != 1 {
		t.Fatalf("queued %d jobs, want 1", len(got))
	}
	if want := rec.Header().Get(echo.HeaderXRequestID); got[0].RequestID != want {
		t.Errorf("job RequestID = %q, want the request's %q", got[0].RequestID, want)
	}
	if got[0].To != "alice@example.com" || got[0].ID == "" {
		t.Errorf("job = %+v, want one to alice@example.com with an id", got[0])
	}
}

// TestNotify_NoQueue: a server built without a task queue is a wiring bug;
// POST /notify answers 500 instead of accepting work it cannot do.
func TestNotify_NoQueue(t *testing.T) {
	s := newTestServer(t, testConfig()) // Deps.Tasks is nil
	rec := postNotify(t, s, "/notify?email=alice@example.com", "", "")
	wantProblem(t, rec, http.StatusInternalServerError)
}

// recordingQueue keeps the jobs it is given.
type recordingQueue struct {
	mu   sync.Mutex
	jobs []tasks.Job
}

func (q *recordingQueue) Enqueue(_ context.Context, job tasks.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, job)
	return nil
}

// TestNotifyJSONIsOneValue: a JSON body is one value; data after it is a
// 400 that queues nothing, as is a body that is not JSON, while white space
// after the value is fine.
func TestNotifyJSONIsOneValue(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"one value", `{"email":"a@example.com"}`, http.StatusAccepted},
		{"white space after", "{\"email\":\"a@example.com\"}\n\t ", http.StatusAccepted},
		{"a second value", `{"email":"a@example.com"}{"email":"b@example.com"}`, http.StatusBadRequest},
		{"garbage after", `{"email":"a@example.com"} trailing`, http.StatusBadRequest},
		{"an array after", `{"email":"a@example.com"}[]`, http.StatusBadRequest},
		{"cut short", `{"email":"a@exa`, http.StatusBadRequest},
		{"wrong type", `{"email":42}`, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := &recordingQueue{}
			s := newTaskServer(t, q)
			rec := postNotify(t, s, "/notify", "application/json", tt.body)
			if tt.status != http.StatusAccepted {
				wantProblem(t, rec, tt.status)
				if len(q.jobs) != 0 {
					t.Errorf("queued %d jobs for a refused body", len(q.jobs))
				}
				return
			}
			wantAccepted(t, rec)
			if len(q.jobs) != 1 || q.jobs[0].To != "a@example.com" {
				t.Errorf("queued %+v, want one job to a@example.com", q.jobs)
			}
		})
	}
}

// TestNotifySlowBodyIs408: a body that does not arrive within the server's
// read timeout is 408 problem+json, not a 400 that blames its syntax, and
// queues nothing.
func TestNotifySlowBodyIs408(t *testing.T) {
	q := &recordingQueue{}
	s := newTaskServer(t, q)
	srv := httptest.NewUnstartedServer(s.e)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"email":"a@example.com"}`
	fmt.Fprintf(conn, "POST /notify HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout || res.Header.Get("Content-Type") != MIMEProblemJSON {
		t.Errorf("got %d %s, want 408 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) != 0 {
		t.Errorf("queued %d jobs for a body that never arrived", len(q.jobs))
	}
}

// TestNotifyPerRecipientLimit: past NOTIFY_PER_RECIPIENT_PER_HOUR the next
// notification to that address (in any case) gets 429 with Retry-After and
// queues nothing; other addresses are unaffected.
func TestNotifyPerRecipientLimit(t *testing.T) {
	var queued []string
	q := queueFunc(func(_ context.Context, job tasks.Job) error {
		queued = append(queued, job.To)
		return nil
	})
	s := newServerWith(t, testConfig(), Deps{Tasks: q, NotifyLimit: ratelimit.NewMemory(ratelimit.Limit{N: 2, Period: time.Hour}, 100)})
	wantAccepted(t, postNotify(t, s, "/notify?email=alice@example.com", "", ""))
	wantAccepted(t, postNotify(t, s, "/notify", echo.MIMEApplicationJSON, `{"email":"alice@example.com"}`))
	rec := postNotify(t, s, "/notify?email=Alice@Example.com", "", "")
	p := wantProblem(t, rec, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(rec.Header().Get(echo.HeaderRetryAfter)); err != nil || ra < 1 || ra > 1800 {
		t.Errorf("Retry-After %q; want 1 to 1800 s (one of 2 an hour comes back in 30 min)", rec.Header().Get(echo.HeaderRetryAfter))
	}
	if !strings.Contains(p.Detail, "this address") {
		t.Errorf("detail %q does not say the address is at its limit", p.Detail)
	}
	wantAccepted(t, postNotify(t, s, "/notify?email=bob@example.com", "", ""))
	if want := []string{"alice@example.com", "alice@example.com", "bob@example.com"}; !slices.Equal(queued, want) {
		t.Errorf("queued %q; want %q", queued, want)
	}
}

// TestRateLimitPerClient: past RATE_LIMIT_PER_MINUTE a client address gets
// 429 with Retry-After on POST routes, invalid requests counted too, while
// GET routes and other clients are unaffected. Behind a trusted proxy each
// forwarded client has its own count; a forged X-Forwarded-For from an
// untrusted peer buys no new one.
func TestRateLimitPerClient(t *testing.T) {
	cfg := testConfig()
	_, proxies, _ := net.ParseCIDR("10.0.0.0/8")
	cfg.TrustedProxies = []*net.IPNet{proxies}
	q := queueFunc(func(context.Context, tasks.Job) error { return nil })
	s := newServerWith(t, cfg, Deps{Tasks: q, RateLimit: ratelimit.NewMemory(ratelimit.Limit{N: 2, Period: time.Minute}, 100)})
	send := func(method, target, peer, forwardedFor string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, nil)
		req.RemoteAddr = peer
		if forwardedFor != "" {
			req.Header.Set(echo.HeaderXForwardedFor, forwardedFor)
		}
		return s.do(t, req)
	}
	const stranger = "192.0.2.7:4000"
	wantAccepted(t, send(http.MethodPost, "/notify?email=a@example.com", stranger, ""))
	wantProblem(t, send(http.MethodPost, "/notify?email=invalid", stranger, "198.51.100.1"), http.StatusUnprocessableEntity)
	rec := send(http.MethodPost, "/notify?email=a@example.com", stranger, "198.51.100.2")
	wantProblem(t, rec, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(rec.Header().Get(echo.HeaderRetryAfter)); err != nil || ra < 1 || ra > 30 {
		t.Errorf("Retry-After %q; want 1 to 30 s", rec.Header().Get(echo.HeaderRetryAfter))
	}
	if rec := send(http.MethodGet, "/headers", stranger, ""); rec.Code != http.StatusOK {
		t.Errorf("GET /headers from a limited client: %d; want 200", rec.Code)
	}
	wantAccepted(t, send(http.MethodPost, "/notify?email=a@example.com", "192.0.2.8:4000", ""))
	// Two clients behind the proxy: each has its own two.
	for _, client := range []string{"203.0.113.1", "203.0.113.2"} {
		for range 2 {
			wantAccepted(t, send(http.MethodPost, "/notify?email=a@example.com", "10.1.2.3:5000", client))
		}
		wantProblem(t, send(http.MethodPost, "/notify?email=a@example.com", "10.1.2.3:5000", client), http.StatusTooManyRequests)
	}
}
