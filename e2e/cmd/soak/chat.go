package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// WebSocket routes as the report names them.
const (
	routeChatUpgrade = "GET /chat (upgrade)"
	routeEchoUpgrade = "GET /ws (upgrade)"
	routeEcho        = "WS /ws (echo round trip)"
	routeChatClose   = "WS /chat (closed by the server)"
)

const (
	// chatSendEvery is how often a sender speaks: well under the hub's
	// rate limit, so that no sender is cut off for flooding.
	chatSendEvery = time.Second
	// chatPadding fills each chat message, so that a client that stops
	// reading fills its buffers within the run.
	chatPadding = 200
	// chatGrace is the time a message has to reach every client, far
	// longer than it takes even on a busy machine. A client that joined
	// before a message was sent and stayed this long after must have
	// received it; one cut off sooner is not held to it.
	chatGrace = 3 * time.Second
	// echoEvery is how often an echo client sends.
	echoEvery = 250 * time.Millisecond
	// echoClients is how many echo clients run beside the chat.
	echoClients = 4
	// wsWait bounds a WebSocket read or write that should be quick.
	wsWait = 10 * time.Second
)

// chatRole is how a chat client behaves. Readers and senders must receive
// every message; stallers and vanishers misbehave, and must not hold the
// others up.
type chatRole int

const (
	roleReader   chatRole = iota // reads everything
	roleSender                   // reads everything and speaks every second
	roleStaller                  // joins, then never reads again
	roleVanisher                 // reads a while, then drops the connection without a close frame
)

// roleOf gives client i its role: the first senders speak, one in ten
// stalls and one in ten vanishes, the rest read.
func roleOf(i, senders int) chatRole {
	switch {
	case i < senders:
		return roleSender
	case i%10 == 8:
		return roleStaller
	case i%10 == 9:
		return roleVanisher
	}
	return roleReader
}

// chatClient is one user of the chat, as the page at / is: it speaks the
// JSON protocol and, cut off, comes back as a new session that resumes
// after the last line it received (?last_id=), so it is owed every message
// sent while it was away too. Guarded by chatLoad.mu.
type chatClient struct {
	role      chatRole
	sessions  []*chatSession
	lastID    string      // id of the last chat line received
	got       map[int]int // message number → times received, over all sessions
	recovered int         // lines received in the replay of a resumed session
}

// chatSession is one connection of a chat client.
type chatSession struct {
	client   *chatClient
	role     chatRole
	name     string
	instance string
	conn     *websocket.Conn

	// Guarded by chatLoad.mu.
	resumed   bool      // dialled with the client's last_id
	missed    bool      // the server said some messages were missed
	joined    time.Time // when its own "joined" arrived; zero until then
	ended     time.Time
	endedBy   string
	vanishing bool
}

// endedBefore reports whether the session had ended by t. The caller holds
// chatLoad.mu.
func (s *chatSession) endedBefore(t time.Time) bool {
	return !s.ended.IsZero() && s.ended.Before(t)
}

// chatMessage is one message a sender sent.
type chatMessage struct {
	seq    int
	from   *chatSession
	at     time.Time // just before it was written
	failed bool      // the write failed: it may never have left
}

// chatLoad runs the chat clients and the echo clients, and keeps what each
// session saw, to check afterwards that every client that kept reading
// received every message.
type chatLoad struct {
	cl              *cluster
	rec             *recorder
	faults          *faultLog
	dialer, stalled *websocket.Dialer
	clients         int
	senders         int

	wg       sync.WaitGroup
	stopping chan struct{} // closed by stop

	mu       sync.Mutex
	users    []*chatClient
	sessions []*chatSession
	messages []*chatMessage
	closing  bool // set by stop: every end from then on is the soak's own
	dropped  int  // stalled sessions the server had closed by the end
}

func newChatLoad(cl *cluster, rec *recorder, faults *faultLog, clients int) *chatLoad {
	normal, stalled := newWebSocketDialers()
	return &chatLoad{
		cl: cl, rec: rec, faults: faults, dialer: normal, stalled: stalled,
		clients: clients, senders: max(1, clients/20),
		stopping: make(chan struct{}),
	}
}

// start connects the clients, a few at a time as users arrive, and runs
// them until ctx ends; stop then closes them.
func (ch *chatLoad) start(ctx context.Context) {
	for i := range echoClients {
		ch.wg.Go(func() { ch.runEcho(ctx, i) })
	}
	ch.wg.Go(func() {
		for i := range ch.clients {
			ch.wg.Go(func() { ch.runClient(ctx, i) })
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
}

// runClient is one chat client: it connects, behaves as its role says, and
// connects again when its connection ends, until ctx ends.
func (ch *chatLoad) runClient(ctx context.Context, i int) {
	role := roleOf(i, ch.senders)
	c := &chatClient{role: role, got: map[int]int{}}
	ch.mu.Lock()
	ch.users = append(ch.users, c)
	ch.mu.Unlock()
	rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))) //nolint:gosec // load shapes, not secrets
	for n := 0; ctx.Err() == nil; n++ {
		s, err := ch.connect(ctx, c, fmt.Sprintf("c%d-%d", i, n))
		if err != nil {
			sleepCtx(ctx, time.Second)
			continue
		}
		switch role {
		case roleStaller:
			ch.stall(s)
			return
		case roleVanisher:
			time.AfterFunc(2*time.Second+time.Duration(rng.Int64N(int64(6*time.Second))), func() { ch.vanish(s) })
		}
		readDone := make(chan struct{})
		if role == roleSender {
			ch.wg.Go(func() { ch.speak(ctx, s, readDone) })
		}
		ch.read(s)
		close(readDone)
		// A browser waits a little before it reconnects.
		sleepCtx(ctx, 200*time.Millisecond+time.Duration(rng.Int64N(int64(800*time.Millisecond))))
	}
}

// connect opens a session of c named name, resuming after c's last line.
func (ch *chatLoad) connect(ctx context.Context, c *chatClient, name string) (*chatSession, error) {
	in, err := ch.cl.pick(ctx)
	if err != nil {
		return nil, err
	}
	dialer := ch.dialer
	if c.role == roleStaller {
		dialer = ch.stalled
	}
	q := url.Values{"name": {name}, "format": {"json"}}
	ch.mu.Lock()
	if c.lastID != "" {
		q.Set("last_id", c.lastID)
	}
	ch.mu.Unlock()
	start := time.Now()
	conn, resp, err := dialer.DialContext(ctx, "ws://"+in.addr+"/chat?"+q.Encode(), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if ctx.Err() == nil {
			ch.rec.failure(routeChatUpgrade, "error", fmt.Errorf("%s on %s: %w", name, in.name, err), false)
		}
		return nil, err
	}
	ch.rec.status(routeChatUpgrade, http.StatusSwitchingProtocols, time.Since(start), name, http.StatusSwitchingProtocols)
	s := &chatSession{client: c, role: c.role, name: name, instance: in.name, conn: conn, resumed: q.Has("last_id")}
	ch.mu.Lock()
	ch.sessions = append(ch.sessions, s)
	c.sessions = append(c.sessions, s)
	ch.mu.Unlock()
	return s, nil
}

// read takes in messages until the connection ends. A resumed session's
// lines before its own join notice are the server's replay.
func (ch *chatLoad) read(s *chatSession) {
	for {
		_, data, err := s.conn.ReadMessage()
		now := time.Now()
		if err != nil {
			ch.end(s, now, err)
			return
		}
		var m struct {
			ID, From, Text string
			Missed         bool
		}
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		ch.mu.Lock()
		switch {
		case m.Missed:
			s.missed = true
		case m.From == "" && m.Text == s.name+" joined":
			s.joined = now
		case m.From != "":
			// A line delivered while Redis could not take it has no id.
			if m.ID != "" {
				s.client.lastID = m.ID
			}
			num, _, _ := strings.Cut(strings.TrimPrefix(m.Text, "m"), " ")
			if seq, err := strconv.Atoi(num); err == nil {
				s.client.got[seq]++
				if s.resumed && s.joined.IsZero() {
					s.client.recovered++
				}
			}
		}
		ch.mu.Unlock()
	}
}

// end records why a session ended. A reader or sender may be closed by the
// server only when its instance shuts down (1001).
func (ch *chatLoad) end(s *chatSession, now time.Time, err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	s.ended = now
	switch {
	case ch.closing:
		s.endedBy = "end of run"
	case s.vanishing:
		s.endedBy = "vanished"
	case websocket.IsCloseError(err, websocket.CloseGoingAway):
		s.endedBy = "going away"
		if !ch.faults.during(faultRestart, now, time.Second, time.Second) {
			ch.rec.failure(routeChatClose, "1001 outside a restart", fmt.Errorf("%s on %s at %.1fs", s.name, s.instance, ch.faults.offset(now)), false)
		}
	default:
		s.endedBy = err.Error()
		ch.rec.failure(routeChatClose, closeOutcome(err), fmt.Errorf("%s on %s at %.1fs: %w", s.name, s.instance, ch.faults.offset(now), err), false)
	}
}

// closeOutcome names how a connection ended, for the report.
func closeOutcome(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return "close " + strconv.Itoa(ce.Code)
	}
	return "error"
}

// speak sends a numbered message every chatSendEvery once the session has
// joined, until ctx ends or the session does.
func (ch *chatLoad) speak(ctx context.Context, s *chatSession, readDone <-chan struct{}) {
	padding := strings.Repeat("x", chatPadding)
	tick := time.NewTicker(chatSendEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-readDone:
			return
		case <-tick.C:
		}
		ch.mu.Lock()
		if s.joined.IsZero() {
			ch.mu.Unlock()
			continue
		}
		m := &chatMessage{seq: len(ch.messages), from: s, at: time.Now()}
		ch.messages = append(ch.messages, m)
		ch.mu.Unlock()

		_ = s.conn.SetWriteDeadline(time.Now().Add(wsWait))
		if err := s.conn.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "m%d %s", m.seq, padding)); err != nil {
			ch.mu.Lock()
			m.failed = true
			ch.mu.Unlock()
			return
		}
	}
}

// vanish drops the connection without a close frame, as a client whose
// network or process dies does.
func (ch *chatLoad) vanish(s *chatSession) {
	ch.mu.Lock()
	if ch.closing || !s.ended.IsZero() {
		ch.mu.Unlock()
		return
	}
	s.vanishing = true
	ch.mu.Unlock()
	_ = s.conn.NetConn().Close()
}

// stall holds the connection without reading until the run is over, then
// reads what is left to learn whether the server dropped it meanwhile.
func (ch *chatLoad) stall(s *chatSession) {
	<-ch.stopping
	dropped := false
	_ = s.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, _, err := s.conn.ReadMessage()
		if err == nil {
			continue
		}
		var netErr net.Error
		dropped = !errors.As(err, &netErr) || !netErr.Timeout()
		break
	}
	s.conn.Close()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	s.ended, s.endedBy = time.Now(), "end of run"
	if dropped {
		ch.dropped++
	}
}

// runEcho is one echo client: it sends a message every echoEvery and
// expects it back, reconnecting when its connection ends, until ctx ends.
func (ch *chatLoad) runEcho(ctx context.Context, i int) {
	for n := 0; ctx.Err() == nil; n++ {
		in, err := ch.cl.pick(ctx)
		if err != nil {
			return
		}
		start := time.Now()
		conn, resp, err := ch.dialer.DialContext(ctx, "ws://"+in.addr+"/ws", nil)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() == nil {
				ch.rec.failure(routeEchoUpgrade, "error", fmt.Errorf("on %s: %w", in.name, err), false)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		ch.rec.status(routeEchoUpgrade, http.StatusSwitchingProtocols, time.Since(start), in.name, http.StatusSwitchingProtocols)
		ch.echo(ctx, conn, fmt.Sprintf("e%d-%d", i, n), in.name)
	}
}

func (ch *chatLoad) echo(ctx context.Context, conn *websocket.Conn, prefix, instance string) {
	defer conn.Close()
	tick := time.NewTicker(echoEvery)
	defer tick.Stop()
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			return
		case <-tick.C:
		}
		msg := fmt.Sprintf("%s-%d", prefix, k)
		start := time.Now()
		_ = conn.SetWriteDeadline(start.Add(wsWait))
		err := conn.WriteMessage(websocket.TextMessage, []byte(msg))
		var reply []byte
		if err == nil {
			_ = conn.SetReadDeadline(start.Add(wsWait))
			_, reply, err = conn.ReadMessage()
		}
		if err != nil {
			// Its instance shutting down closes it with 1001 (or the
			// write meets the closed socket first): reconnect.
			expected := ch.faults.during(faultRestart, time.Now(), time.Second, time.Second)
			ch.rec.failure(routeEcho, closeOutcome(err), fmt.Errorf("%s on %s: %w", msg, instance, err), expected)
			return
		}
		outcome, ok := "echoed", string(reply) == "Echo: "+msg
		if !ok {
			outcome = "wrong reply"
		}
		ch.rec.result(routeEcho, outcome, time.Since(start), ok, fmt.Sprintf("got %q for %q on %s", reply, msg, instance))
	}
}

// stop lets the last messages arrive, then closes every session and waits
// for every client to finish.
func (ch *chatLoad) stop() {
	time.Sleep(chatGrace)
	ch.mu.Lock()
	ch.closing = true
	var open []*chatSession
	for _, s := range ch.sessions {
		if s.ended.IsZero() && s.role != roleStaller {
			open = append(open, s)
		}
	}
	ch.mu.Unlock()
	close(ch.stopping)
	for _, s := range open {
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "soak over"), time.Now().Add(time.Second))
	}
	done := make(chan struct{})
	go func() { ch.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wsWait):
		// A server that does not answer the close: hang up.
		for _, s := range open {
			s.conn.Close()
		}
		<-done
	}
	for _, s := range open {
		s.conn.Close()
	}
}

// chatCheck is the comparison of what was sent with what each client
// received.
type chatCheck struct {
	sessions             map[chatRole]int
	sent, judged         int // messages sent, and those not excused by a fault
	expected, delivered  int // deliveries due, and made
	recovered            int // lines clients received in the replay after a reconnect
	duplicates, vanished int
	stalled, dropped     int // stalled sessions, and those the server closed
	problems             []string
}

// check works out, for every message, which clients had to receive it:
// readers and senders whose first session had joined before it was sent
// and whose last session was still connected chatGrace later. A client
// that was cut off meanwhile is owed what was sent while it was away, since
// it resumes after its last line, unless the server said it had missed
// some (its last line was no longer kept): messages sent while it was away
// then are excused. Messages sent while Redis was down are excused, since
// the instances cannot reach one another then; so are those of a sender cut
// off right after speaking.
func (ch *chatLoad) check() chatCheck {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	c := chatCheck{sessions: map[chatRole]int{}, dropped: ch.dropped}
	for _, s := range ch.sessions {
		c.sessions[s.role]++
		switch s.role {
		case roleVanisher:
			if s.endedBy == "vanished" {
				c.vanished++
			}
		case roleStaller:
			c.stalled++
		}
	}
	var good []*chatClient
	for _, u := range ch.users {
		if u.role == roleReader || u.role == roleSender {
			good = append(good, u)
		}
		for _, n := range u.got {
			c.duplicates += n - 1
		}
		c.recovered += u.recovered
	}
	for _, m := range ch.messages {
		if m.failed {
			continue
		}
		c.sent++
		if ch.faults.during(faultRedis, m.at, time.Second, 3*time.Second) || m.from.endedBefore(m.at.Add(chatGrace)) {
			continue
		}
		c.judged++
		for _, u := range good {
			if !u.owed(m.at) {
				continue
			}
			c.expected++
			if u.got[m.seq] > 0 {
				c.delivered++
			} else if len(c.problems) < maxSamples {
				last := u.sessions[len(u.sessions)-1]
				c.problems = append(c.problems, fmt.Sprintf("message %d from %s (%s) at %s never reached %s (%s, session %d)",
					m.seq, m.from.name, m.from.instance, m.at.Format("15:04:05.000"), last.name, last.instance, len(u.sessions)))
			}
		}
	}
	if c.duplicates > 0 {
		c.problems = append(c.problems, fmt.Sprintf("%d messages arrived twice at the same client", c.duplicates))
	}
	return c
}

// owed reports whether u had to receive a message sent at t. The caller
// holds chatLoad.mu.
func (u *chatClient) owed(t time.Time) bool {
	first := slices.IndexFunc(u.sessions, func(s *chatSession) bool { return !s.joined.IsZero() })
	if first < 0 || !u.sessions[first].joined.Before(t) || u.sessions[len(u.sessions)-1].endedBefore(t.Add(chatGrace)) {
		return false
	}
	// Each session that joined without a replay leaves the time since the
	// end of the session before it uncovered.
	for i := first + 1; i < len(u.sessions); i++ {
		s := u.sessions[i]
		if s.joined.IsZero() || s.resumed && !s.missed {
			continue
		}
		if t.After(u.sessions[i-1].ended.Add(-chatGrace)) && t.Before(s.joined) {
			return false
		}
	}
	return true
}

// checkChat reports whether every chat message reached the clients that
// had to receive it.
func (s *soak) checkChat() {
	c := s.chat.check()
	s.rep.printf("chat\n  %d clients: sessions %d reading, %d sending, %d stalled (%d of them dropped by the server), %d vanishing (%d vanished)\n",
		s.opts.chatClients, c.sessions[roleReader], c.sessions[roleSender], c.stalled, c.dropped, c.sessions[roleVanisher], c.vanished)
	s.rep.printf("  %d messages sent, %d judged (the rest sent while Redis was down or by a sender cut off); %d of %d deliveries due were made, %d lines recovered after a reconnect\n",
		c.sent, c.judged, c.delivered, c.expected, c.recovered)
	s.rep.check("every chat message reached every client that kept reading, across its reconnects", len(c.problems) == 0 && c.expected > 0,
		fmt.Sprintf("%d of %d deliveries, %d recovered", c.delivered, c.expected, c.recovered)+samples(c.problems))
}
