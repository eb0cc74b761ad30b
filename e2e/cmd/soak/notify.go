package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// notifyOutcome is what the soak knows of one POST /notify.
type notifyOutcome int

const (
	notifyAccepted notifyOutcome = iota // 202: the email must go out
	notifyRefused                       // 503: it must not
	notifyUnknown                       // no answer: it may or may not
)

// notifyLoad sends POST /notify, each for its own numbered recipient, and
// remembers the answer to each, so that every email the mail server
// receives can be traced back to the request that asked for it.
type notifyLoad struct {
	scenario string

	mu       sync.Mutex
	next     int
	outcomes map[int]notifyOutcome
}

func newNotifyLoad(scenario string) *notifyLoad {
	return &notifyLoad{scenario: scenario, outcomes: map[int]notifyOutcome{}}
}

// recipient and message say which request an email belongs to.
func recipient(n int) string { return fmt.Sprintf("soak-%d@example.com", n) }
func (l *notifyLoad) message(n int) string {
	return fmt.Sprintf("soak %s notification #%d", l.scenario, n)
}

// notifyRequestID is the X-Request-ID of notification n.
func notifyRequestID(n int) string { return fmt.Sprintf("soak-notify-%d", n) }

// send runs POST /notify at rate per second until ctx ends.
func (l *notifyLoad) send(ctx context.Context, cl *cluster, client *http.Client, rec *recorder, faults *faultLog, rate float64) {
	const route = "POST /notify"
	paced(ctx, rec, rate, 2, func(reqCtx context.Context, _ *rand.Rand) {
		in, err := cl.pick(ctx)
		if err != nil {
			return
		}
		l.mu.Lock()
		n := l.next
		l.next++
		l.outcomes[n] = notifyUnknown
		l.mu.Unlock()

		body, _ := json.Marshal(map[string]string{"email": recipient(n), "message": l.message(n)}) //nolint:errchkjson // strings always marshal
		req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, in.base()+"/notify", bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		// The service logs the job under this id, so that a loss it logs
		// can be traced to the request.
		req.Header.Set("X-Request-ID", notifyRequestID(n))
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			rec.failure(route, "error", err, false)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()

		want := []int{http.StatusAccepted}
		// With Redis down the queue cannot take the job: 503 is right.
		if faults.during(faultRedis, start, time.Second, 3*time.Second) {
			want = append(want, http.StatusServiceUnavailable)
		}
		rec.status(route, resp.StatusCode, time.Since(start), fmt.Sprintf("#%d to %s", n, in.name), want...)
		l.mu.Lock()
		switch resp.StatusCode {
		case http.StatusAccepted:
			l.outcomes[n] = notifyAccepted
		default:
			l.outcomes[n] = notifyRefused
		}
		l.mu.Unlock()
	})
}

// waitDelivered waits until every accepted notification has reached the
// mail server at least once, or timeout passes. Retries after the mail server's failure take a while:
// backoff doubles from 1s.
func (l *notifyLoad) waitDelivered(ctx context.Context, sink *mailSink, timeout time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < timeout && ctx.Err() == nil {
		got := map[string]bool{}
		for _, m := range sink.mails() {
			got[m.To] = true
		}
		missing := false
		l.mu.Lock()
		for n, o := range l.outcomes {
			if o == notifyAccepted && !got[recipient(n)] {
				missing = true
				break
			}
		}
		l.mu.Unlock()
		if !missing {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return time.Since(start)
}

// emailCheck is the comparison of the answers with the mail received.
type emailCheck struct {
	accepted, refused, unknown int
	received                   int // emails, duplicates included
	once                       int // accepted requests delivered exactly once
	duplicated                 int // accepted requests delivered more than once
	extra                      int // deliveries beyond the first
	problems                   []string
}

// check compares the answers with the mail received. With atLeastOnce
// (the Redis queue) an accepted email may arrive more than once, but every
// copy must carry the same Message-ID, so that the receiver can tell; with
// the in-memory queue each must arrive exactly once. Either way, an
// accepted email that never arrived is a failure: a 202 means the job was
// queued (durably, with Redis).
func (l *notifyLoad) check(mails []receivedMail, atLeastOnce bool) emailCheck {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := emailCheck{received: len(mails)}
	byRequest := map[int][]receivedMail{}
	for _, m := range mails {
		n, ok := requestOf(m.To)
		if _, sent := l.outcomes[n]; !ok || !sent {
			c.problems = append(c.problems, fmt.Sprintf("an email to %s that no request asked for", m.To))
			continue
		}
		if m.Body != l.message(n) {
			c.problems = append(c.problems, fmt.Sprintf("email #%d has body %q, want %q", n, m.Body, l.message(n)))
		}
		byRequest[n] = append(byRequest[n], m)
	}
	for _, n := range slices.Sorted(maps.Keys(l.outcomes)) {
		got := byRequest[n]
		switch l.outcomes[n] {
		case notifyAccepted:
			c.accepted++
			switch {
			case len(got) == 0:
				c.problems = append(c.problems, fmt.Sprintf("accepted notification #%d was never delivered", n))
			case len(got) == 1:
				c.once++
			default:
				c.duplicated++
				c.extra += len(got) - 1
				if !atLeastOnce {
					c.problems = append(c.problems, fmt.Sprintf("notification #%d was delivered %d times", n, len(got)))
				}
				if ids := distinctMessageIDs(got); ids != 1 {
					c.problems = append(c.problems, fmt.Sprintf("the %d copies of notification #%d carry %d Message-IDs, want one", len(got), n, ids))
				}
			}
		case notifyRefused:
			c.refused++
			if len(got) > 0 {
				c.problems = append(c.problems, fmt.Sprintf("refused notification #%d was delivered anyway", n))
			}
		case notifyUnknown:
			c.unknown++
			if len(got) > 1 && !atLeastOnce {
				c.problems = append(c.problems, fmt.Sprintf("notification #%d (no answer) was delivered %d times", n, len(got)))
			}
		}
	}
	return c
}

// requestOf reads the request number back from a recipient.
func requestOf(to string) (int, bool) {
	s, ok := strings.CutPrefix(to, "soak-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "@example.com")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func distinctMessageIDs(mails []receivedMail) int {
	ids := map[string]bool{}
	for _, m := range mails {
		ids[m.MessageID] = true
	}
	return len(ids)
}

// checkEmails reports how the emails the load asked for were delivered.
func (s *soak) checkEmails(waited time.Duration) {
	c := s.notify.check(s.mail.mails(), s.sc.redis)
	s.rep.printf("emails\n  %d accepted (202), %d refused (503), %d unanswered; %d received; SMTP answered 451 %d times; last one in %v after the load\n",
		c.accepted, c.refused, c.unknown, c.received, s.mail.refusals(), waited.Round(100*time.Millisecond))
	if s.sc.redis {
		s.rep.printf("  %d accepted notifications delivered once, %d more than once (%d extra copies, each with its original's Message-ID)\n",
			c.once, c.duplicated, c.extra)
		s.rep.check("every accepted email delivered at least once, duplicates recognisable", len(c.problems) == 0 && c.accepted > 0,
			fmt.Sprintf("%d of %d delivered, %d duplicated", c.once+c.duplicated, c.accepted, c.duplicated)+samples(c.problems))
		return
	}
	s.rep.check("every accepted email delivered exactly once", len(c.problems) == 0 && c.accepted > 0,
		fmt.Sprintf("%d of %d exactly once", c.once, c.accepted)+samples(c.problems))
}
