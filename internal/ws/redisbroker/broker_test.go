package redisbroker_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"example.com/echotemplate/internal/testenv"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"example.com/echotemplate/internal/ws"
	"example.com/echotemplate/internal/ws/redisbroker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	redisAddr = "127.0.0.1:6379"
	timeout   = 10 * time.Second
)

// TestBrokerTwoHubs runs two hubs, as two instances would, on one Redis
// key: a message sent on either reaches every client of both, once.
func TestBrokerTwoHubs(t *testing.T) {
	key := testKey(t)
	hubA := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), nil)
	hubB := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), nil)
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)

	a1 := joinChat(t, urlA, "a1")
	a2 := joinChat(t, urlA, "a2")
	expect(t, a1, "a2 joined")
	b1 := joinChat(t, urlB, "b1")
	expect(t, a1, "b1 joined")
	expect(t, a2, "b1 joined")
	all := []*websocket.Conn{a1, a2, b1}

	// A copy would arrive before the next message, which takes the same path.
	send(t, a1, "from A")
	for _, conn := range all {
		expect(t, conn, "a1 said: from A")
	}
	send(t, b1, "from B")
	for _, conn := range all {
		expect(t, conn, "b1 said: from B")
	}
}

// TestBrokerResumeOnOtherInstance: a client leaves instance A, five lines
// are sent, and it comes back on instance B with the id of its last line:
// it gets exactly those five, in order, then the live ones.
func TestBrokerResumeOnOtherInstance(t *testing.T) {
	key := testKey(t)
	hubA := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), nil)
	hubB := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), nil)
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)
	talker := joinChat(t, urlA, "T")

	j := dialJSON(t, urlA, "J", "")
	expect(t, talker, "J joined")
	send(t, talker, "before")
	last := readLine(t, j)
	if last.Text != "before" || last.ID == "" {
		t.Fatalf("got %+v, want the line before with an id", last)
	}
	j.Close()
	expect(t, talker, "T said: before", "J left")
	for i := range 5 {
		send(t, talker, fmt.Sprint("m", i))
		expect(t, talker, fmt.Sprint("T said: m", i))
	}

	back := dial(t, urlB+"/chat?format=json&name=J&last_id="+last.ID)
	for i := range 5 {
		got := readJSON(t, back)
		if want := fmt.Sprint("m", i); got.Text != want || got.ID == "" || got.Missed {
			t.Fatalf("replayed %+v, want %q with an id", got, want)
		}
	}
	if got := readJSON(t, back); got.Text != "J joined" {
		t.Fatalf("after the replay got %+v, want the join notice", got)
	}
	send(t, talker, "live")
	if got := readJSON(t, back); got.Text != "live" {
		t.Fatalf("got %+v, want the live line", got)
	}
}

// TestBrokerResumeWhileTalking resumes while lines keep coming: the client
// gets every line after its last one exactly once and in order, whether it
// came from the replay or live.
func TestBrokerResumeWhileTalking(t *testing.T) {
	key := testKey(t)
	cfg := ws.Config{MessageRate: 1000, MessageBurst: 1000}
	hubA := newHub(t, cfg, redisbroker.New(newRedis(t, ""), key, 100), nil)
	hubB := newHub(t, cfg, redisbroker.New(newRedis(t, ""), key, 100), nil)
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)
	j := dialJSON(t, urlB, "J", "")
	if err := hubA.Broadcast(t.Context(), "0"); err != nil {
		t.Fatal(err)
	}
	first := readLine(t, j)
	j.Close()

	const lines = 60
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i < lines; i++ {
			_ = hubA.Broadcast(context.Background(), fmt.Sprint(i))
			time.Sleep(time.Millisecond)
		}
	}()
	time.Sleep(10 * time.Millisecond)
	back := dialJSON(t, urlB, "J", first.ID)
	for i := 1; i < lines; i++ {
		got := readLine(t, back)
		if want := fmt.Sprint(i); got.Text != want {
			t.Fatalf("line %d: got %+v, want %q", i, got, want)
		}
	}
	<-done
	_ = urlA
}

// TestBrokerResumeMissed: a last id the stream no longer offers (older than
// HistoryTTL, more than History lines back, or not an id) gets the missed
// notice, then the lines kept.
func TestBrokerResumeMissed(t *testing.T) {
	tests := []struct {
		name      string
		cfg       ws.Config
		lastID    func(first string) string
		wait      time.Duration
		wantLines []string
	}{
		{"Expired", ws.Config{HistoryTTL: 100 * time.Millisecond}, func(first string) string { return first }, 200 * time.Millisecond, nil},
		{"TooFarBack", ws.Config{History: 2}, func(first string) string { return first }, 0, []string{"2", "3"}},
		{"NotAnID", ws.Config{}, func(string) string { return "not-an-id" }, 0, []string{"0", "1", "2", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := testKey(t)
			history := cmp.Or(tt.cfg.History, 100)
			hub := newHub(t, tt.cfg, redisbroker.New(newRedis(t, ""), key, history), nil)
			url := newServer(t, hub)
			j := dialJSON(t, url, "J", "")
			var first chatJSON
			for i := range 4 {
				if err := hub.Broadcast(t.Context(), fmt.Sprint(i)); err != nil {
					t.Fatal(err)
				}
				if m := readLine(t, j); i == 0 {
					first = m
				}
			}
			time.Sleep(tt.wait)

			back := dialJSON(t, url, "K", tt.lastID(first.ID))
			if got := readJSON(t, back); !got.Missed {
				t.Fatalf("got %+v, want the missed notice", got)
			}
			for _, want := range tt.wantLines {
				if got := readJSON(t, back); got.Text != want {
					t.Fatalf("got %+v, want line %q", got, want)
				}
			}
			if got := readJSON(t, back); got.Text != "K joined" {
				t.Fatalf("got %+v, want the join notice after the lines kept", got)
			}
		})
	}
}

// TestBrokerMembers: every instance lists the names on all of them; one
// that shuts down drops out at once.
func TestBrokerMembers(t *testing.T) {
	key := testKey(t)
	hubA := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), nil)
	hubB, err := ws.NewServer(ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	urlA, urlB := newServer(t, hubA), newServer(t, hubB)
	joinChat(t, urlA, "Al")
	bo := joinChat(t, urlB, "Bo")
	joinChat(t, urlB, "Cy")

	members := func(hub *ws.Server) string {
		names, err := hub.Members(t.Context())
		if err != nil {
			t.Fatalf("Members: %v", err)
		}
		return fmt.Sprint(names)
	}
	for _, hub := range []*ws.Server{hubA, hubB} {
		eventually(t, "all three members", func() bool { return members(hub) == "[Al Bo Cy]" })
	}
	bo.Close()
	eventually(t, "Bo to leave", func() bool { return members(hubA) == "[Al Cy]" })

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hubB.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := members(hubA); got != "[Al]" {
		t.Errorf("after B shut down: members %s, want [Al]", got)
	}
}

// TestBrokerRecovers kills the hub's Redis connections while the other
// instance talks: once the hub reads again it delivers every line it
// missed, in order and once, and the chat goes on.
func TestBrokerRecovers(t *testing.T) {
	key := testKey(t)
	name := "ws-test-" + rand.Text()
	// The hub logs a warning when its read fails; at that moment its
	// readiness must say so.
	var watched atomic.Pointer[ws.Server]
	readyWhenWarned := make(chan error, 1)
	onWarn := func() {
		if hub := watched.Load(); hub != nil {
			select {
			case readyWhenWarned <- hub.Ready():
			default:
			}
		}
	}
	hubA := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, name), key, 100), onWarn)
	watched.Store(hubA)
	hubB := newHub(t, ws.Config{}, redisbroker.New(newRedis(t, ""), key, 100), nil)
	a := joinChat(t, newServer(t, hubA), "a")
	b := joinChat(t, newServer(t, hubB), "b")
	expect(t, a, "b joined")

	admin := newRedis(t, "")
	if killClients(t, admin, name) == 0 {
		t.Fatalf("no Redis connection named %s to kill", name)
	}
	for i := range 3 {
		send(t, b, fmt.Sprint("during ", i))
	}
	select {
	case err := <-readyWhenWarned:
		if !errors.Is(err, ws.ErrBrokerUnavailable) {
			t.Errorf("Ready while reads fail: got %v, want ErrBrokerUnavailable", err)
		}
	case <-time.After(timeout):
		t.Fatal("hub A did not notice the killed connection")
	}
	for i := range 3 {
		expect(t, a, fmt.Sprint("b said: during ", i))
	}
	eventually(t, "hub A to read again", func() bool { return hubA.Ready() == nil })
	send(t, a, "after")
	expect(t, a, "a said: after")
	expect(t, b, "b said: during 0", "b said: during 1", "b said: during 2", "a said: after")
}

// TestBrokerRedisDown needs no Redis: against a closed port, every call
// fails promptly with an error that says what failed.
func TestBrokerRedisDown(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	b := redisbroker.New(client, "unused", 100)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	_, _, readErr := b.Read(ctx, "")
	_, appendErr := b.Append(ctx, []byte("x"), false)
	_, _, sinceErr := b.Since(ctx, "1-0", time.Now())
	_, membersErr := b.Members(ctx, "")
	for _, c := range []struct {
		err  error
		want string
	}{
		{readErr, "redisbroker: find the end"},
		{appendErr, "redisbroker: append"},
		{sinceErr, "redisbroker: since"},
		{b.SetMembers(ctx, "i", []string{"a"}, time.Minute), "redisbroker: set members"},
		{membersErr, "redisbroker: members"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got %v, want an error starting %q", c.err, c.want)
		}
	}
}

// TestBrokerRead reads entries written with chosen ids: lines and notices
// come merged in the order of their milliseconds, a notice before a line of
// the same millisecond, and the cursor holds the last id of each stream.
func TestBrokerRead(t *testing.T) {
	key := testKey(t)
	client := newRedis(t, "")
	b := redisbroker.New(client, key, 100)
	ctx := t.Context()
	add := func(stream string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			err := client.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: id, Values: []any{"msg", "at " + id}}).Err()
			if err != nil {
				t.Fatalf("XADD %s %s: %v", stream, id, err)
			}
		}
	}
	read := func(cursor, wantIDs, wantCursor string) {
		t.Helper()
		entries, next, err := b.Read(ctx, cursor)
		if err != nil {
			t.Fatalf("Read(%q): %v", cursor, err)
		}
		var ids []string
		for _, e := range entries {
			if got, want := string(e.Msg), "at "+e.ID; got != want {
				t.Errorf("entry %s holds %q, want %q", e.ID, got, want)
			}
			ids = append(ids, e.ID)
		}
		if got := strings.Join(ids, " "); got != wantIDs || next != wantCursor {
			t.Errorf("Read(%q) = [%s], cursor %q; want [%s], cursor %q", cursor, got, next, wantIDs, wantCursor)
		}
	}

	read("", "", "0-0 0-0")
	add(key, "1-0", "3-0", "5-0")
	add(key+":notices", "2-0", "5-1", "6-0")
	read("", "", "5-0 6-0")
	read("0-0 0-0", "1-0 2-0 3-0 5-1 5-0 6-0", "5-0 6-0")
	add(key, "7-0")
	read("5-0 6-0", "7-0", "7-0 6-0")
	add(key+":notices", "8-0")
	read("7-0 6-0", "8-0", "7-0 8-0")
	// The notices run out before the lines.
	add(key, "9-0", "11-0")
	add(key+":notices", "10-0")
	read("7-0 8-0", "9-0 10-0 11-0", "11-0 10-0")
	if _, _, err := b.Read(ctx, "7-0"); err == nil {
		t.Error("Read with a malformed cursor succeeded, want an error")
	}
}

// TestBrokerSince replays from lines written with chosen ids, whose
// milliseconds stand for their time.
func TestBrokerSince(t *testing.T) {
	key := testKey(t)
	client := newRedis(t, "")
	b := redisbroker.New(client, key, 100)
	for _, id := range []string{"1000-0", "2000-0", "3000-0"} {
		if err := client.XAdd(t.Context(), &redis.XAddArgs{Stream: key, ID: id, Values: []any{"msg", id}}).Err(); err != nil {
			t.Fatalf("XADD %s: %v", id, err)
		}
	}
	tests := []struct {
		name      string
		id        string
		notBefore int64 // milliseconds
		want      string
		wantFound bool
	}{
		{"Kept", "2000-0", 0, "3000-0", true},
		{"AsOldAsAllowed", "1000-0", 1000, "2000-0 3000-0", true},
		{"TooOld", "1000-0", 1500, "2000-0 3000-0", false},
		{"NotKept", "1500-0", 0, "2000-0 3000-0", false},
		{"Newest", "3000-0", 0, "", true},
		{"AfterTheNewest", "4000-0", 0, "", false},
		{"NotAnID", "x", 1500, "2000-0 3000-0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, found, err := b.Since(t.Context(), tt.id, time.UnixMilli(tt.notBefore))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range entries {
				ids = append(ids, e.ID)
			}
			if got := strings.Join(ids, " "); got != tt.want || found != tt.wantFound {
				t.Errorf("Since(%q) = [%s], %v; want [%s], %v", tt.id, got, found, tt.want, tt.wantFound)
			}
		})
	}
}

// newRedis connects to the test Redis, skipping the test when it is not
// there, unless CI=true. name, when set, names the client's connections,
// and the client does not retry a command whose connection failed, so
// killing them fails the hub's next call.
func newRedis(t *testing.T, name string) *redis.Client {
	t.Helper()
	opts := &redis.Options{Addr: redisAddr, ClientName: name}
	if name != "" {
		opts.MaxRetries = -1
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		testenv.Missing(t, "Redis at %s is unreachable: %v", redisAddr, err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// testKey is unique per run, so parallel runs on one Redis do not mix. Its
// keys are deleted when the test ends.
func testKey(t *testing.T) string {
	key := "echotemplate:test:" + t.Name() + ":" + rand.Text()
	t.Cleanup(func() {
		admin := redis.NewClient(&redis.Options{Addr: redisAddr})
		defer admin.Close()
		admin.Del(context.Background(), key, key+":notices", key+":instances")
	})
	return key
}

// killClients closes every Redis connection named name and returns how many.
func killClients(t *testing.T, admin *redis.Client, name string) int {
	t.Helper()
	ctx := context.Background()
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		fields := strings.Fields(line)
		var id string
		named := false
		for _, f := range fields {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			}
			named = named || f == "name="+name
		}
		if named && id != "" {
			if err := admin.ClientKillByFilter(ctx, "ID", id).Err(); err != nil {
				t.Fatalf("CLIENT KILL ID %s: %v", id, err)
			}
			killed++
		}
	}
	return killed
}

// newHub starts a hub on broker, waits until it reads the broker, and
// shuts it down when the test ends. onWarn, if not nil, is called whenever
// the hub logs a warning.
func newHub(t *testing.T, cfg ws.Config, broker ws.Broker, onWarn func()) *ws.Server {
	t.Helper()
	hub, err := ws.NewServer(cfg, broker, slog.New(warnHandler(onWarn)))
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	eventually(t, "the hub to read Redis", func() bool { return hub.Ready() == nil })
	return hub
}

func newServer(t *testing.T, hub *ws.Server) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		req := ws.ChatRequest{Name: q.Get("name"), Format: q.Get("format"), LastID: q.Get("last_id")}
		if err := hub.ServeChat(w, r, r.RemoteAddr, req); err != nil && !errors.Is(err, ws.ErrHandshake) {
			http.Error(w, "refused", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// joinChat joins the chat as name and waits for its own join notice. A
// join that happened on another instance just before may still be on its
// way to this one, so a newcomer can see that notice first; any other
// message fails the test.
func joinChat(t *testing.T, url, name string) *websocket.Conn {
	t.Helper()
	conn := dial(t, url+"/chat?name="+name)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(timeout))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (want %q)", err, name+" joined")
		}
		switch got := string(msg); {
		case got == name+" joined":
			return conn
		case !strings.HasSuffix(got, " joined"):
			t.Fatalf("got message %q, want %q", got, name+" joined")
		}
	}
}

// chatJSON is a message of ?format=json.
type chatJSON struct {
	ID     string `json:"id"`
	From   string `json:"from"`
	Text   string `json:"text"`
	Missed bool   `json:"missed"`
}

// dialJSON joins the chat in the JSON format as name, resuming after
// lastID when it is set; without, it waits for its own join notice.
func dialJSON(t *testing.T, url, name, lastID string) *websocket.Conn {
	t.Helper()
	target := url + "/chat?format=json&name=" + name
	if lastID != "" {
		return dial(t, target+"&last_id="+lastID)
	}
	conn := dial(t, target)
	// As in joinChat, another instance's join may still be on its way.
	for {
		got := readJSON(t, conn)
		if got.Text == name+" joined" {
			return conn
		}
		if got.ID != "" || !strings.HasSuffix(got.Text, " joined") {
			t.Fatalf("got %+v, want the join notice", got)
		}
	}
}

func readJSON(t *testing.T, conn *websocket.Conn) chatJSON {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	_, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m chatJSON
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Fatalf("message %q is not JSON: %v", msg, err)
	}
	return m
}

// readLine returns the next chat line, skipping notices.
func readLine(t *testing.T, conn *websocket.Conn) chatJSON {
	t.Helper()
	for {
		if m := readJSON(t, conn); m.ID != "" {
			return m
		}
	}
}

func send(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

// expect reads the next messages and checks they are want, in order.
func expect(t *testing.T, conn *websocket.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		_ = conn.SetReadDeadline(time.Now().Add(timeout))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (want %q)", err, w)
		}
		if got := string(msg); got != w {
			t.Fatalf("got message %q, want %q", got, w)
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// warnHandler is a slog.Handler that discards records and calls its function
// for each warning or error.
type warnHandler func()

func (h warnHandler) Enabled(context.Context, slog.Level) bool { return h != nil }

func (h warnHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h()
	}
	return nil
}

func (h warnHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h warnHandler) WithGroup(string) slog.Handler      { return h }
