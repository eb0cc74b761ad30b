package service

import (
	"bytes"
	"context"
	"crypto/rand" // feature:websockets
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/echotemplate/e2e/internal/e2etest" // feature:websockets
	"example.com/echotemplate/internal/testenv"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket" // feature:websockets
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds each step in the browser. It is generous because the
// suite runs under -race on two cores; a passing step takes well under it.
const browserTimeout = 20 * time.Second

// TestBrowser drives the page at / in headless Chromium against the whole
// built service, a card of the page in each step (/docs/ "Try it out"
// calls the service on its own random port), and checks that neither the
// page nor /docs/ logs an error or a CSP violation or opens a dialog.
func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	svc := startService(t)

	// Separate browser contexts, so the two visitors share no storage.
	ann, bob := browser.openTab(t, "Ann"), browser.openTab(t, "Bob")
	ann.do(t, chromedp.Navigate(svc.base+"/"))
	bob.do(t, chromedp.Navigate(svc.base+"/"))

	// feature:websockets begin
	t.Run("EchoOnlineBeforeFirstMessage", func(t *testing.T) {
		for _, tab := range []*browserTab{ann, bob} {
			tab.do(t, chromedp.WaitVisible(chromedp.CSS(`#echo-status[data-state="online"]`)))
		}
	})
	t.Run("Chat", func(t *testing.T) {
		ann.joinChat(t)
		bob.joinChat(t)
		ann.waitChat(t, "", "Bob joined")

		ann.say(t, "hello from Ann")
		bob.waitChat(t, "Ann", "hello from Ann")
		bob.say(t, "hi Ann")
		ann.waitChat(t, "Bob", "hi Ann")
		ann.waitText(t, "#chat-members li", "Bob")
	})

	t.Run("MarkupStaysText", func(t *testing.T) {
		const attack = "<img src=x onerror=alert(1)>"
		ann.say(t, attack)
		bob.waitChat(t, "Ann", attack)
		ann.waitChat(t, "Ann", attack)
		for _, tab := range []*browserTab{ann, bob} {
			if n := runIn(t, tab, chromedp.Evaluate[int]("document.querySelectorAll('img').length")); n != 0 {
				t.Errorf("%s: the page has %d img elements, want none", tab.name, n)
			}
		}
	})

	t.Run("Echo", func(t *testing.T) {
		bob.do(t,
			chromedp.SendKeys(chromedp.ID("echo-message"), "ping"),
			chromedp.Click(chromedp.CSS("#echo-send button")),
		)
		bob.waitText(t, "#echo-log li", "Echo: ping")
	})
	// feature:websockets end

	// feature:tasks begin
	t.Run("NotifyShowsProblem", func(t *testing.T) {
		// No email: the service answers 422, and the page lists the field.
		// Chrome logs every 4xx answer to fetch as an error.
		ann.allowLogged("/notify: error: Failed to load resource: the server responded with a status of 422")
		ann.do(t, chromedp.Click(chromedp.CSS("#notify-form button")))
		ann.waitText(t, "#notify-result .field-errors li", "email")
		ann.waitPrefix(t, "#notify-result .meta", "Request id: ")

		ann.do(t,
			chromedp.SendKeys(chromedp.ID("notify-email"), "ann@example.com"),
			chromedp.Click(chromedp.CSS("#notify-form button")),
		)
		ann.waitText(t, "#notify-result pre", "Notification sent in background")

		// An address the browser refuses is never sent; the 202 above must
		// not stay under it as if it were its answer.
		ann.do(t,
			chromedp.SetValue(chromedp.ID("notify-email"), "not an address"),
			chromedp.Click(chromedp.CSS("#notify-form button")),
		)
		ann.poll(t, `() => document.getElementById("notify-result").childElementCount === 0`)
	})
	// feature:tasks end

	t.Run("SignedCookie", func(t *testing.T) {
		bob.do(t, chromedp.Click(chromedp.ID("cookie-set")))
		bob.waitText(t, "#cookie-result pre", "Cookie set: user=fake-user")
		bob.do(t, chromedp.Click(chromedp.CSS("#cookie-signed button")))
		bob.waitText(t, "#cookie-result pre", "Signed cookie set: session for user alice")
		bob.do(t, chromedp.Click(chromedp.ID("cookie-read")))
		bob.waitText(t, "#cookie-result pre", "alice")
	})

	// feature:files begin
	t.Run("Upload", func(t *testing.T) {
		content := []byte("uploaded from the browser test\n")
		file := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(file, content, 0o600); err != nil {
			t.Fatal(err)
		}
		ann.do(t,
			chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{file}),
			chromedp.Click(chromedp.ID("upload-button")),
			chromedp.WaitVisible(chromedp.ID("upload-link")),
		)
		href := runIn(t, ann, chromedp.AttributeValue(chromedp.ID("upload-link"), "href"))
		if !strings.HasPrefix(href.Value, "/download/") {
			t.Fatalf("download link = %q, want /download/{id}", href.Value)
		}
		if runIn(t, ann, chromedp.Evaluate[bool]("!document.getElementById('upload-progress').hidden")) {
			t.Error("the progress bar is still shown beside the result")
		}
		resp, err := http.Get(svc.base + href.Value)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(got, content) {
			t.Errorf("download = %q, want %q", got, content)
		}
	})
	// feature:files end

	t.Run("Docs", func(t *testing.T) {
		bob.do(t,
			chromedp.Navigate(svc.base+"/docs/"),
			chromedp.WaitVisible(chromedp.CSS("#swagger-ui .info .title")),
		)
		// Swagger UI renders the operations after the title: wait for
		// /healthz, which every copy of the template keeps.
		bob.waitText(t, ".opblock-summary-path", "/healthz")
	})

	t.Run("DocsTryItOut", func(t *testing.T) {
		if strings.HasSuffix(svc.base, ":8080") {
			t.Fatalf("the service runs on %s; the point is a port other than 8080", svc.base)
		}
		op := "#operations-headers-readHeaders"
		bob.do(t,
			chromedp.Click(chromedp.CSS(op+" .opblock-summary")),
			chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
			chromedp.Click(chromedp.CSS(op+" .execute")),
		)
		// The live response: its status, and the body naming the browser.
		bob.waitText(t, op+" .live-responses-table .response-col_status", "200")
		bob.waitText(t, op+" .live-responses-table .response-col_description", "HeadlessChrome")
		bob.waitText(t, op+" .request-url", svc.base+"/headers")
	})

	for _, tab := range []*browserTab{ann, bob} {
		if msgs := tab.problems(); len(msgs) > 0 {
			t.Errorf("%s: the browser logged errors or CSP violations:\n%s", tab.name, strings.Join(msgs, "\n"))
		}
		if n := tab.dialogs.Load(); n != 0 {
			t.Errorf("%s: %d dialogs opened, want none", tab.name, n)
		}
	}
}

// feature:websockets begin

// TestBrowserChatRecoversAfterRestart restarts the service under the page,
// as a rolling deploy does: while it is down, Bob says three things on a
// second instance; when it is back on the same port, the page reconnects
// with the id of the last line it saw and shows exactly those three, says
// how many it recovered, and lists Bob as online. The instances share Redis,
// whose stream keeps the history: the one-instance history is memory of the
// process that stopped, so without Redis nothing could be recovered.
func TestBrowserChatRecoversAfterRestart(t *testing.T) {
	browser := startBrowser(t)
	// Database 14, of this test alone: its instances run the Redis email
	// queue too, and on cmd/api's database 15 they would take the jobs of
	// a TestRunRedis running at the same time.
	_, redisURL := testenv.Redis(t, 14)
	settings := []string{"REDIS_URL", redisURL, "CHAT_REDIS_KEY", "test:browser-chat:" + rand.Text()}
	addr := e2etest.FreeAddr(t)
	svc := startService(t, append(settings, "HTTP_ADDR", addr)...)
	other := startService(t, settings...)

	ann := browser.openTab(t, "Ann")
	// While the service is down, the page's attempts to reconnect fail, and
	// Chromium logs each of them, as it does a refresh of the members that
	// meets the service on its way down.
	ann.allowLogged("WebSocket connection to")
	ann.allowLogged("/chat/members: error: Failed to load resource: net::ERR_CONNECTION_REFUSED")
	ann.do(t, chromedp.Navigate(svc.base+"/"))
	ann.joinChat(t)
	bob := dialChat(t, other.base, "Bob")
	ann.waitChat(t, "", "Bob joined")
	say(t, bob, "before the restart")
	ann.waitChat(t, "Bob", "before the restart")

	if err := svc.stop(t); err != nil {
		t.Fatal(err)
	}
	ann.poll(t, `() => document.getElementById("chat-status").dataset.state === "waiting"`)
	away := []string{"while away 1", "while away 2", "while away 3"}
	for _, text := range away {
		say(t, bob, text)
	}
	startService(t, append(settings, "HTTP_ADDR", addr)...)

	ann.do(t, chromedp.WaitVisible(chromedp.CSS(`#chat-status[data-state="online"]`)))
	ann.waitChat(t, "", "Reconnected, 3 missed messages recovered.")
	for _, text := range away {
		ann.waitChat(t, "Bob", text)
	}
	lines := runIn(t, ann, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#chat-log li .text")].map(e => e.textContent)`))
	if want := append([]string{"before the restart"}, away...); !slices.Equal(lines, want) {
		t.Errorf("chat lines on the page = %q, want %q, each once", lines, want)
	}
	ann.waitText(t, "#chat-members li", "Bob")
	if msgs := ann.problems(); len(msgs) > 0 {
		t.Errorf("the browser logged errors or CSP violations:\n%s", strings.Join(msgs, "\n"))
	}
}

// dialChat joins the chat at an http:// base URL as name, from Go, and
// waits for its own join notice.
func dialChat(t *testing.T, base, name string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/chat?name="+name, nil)
	if err != nil {
		t.Fatalf("dial the chat: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(browserTimeout))
	if _, msg, err := conn.ReadMessage(); err != nil || string(msg) != name+" joined" {
		t.Fatalf("first message %q (%v), want the join notice", msg, err)
	}
	return conn
}

// say sends text on a chat connection.
func say(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

// feature:websockets end

// headlessBrowser is a Chromium process that lives as long as the test.
type headlessBrowser struct {
	ctx context.Context
}

// startBrowser starts headless Chromium with a fresh profile, for the test's
// length. Without chromium the test is skipped, or fails when CI=true.
func startBrowser(t *testing.T) *headlessBrowser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "%s is missing (apt-get install chromium): %v", chromiumPath, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The machine has no internet: nothing may try to reach it.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return &headlessBrowser{ctx: ctx}
}

// browserTab is one visitor: a tab in a browser context of its own, whose
// console errors, CSP violations and dialogs are recorded.
type browserTab struct {
	name    string
	ctx     context.Context
	mu      sync.Mutex
	logged  []string
	allowed []string // substrings of logged messages that a step caused on purpose
	dialogs atomic.Int32
}

// openTab opens a tab in a new browser context, as a new visitor whose
// name is in the test's messages (and in the chat).
func (b *headlessBrowser) openTab(t *testing.T, name string) *browserTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("open a tab: %v", err)
	}
	tab := &browserTab{name: name, ctx: ctx}
	// Subscribed before the first navigation, so nothing is missed.
	console := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			// CSP violations come as errors of the browser log; warnings
			// are kept only when they are about the policy.
			if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				tab.mu.Lock()
				tab.logged = append(tab.logged, m.URL+": "+m.String())
				tab.mu.Unlock()
			}
		}
	}()
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			tab.dialogs.Add(1)
			// A dialog blocks the page; dismiss it so the test goes on.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return tab
}

// do runs steps in the tab within browserTimeout.
func (b *browserTab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", b.name, err)
	}
}

// runIn runs one action in the tab within browserTimeout and returns its value.
func runIn[T any](t *testing.T, b *browserTab, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", b.name, err)
	}
	return v
}

// feature:websockets begin

// joinChat joins the chat under the tab's name and waits until the page
// says it is online.
func (b *browserTab) joinChat(t *testing.T) {
	t.Helper()
	b.do(t,
		chromedp.SendKeys(chromedp.ID("chat-name"), b.name),
		chromedp.Click(chromedp.ID("chat-join-button")),
		chromedp.WaitVisible(chromedp.CSS(`#chat-status[data-state="online"]`)),
	)
	b.waitChat(t, "", b.name+" joined")
}

// say types text into the chat and sends it.
func (b *browserTab) say(t *testing.T, text string) {
	t.Helper()
	b.do(t,
		chromedp.SendKeys(chromedp.ID("chat-message"), text),
		chromedp.Click(chromedp.ID("chat-send-button")),
	)
}

// waitChat waits for a message from who in the chat log, or for a notice
// when who is empty, whose text is exactly text. (chromedp passes an empty
// string argument as undefined, hence !who.)
func (b *browserTab) waitChat(t *testing.T, who, text string) {
	t.Helper()
	b.poll(t, `(who, text) => [...document.querySelectorAll("#chat-log li")].some(li => !who
		? li.classList.contains("notice") && li.firstChild.textContent === text
		: li.querySelector(".who")?.textContent === who && li.querySelector(".text")?.textContent === text)`,
		who, text)
}

// feature:websockets end

// waitText waits for an element matching selector whose text contains text.
func (b *browserTab) waitText(t *testing.T, selector, text string) {
	t.Helper()
	b.poll(t, `(sel, text) => [...document.querySelectorAll(sel)].some(e => e.textContent.includes(text))`, selector, text)
}

// feature:tasks begin

// waitPrefix waits for an element matching selector whose text starts with
// prefix.
func (b *browserTab) waitPrefix(t *testing.T, selector, prefix string) {
	t.Helper()
	b.poll(t, `(sel, prefix) => [...document.querySelectorAll(sel)].some(e => e.textContent.startsWith(prefix))`, selector, prefix)
}

// feature:tasks end

func (b *browserTab) poll(t *testing.T, fn string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](fn,
		chromedp.WithPollingArgs(args...),
		chromedp.WithPollingInterval(20*time.Millisecond),
		chromedp.WithPollingTimeout(browserTimeout)))
	if err != nil {
		t.Fatalf("%s: waiting for %q: %v", b.name, args, err)
	}
}

// allowLogged declares a message that the next steps cause on purpose.
func (b *browserTab) allowLogged(substr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, substr)
}

// problems returns the console errors and CSP violations logged so far,
// but for those allowed.
func (b *browserTab) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(b.logged), func(m string) bool {
		return slices.ContainsFunc(b.allowed, func(a string) bool { return strings.Contains(m, a) })
	})
}
