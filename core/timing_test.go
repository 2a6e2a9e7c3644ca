//go:build !js

package core_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The client's timing (heartbeat timeout, reconnection delays and jitter,
// connect timeout, maxAttempts) runs here in testing/synctest over an
// in-memory network, so KissJS's 45 s heartbeat case takes microseconds and
// every time is asserted exactly. The memory network is a double of the
// wire, not of the client: the real-server tests keep what the wire decides.

// memNet answers the client's dials as its plan says, attempt by attempt.
type memNet struct {
	mu    sync.Mutex
	plan  func(attempt int) dialPlan
	dials int
	conns []*memConn
}

type dialPlan struct {
	hang  bool             // the handshake never completes
	fail  *core.CloseError // the attempt is refused with this
	pongs bool             // the open socket answers pings
}

func (n *memNet) Dial(ctx core.Context, _ string) (core.Conn, error) {
	n.mu.Lock()
	n.dials++
	p := n.plan(n.dials)
	n.mu.Unlock()
	switch {
	case p.hang:
		<-ctx.Done()
		return nil, ctx.Err()
	case p.fail != nil:
		return nil, p.fail
	}
	c := &memConn{pongs: p.pongs, served: make(chan struct{})}
	n.mu.Lock()
	n.conns = append(n.conns, c)
	n.mu.Unlock()
	return c, nil
}

func (n *memNet) conn(i int) *memConn {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conns[i]
}

// memConn is one open in-memory socket.
type memConn struct {
	pongs   bool
	mu      sync.Mutex
	h       core.Handler
	served  chan struct{}
	pings   int
	closed  bool
	written []string
}

func (c *memConn) Serve(h core.Handler) {
	c.mu.Lock()
	c.h = h
	c.mu.Unlock()
	close(c.served)
}

func (c *memConn) WriteText(b []byte) error {
	c.mu.Lock()
	c.written = append(c.written, string(b))
	c.mu.Unlock()
	return nil
}

func (c *memConn) sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.written...)
}

func (c *memConn) Ping() error {
	c.mu.Lock()
	c.pings++
	h, pongs := c.h, c.pongs
	c.mu.Unlock()
	if pongs {
		go h.HandlePong()
	}
	return nil
}

// peerClose is the server closing the socket with code.
func (c *memConn) peerClose(code int, reason string) {
	<-c.served
	c.mu.Lock()
	h := c.h
	c.mu.Unlock()
	h.HandleClose(&core.CloseError{Code: code, Reason: reason, WasClean: true})
}

func (c *memConn) Close(code int, reason string) error {
	go c.peerClose(code, reason) // the peer echoes it
	return nil
}

func (c *memConn) Abort() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// timeline records each event with when it came, in ms after the start.
type timeline struct {
	mu    sync.Mutex
	start time.Time
	lines []string
}

func (tl *timeline) add(e core.Event) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	line := fmt.Sprintf("%d %s", time.Since(tl.start).Milliseconds(), e.Kind)
	if e.Close != nil {
		line += fmt.Sprintf(" %d", e.Close.Code)
		if e.Close.Reason != "" {
			line += " " + e.Close.Reason
		}
	}
	tl.lines = append(tl.lines, line)
}

func (tl *timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.lines, "\n")
}

// timed runs a client over n inside a synctest bubble for d, with the
// jitter's random number fixed at rnd, and returns its timeline.
func timed(t *testing.T, n *memNet, cfg core.Config, rnd float64, d time.Duration, during func(c *core.Client)) string {
	t.Helper()
	var out string
	synctest.Test(t, func(t *testing.T) {
		tl := &timeline{start: time.Now()}
		c := core.New(core.Options{
			Dialer:  n,
			URL:     func(core.Config) (string, error) { return "mem://", nil },
			OnEvent: tl.add,
			Rand:    func() float64 { return rnd },
		})
		if _, _, err := c.Start(cfg); err != nil {
			t.Fatal(err)
		}
		if during != nil {
			during(c)
		}
		time.Sleep(d)
		synctest.Wait()
		out = tl.String()
		_ = c.Close()
		synctest.Wait()
		c.Wait()
	})
	return out
}

func wantTimeline(t *testing.T, got string, want ...string) {
	t.Helper()
	if w := strings.Join(want, "\n"); got != w {
		t.Fatalf("timeline:\n%s\nwant\n%s", got, w)
	}
}

// KissJS's defaults against a peer that stops answering pings: pings at
// +10, 20, 30, 40 s, the socket dead at +45 s (we drop it at once), the next
// attempt after 5 s plus the jitter (0.5 of delay*delta = 5 s).
func TestTimingHeartbeatTimeoutThenJitteredReconnect(t *testing.T) {
	n := &memNet{plan: func(a int) dialPlan { return dialPlan{pongs: a > 1} }}
	got := timed(t, n, core.Defaults(), 0.5, 60*time.Second, nil)
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"45000 close 4000 SERVER_NOT_RESPONDING",
		"45000 EVT_DISCONNECTED 4000 SERVER_NOT_RESPONDING",
		"55000 EVT_RECONNECTING",
		"55000 EVT_RECONNECTED")
	if p := n.conn(0).pings; p != 4 {
		t.Fatalf("%d pings on the dead socket, want 4", p)
	}
	if !n.conn(0).closed {
		t.Fatal("the dead socket was not dropped")
	}
}

// A handshake that hangs is abandoned at connectTimeout, then the policy
// retries: refused attempts back off by factor, capped at maxDelay, and
// give up after maxAttempts.
func TestTimingConnectTimeoutBackoffAndMaxAttempts(t *testing.T) {
	cfg := core.Defaults()
	cfg.ConnectTimeout = 3 * time.Second
	cfg.Reconnection.Delta = 0
	cfg.Reconnection.Delay = time.Second
	cfg.Reconnection.Factor = 2
	cfg.Reconnection.MaxDelay = 5 * time.Second
	cfg.Reconnection.MaxAttempts = 4
	refused := &core.CloseError{Code: core.CodeAbnormal, Reason: "REFUSED"}
	n := &memNet{plan: func(a int) dialPlan {
		if a == 1 {
			return dialPlan{hang: true}
		}
		return dialPlan{fail: refused}
	}}
	got := timed(t, n, cfg, 0, 2*time.Minute, nil)
	// attempt 1 times out at 3 s; waits of 1, 2, 4 and then 5 (capped) s.
	wantTimeline(t, got,
		"3000 close 1006 CONNECT_TIMEOUT",
		"4000 EVT_RECONNECTING",
		"4000 close 1006 REFUSED",
		"6000 EVT_RECONNECTING",
		"6000 close 1006 REFUSED",
		"10000 EVT_RECONNECTING",
		"10000 close 1006 REFUSED",
		"15000 EVT_RECONNECTING",
		"15000 close 1006 REFUSED",
		"15000 EVT_CONNECTION_LOST 1006 REFUSED")
}

// reconnect() while waiting starts the attempt at once; a 1001 publishes
// EVT_SERVER_GONE and reconnects on the jittered schedule.
func TestTimingReconnectNowAndServerGone(t *testing.T) {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	n := &memNet{plan: func(int) dialPlan { return dialPlan{} }}
	got := timed(t, n, cfg, 0.25, 30*time.Second, func(c *core.Client) {
		time.Sleep(time.Second)
		n.conn(0).peerClose(core.CodeGoingAway, "restart")
		time.Sleep(time.Second) // waiting 5 s + 0.25 * 10 s
		c.Reconnect()
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"1000 close 1001 restart",
		"1000 EVT_SERVER_GONE 1001 restart",
		"1000 EVT_DISCONNECTED 1001 restart",
		"2000 EVT_RECONNECTING",
		"2000 EVT_RECONNECTED")
}

func (n *memNet) dialCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dials
}

func (c *memConn) pingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pings
}

// After close() nothing more happens, whatever the client was doing: no
// ping, no attempt, no event, for an hour of the bubble's time.
func TestTimingNothingAfterClose(t *testing.T) {
	for _, c := range []struct {
		name string
		plan dialPlan
		at   time.Duration // close() this long after Start
		want []string
	}{
		{"open with a heartbeat", dialPlan{pongs: true}, 25 * time.Second,
			[]string{"0 EVT_CONNECTED", "25000 close 4003 DEFINITIVE_CLOSE", "25000 EVT_CONNECTION_CLOSED 4003 DEFINITIVE_CLOSE"}},
		{"waiting between attempts", dialPlan{fail: &core.CloseError{Code: 1011}}, 2 * time.Second,
			[]string{"0 close 1011", "2000 EVT_CONNECTION_CLOSED 4003 DEFINITIVE_CLOSE"}},
		{"connecting", dialPlan{hang: true}, 2 * time.Second,
			[]string{"2000 close 4003 DEFINITIVE_CLOSE", "2000 EVT_CONNECTION_CLOSED 4003 DEFINITIVE_CLOSE"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := &memNet{plan: func(int) dialPlan { return c.plan }}
			var pingsAtClose int
			got := timed(t, n, core.Defaults(), 0, time.Hour, func(cl *core.Client) {
				time.Sleep(c.at)
				if err := cl.Close(); err != nil {
					t.Error(err)
				}
				synctest.Wait()
				if c.plan.pongs {
					pingsAtClose = n.conn(0).pingCount()
				}
			})
			wantTimeline(t, got, c.want...)
			if d := n.dialCount(); d != 1 {
				t.Fatalf("%d dials, want 1", d)
			}
			if c.plan.pongs && (pingsAtClose != 2 || n.conn(0).pingCount() != pingsAtClose) {
				t.Fatalf("pings: %d at close, %d an hour later", pingsAtClose, n.conn(0).pingCount())
			}
		})
	}
}

// The browser's offline event holds the attempt that falls due: none is
// spent until online (Reconnect), which starts it at once.
func TestTimingOfflineHoldsAttemptsUntilOnline(t *testing.T) {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	cfg.Reconnection.Delta = 0
	n := &memNet{plan: func(int) dialPlan { return dialPlan{} }}
	got := timed(t, n, cfg, 0, 2*time.Hour, func(c *core.Client) {
		c.Offline()
		time.Sleep(time.Second)
		n.conn(0).peerClose(1011, "")
		time.Sleep(time.Hour) // the retry fell due at +6 s
		synctest.Wait()
		if d := n.dialCount(); d != 1 {
			t.Errorf("%d dials while offline, want 1", d)
		}
		c.Reconnect() // online
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"1000 close 1011",
		"1000 EVT_DISCONNECTED 1011",
		"3601000 EVT_RECONNECTING",
		"3601000 EVT_RECONNECTED")
}

// The page goes into the back/forward cache (Suspend) and comes back an hour
// later (Resume): the socket is closed cleanly and reported as a drop, no
// attempt runs or is spent while away, the return reconnects at once, and
// a message sent meanwhile goes out once, on the new socket.
func TestTimingSuspendHoldsUntilResume(t *testing.T) {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	n := &memNet{plan: func(int) dialPlan { return dialPlan{} }}
	got := timed(t, n, cfg, 0, 2*time.Hour, func(c *core.Client) {
		time.Sleep(time.Second)
		c.Suspend()
		c.Suspend() // once is enough
		if err := c.Send([]byte(`"while away"`)); err != nil {
			t.Error(err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if d := n.dialCount(); d != 1 {
			t.Errorf("%d dials while suspended, want 1", d)
		}
		if s := c.Stats(); s.Attempts != 1 || s.Queued != 1 || s.State != core.StateReconnecting {
			t.Errorf("while suspended: %+v", s)
		}
		c.Resume()
		c.Resume()
		synctest.Wait()
		if got := n.conn(1).sent(); len(got) != 1 || got[0] != `"while away"` {
			t.Errorf("the new socket got %q", got)
		}
		if got := n.conn(0).sent(); len(got) != 0 {
			t.Errorf("the old socket got %q", got)
		}
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"1000 close 1000 PAGE_HIDDEN",
		"1000 EVT_DISCONNECTED 1000 PAGE_HIDDEN",
		"3601000 EVT_RECONNECTING",
		"3601000 EVT_RECONNECTED")
}

// Suspend and Resume do nothing to a client the app has not started or has
// closed: only a client the app wants connected comes back.
func TestTimingSuspendResumeOnlyForAWantedConnection(t *testing.T) {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	n := &memNet{plan: func(int) dialPlan { return dialPlan{} }}
	got := timed(t, n, cfg, 0, time.Hour, func(c *core.Client) {
		time.Sleep(time.Second)
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		synctest.Wait()
		c.Suspend()
		c.Resume()
		c.Reconnect()
		synctest.Wait()
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"1000 close 4003 DEFINITIVE_CLOSE",
		"1000 EVT_CONNECTION_CLOSED 4003 DEFINITIVE_CLOSE")
	synctest.Test(t, func(t *testing.T) {
		c := core.New(core.Options{Dialer: n, URL: func(core.Config) (string, error) { return "mem://", nil }})
		c.Suspend()
		c.Resume()
		c.Reconnect()
		synctest.Wait()
		if s := c.State(); s != core.StateIdle {
			t.Fatalf("state %v before any Start", s)
		}
	})
}

// Resumed from a freeze with a socket that died unseen: the probe's ping
// goes unanswered for 5 s, then the client reconnects without the
// reconnection delay.
func TestTimingFailedProbeReconnectsAtOnce(t *testing.T) {
	n := &memNet{plan: func(a int) dialPlan { return dialPlan{pongs: a > 1} }}
	got := timed(t, n, core.Defaults(), 0.5, time.Minute, func(c *core.Client) {
		time.Sleep(3 * time.Second)
		c.Probe()
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"8000 close 4000 SERVER_NOT_RESPONDING",
		"8000 EVT_DISCONNECTED 4000 SERVER_NOT_RESPONDING",
		"8000 EVT_RECONNECTING",
		"8000 EVT_RECONNECTED")
}

// Resumed, the socket's close arrives (the browser cut it while the page
// was frozen): the client reconnects at once, not after the delay. A drop
// after the probe's pong waits as usual.
func TestTimingCloseRightAfterResumeReconnectsAtOnce(t *testing.T) {
	cfg := core.Defaults()
	// The first socket is the frozen one: its probe gets no pong.
	n := &memNet{plan: func(a int) dialPlan { return dialPlan{pongs: a > 1} }}
	got := timed(t, n, cfg, 0.5, 2*time.Minute, func(c *core.Client) {
		time.Sleep(3 * time.Second)
		c.Probe()
		n.conn(0).peerClose(1006, "")
		synctest.Wait()
		time.Sleep(4 * time.Second)
		c.Probe() // answered at once: the next drop is an ordinary one
		synctest.Wait()
		n.conn(1).peerClose(1006, "")
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"3000 close 1006",
		"3000 EVT_DISCONNECTED 1006",
		"3000 EVT_RECONNECTING",
		"3000 EVT_RECONNECTED",
		"7000 close 1006",
		"7000 EVT_DISCONNECTED 1006",
		"17000 EVT_RECONNECTING",
		"17000 EVT_RECONNECTED")
}

// Resumed while waiting between attempts: the attempt goes now.
func TestTimingProbeBetweenAttemptsReconnectsNow(t *testing.T) {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	n := &memNet{plan: func(int) dialPlan { return dialPlan{} }}
	got := timed(t, n, cfg, 0.5, time.Minute, func(c *core.Client) {
		time.Sleep(time.Second)
		n.conn(0).peerClose(1006, "")
		synctest.Wait()
		time.Sleep(time.Second)
		c.Probe()
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"1000 close 1006",
		"1000 EVT_DISCONNECTED 1006",
		"2000 EVT_RECONNECTING",
		"2000 EVT_RECONNECTED")
}

// Without a heartbeat nothing answers the probe: the at-once window ends
// after 5 s, and a drop later (a deploy's 1001, say) keeps its jitter.
func TestTimingResumeWindowEndsWithoutAHeartbeat(t *testing.T) {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	n := &memNet{plan: func(int) dialPlan { return dialPlan{} }}
	got := timed(t, n, cfg, 0.5, time.Minute, func(c *core.Client) {
		time.Sleep(time.Second)
		c.Probe()
		time.Sleep(10 * time.Second)
		n.conn(0).peerClose(1006, "")
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"11000 close 1006",
		"11000 EVT_DISCONNECTED 1006",
		"21000 EVT_RECONNECTING",
		"21000 EVT_RECONNECTED")
}

// tokenNet is a server whose tokens can expire: an attempt with an expired
// token is a refused upgrade (1006, no reason), and so is any attempt while
// the network is down. Its checker answers as KissJS's server does and, on
// "expired", refreshes the token as the page's session does.
type tokenNet struct {
	mu      sync.Mutex
	down    bool
	token   string
	expired map[string]bool
	checks  []time.Duration // when each check came, since start
	start   time.Time
	opened  []string // the URLs that opened
	conn    *memConn // the last one
}

func (n *tokenNet) Dial(_ core.Context, url string) (core.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down || n.expired[url] {
		return nil, &core.CloseError{Code: core.CodeAbnormal}
	}
	n.opened = append(n.opened, url)
	n.conn = &memConn{pongs: true, served: make(chan struct{})}
	return n.conn, nil
}

func (n *tokenNet) url(core.Config) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return "mem://?token=" + n.token, nil
}

func (n *tokenNet) check(_ core.Context, url string) core.TokenStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.checks = append(n.checks, time.Since(n.start))
	switch {
	case n.down:
		return core.TokenUnknown // the check cannot reach the server either
	case n.expired[url]:
		n.token += "'" // the session's refresh
		return core.TokenRefreshed
	}
	return core.TokenValid
}

// A token that expires during an outage, after the outage's first token
// check said it was valid: the check is asked again once TokenRecheck has
// passed, the token is refreshed, and the client is open again within
// KissJS's default attempts, instead of failing each of them until
// EVT_CONNECTION_LOST. Checks stay rare: one per TokenRecheck at most.
func TestTimingTokenExpiredDuringAnOutageIsCheckedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := &tokenNet{token: "a", expired: map[string]bool{}, start: time.Now()}
		tl := &timeline{start: n.start}
		c := core.New(core.Options{Dialer: n, URL: n.url, CheckToken: n.check, OnEvent: tl.add,
			Rand: func() float64 { return 0.5 }})
		cfg := core.Defaults() // KissJS's: 5 s delay, delta 2, 10 attempts, heartbeat 10 s / 35 s
		if _, _, err := c.Start(cfg); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		n.mu.Lock()
		n.down = true // the network goes; the socket with it
		n.mu.Unlock()
		n.mu.Lock()
		first := n.conn
		n.mu.Unlock()
		first.peerClose(core.CodeAbnormal, "")
		time.Sleep(12 * time.Second) // the first check: the server cannot say
		n.mu.Lock()
		n.down, n.expired["mem://?token=a"] = false, true // back, but the token expired meanwhile
		n.mu.Unlock()
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		n.mu.Lock()
		checks, opened := n.checks, n.opened
		n.mu.Unlock()
		if got := fmt.Sprint(opened); got != "[mem://?token=a mem://?token=a']" {
			t.Fatalf("opened %v, want the first token, then the refreshed one\n%s", got, tl)
		}
		for i := 1; i < len(checks); i++ {
			if checks[i]-checks[i-1] < core.TokenRecheck {
				t.Fatalf("token checks at %v: two within %v\n%s", checks, core.TokenRecheck, tl)
			}
		}
		if strings.Contains(tl.String(), core.EventConnectionLost.String()) {
			t.Fatalf("gave up:\n%s", tl)
		}
		t.Logf("token checks at %v\n%s", checks, tl)
		_ = c.Close()
		synctest.Wait()
		c.Wait()
	})
}
