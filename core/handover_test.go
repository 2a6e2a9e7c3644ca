//go:build !js

package core_test

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The client's typed side of shared mode: a handover is its own event
// (core.ErrHandover before open, Handler.HandleHandover after), another
// tab's close is marked Relayed, frames a dropped stand-in never sent come
// back with Reclaim, and the tab that takes the lead hurries its attempt.
// All in testing/synctest over an in-memory socket.

// shareNet answers each dial as its plan says: core.ErrHandover, or an open
// shareConn.
type shareNet struct {
	mu       sync.Mutex
	handover func(attempt int) bool
	dials    int
	conns    []*shareConn
}

func (n *shareNet) Dial(core.Context, string) (core.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dials++
	if n.handover != nil && n.handover(n.dials) {
		return nil, core.ErrHandover
	}
	c := &shareConn{}
	n.conns = append(n.conns, c)
	return c, nil
}

func (n *shareNet) conn(i int) *shareConn {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conns[i]
}

func (n *shareNet) dialCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dials
}

// shareConn is an open socket that records what it was given and reports
// unsent what the test says (a stand-in's unacknowledged frames).
type shareConn struct {
	mu      sync.Mutex
	h       core.Handler
	written []string
	unsent  [][]byte
}

func (c *shareConn) Serve(h core.Handler) {
	c.mu.Lock()
	c.h = h
	c.mu.Unlock()
}

func (c *shareConn) handler() core.Handler {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

func (c *shareConn) WriteText(b []byte) error {
	c.mu.Lock()
	c.written = append(c.written, string(b))
	c.mu.Unlock()
	return nil
}

func (c *shareConn) sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.written)
}

func (c *shareConn) Ping() error { return nil }
func (c *shareConn) Close(code int, r string) error {
	go c.handler().HandleClose(&core.CloseError{Code: code, Reason: r, WasClean: true})
	return nil
}
func (c *shareConn) Abort() {}
func (c *shareConn) Unsent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unsent
}

// shared runs a client over n in a bubble, calls during, then returns the
// timeline (events with their time in ms).
func shared(t *testing.T, n *shareNet, cfg core.Config, opts func(*core.Options), during func(c *core.Client, tl *timeline)) string {
	t.Helper()
	var out string
	synctest.Test(t, func(t *testing.T) {
		tl := &timeline{start: time.Now()}
		o := core.Options{
			Dialer:  n,
			URL:     func(core.Config) (string, error) { return "ws://kiss.test/?token=t", nil },
			OnEvent: tl.add,
			Rand:    func() float64 { return 0 },
		}
		if opts != nil {
			opts(&o)
		}
		c := core.New(o)
		if _, _, err := c.Start(cfg); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		during(c, tl)
		synctest.Wait()
		out = tl.String()
		_ = c.Close()
		synctest.Wait()
		c.Wait()
	})
	return out
}

func sharedConfig() core.Config {
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	return cfg
}

// A stand-in that moves before it opened is the same attempt in the tab
// that leads now: nothing is reported and no attempt is counted.
func TestHandoverBeforeOpenIsTheSameAttempt(t *testing.T) {
	n := &shareNet{handover: func(a int) bool { return a <= 2 }}
	var attempts uint64
	got := shared(t, n, sharedConfig(), nil, func(c *core.Client, _ *timeline) {
		attempts = c.Stats().Attempts
	})
	wantTimeline(t, got, "0 EVT_CONNECTED")
	if d := n.dialCount(); d != 3 {
		t.Fatalf("%d dials, want 3", d)
	}
	if attempts != 1 {
		t.Fatalf("Stats().Attempts = %d, want 1 (a handover costs none)", attempts)
	}
}

// An open socket that moves reconnects at once, whatever the reconnection
// settings, reports the drop as its socket's 1000 HANDOVER, and sends what it never
// sent first on the next socket.
func TestHandoverAfterOpenReconnectsAtOnce(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		cfg := sharedConfig()
		cfg.Reconnection.Enabled = enabled
		cfg.Reconnection.Delay = time.Minute
		n := &shareNet{}
		var next []string
		got := shared(t, n, cfg, nil, func(c *core.Client, _ *timeline) {
			time.Sleep(time.Second)
			first := n.conn(0)
			first.mu.Lock()
			first.unsent = [][]byte{[]byte(`{"n":1}`), []byte(`{"n":2}`)}
			first.mu.Unlock()
			first.handler().HandleHandover()
			if err := c.Send([]byte(`{"n":3}`)); err != nil {
				t.Error(err)
			}
			synctest.Wait()
			next = n.conn(1).sent()
		})
		wantTimeline(t, got,
			"0 EVT_CONNECTED",
			"1000 close 1000 HANDOVER",
			"1000 EVT_DISCONNECTED 1000 HANDOVER",
			"1000 EVT_RECONNECTING",
			"1000 EVT_RECONNECTED")
		if want := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}; !slices.Equal(next, want) {
			t.Fatalf("reconnection enabled %v: the next socket got %q, want %q", enabled, next, want)
		}
	}
}

// A stand-in the client had already dropped (its heartbeat gave up) that
// the group then moves still gives back what it never sent: its leader
// never wrote those frames.
func TestHandoverOfADroppedStandInReclaims(t *testing.T) {
	cfg := sharedConfig()
	cfg.Reconnection.Delay = 10 * time.Second
	n := &shareNet{}
	var next []string
	shared(t, n, cfg, nil, func(c *core.Client, _ *timeline) {
		first := n.conn(0)
		h := first.handler()
		first.handler().HandleClose(&core.CloseError{Code: core.CodeNotResponding, Reason: "SERVER_NOT_RESPONDING"})
		first.mu.Lock()
		first.unsent = [][]byte{[]byte("late")}
		first.mu.Unlock()
		h.HandleHandover() // the client is between attempts already
		time.Sleep(11 * time.Second)
		next = n.conn(1).sent()
	})
	if !slices.Equal(next, []string{"late"}) {
		t.Fatalf("the next socket got %q, want the reclaimed frame", next)
	}
}

// Another tab's refused socket is a network failure to this one: the tab
// that held it checks the token.
func TestRelayedRefusalChecksNoToken(t *testing.T) {
	cfg := sharedConfig()
	cfg.Reconnection.Delay = time.Second
	n := &shareNet{}
	checks := 0
	got := shared(t, n, cfg, func(o *core.Options) {
		o.CheckToken = func(core.Context, string) core.TokenStatus { checks++; return core.TokenValid }
	}, func(c *core.Client, _ *timeline) {
		n.conn(0).handler().HandleClose(&core.CloseError{Code: core.CodeAbnormal, Relayed: true})
		time.Sleep(2 * time.Second)
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"0 close 1006",
		"0 EVT_DISCONNECTED 1006",
		"1000 EVT_RECONNECTING",
		"1000 EVT_RECONNECTED")
	if checks != 0 {
		t.Fatalf("%d token checks for a relayed close", checks)
	}
}

// Reclaim puts frames back at the front of the outbox, in order; those of
// another session are discarded and counted.
func TestReclaim(t *testing.T) {
	cfg := sharedConfig()
	cfg.Reconnection.Delay = time.Second
	n := &shareNet{}
	session := "alice"
	var next []string
	var discarded uint64
	shared(t, n, cfg, func(o *core.Options) {
		o.Session = func() string { return session }
	}, func(c *core.Client, _ *timeline) {
		n.conn(0).handler().HandleClose(&core.CloseError{Code: 1011})
		if err := c.Send([]byte("queued")); err != nil {
			t.Error(err)
		}
		c.Reclaim("alice", [][]byte{[]byte("r1"), []byte("r2")})
		c.Reclaim("bob", [][]byte{[]byte("other")})
		time.Sleep(2 * time.Second)
		next = n.conn(1).sent()
		discarded = c.Stats().Discarded
	})
	if want := []string{"r1", "r2", "queued"}; !slices.Equal(next, want) {
		t.Fatalf("the next socket got %q, want %q", next, want)
	}
	if discarded != 1 {
		t.Fatalf("Discarded %d, want 1", discarded)
	}
}

// Hurry starts the attempt a client waits for at once, and does nothing
// otherwise.
func TestHurry(t *testing.T) {
	cfg := sharedConfig()
	cfg.Reconnection.Delay = time.Hour
	n := &shareNet{}
	got := shared(t, n, cfg, nil, func(c *core.Client, _ *timeline) {
		c.Hurry() // open: nothing
		time.Sleep(time.Second)
		n.conn(0).handler().HandleClose(&core.CloseError{Code: 1011})
		time.Sleep(time.Second)
		c.Hurry()
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"1000 close 1011",
		"1000 EVT_DISCONNECTED 1011",
		"2000 EVT_RECONNECTING",
		"2000 EVT_RECONNECTED")
	if d := n.dialCount(); d != 2 {
		t.Fatalf("%d dials, want 2", d)
	}
}

// Options.AfterFunc starts the client's timers: here every one is held
// until the test lets it go, as a frozen page holds its timers.
func TestAfterFuncRunsTheClientsTimers(t *testing.T) {
	cfg := sharedConfig()
	cfg.Reconnection.Delay = time.Second
	n := &shareNet{}
	var mu sync.Mutex
	var held []func()
	var delays []time.Duration
	got := shared(t, n, cfg, func(o *core.Options) {
		o.AfterFunc = func(d time.Duration, f func()) (func() bool, func(time.Duration) bool) {
			mu.Lock()
			delays = append(delays, d)
			held = append(held, f)
			mu.Unlock()
			return func() bool { return false }, func(time.Duration) bool { return false }
		}
	}, func(c *core.Client, _ *timeline) {
		n.conn(0).handler().HandleClose(&core.CloseError{Code: 1011})
		time.Sleep(time.Minute) // a frozen page: the delay passes, nothing fires
		if d := n.dialCount(); d != 1 {
			t.Errorf("%d dials while the timer was held", d)
		}
		mu.Lock()
		f := held[len(held)-1]
		mu.Unlock()
		f() // the page runs again
	})
	wantTimeline(t, got,
		"0 EVT_CONNECTED",
		"0 close 1011",
		"0 EVT_DISCONNECTED 1011",
		"60000 EVT_RECONNECTING",
		"60000 EVT_RECONNECTED")
	if !slices.Contains(delays, time.Second) {
		t.Fatalf("timers started %v, want the 1 s reconnection delay among them", delays)
	}
}
