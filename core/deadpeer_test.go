//go:build !js

package core_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// stamped is an event with the time the client delivered it.
type stamped struct {
	kind  core.EventKind
	close *core.CloseError
	at    time.Time
}

// stampedEvents collects events with their time; next consumes them.
type stampedEvents chan stamped

func (s stampedEvents) add(ev core.Event) {
	if ev.Kind == core.EventMessage {
		return
	}
	select {
	case s <- stamped{kind: ev.Kind, close: ev.Close, at: time.Now()}:
	default: // a test that stopped reading does not block the client
	}
}

// next skips to the next event of kind.
func (s stampedEvents) next(t *testing.T, kind core.EventKind) stamped {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case ev := <-s:
			if ev.kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v within %v", kind, wait)
		}
	}
}

// open starts c and waits until it is open. On a loaded machine the first
// attempt may outlast a connect timeout of a few hundred milliseconds; the
// client then tries again (these tests never give up: MaxAttempts is
// MaxInt), and the events up to its EVT_RECONNECTED are consumed.
func (s stampedEvents) open(t *testing.T, c *core.Client, cfg core.Config) {
	t.Helper()
	if r := result(t, start(t, c, cfg), wait); r != core.ResultOpened {
		s.next(t, core.EventReconnected)
	}
}

// drain drops the events not read yet.
func (s stampedEvents) drain() {
	for {
		select {
		case <-s:
		default:
			return
		}
	}
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return "min " + ms(s[0]).String() + ", median " + ms(s[len(s)/2]).String() + ", max " + ms(s[len(s)-1]).String()
}

// TestDeadPeerIsDetectedAndLeftOnSchedule measures, through a proxy that
// stops forwarding while keeping TCP up (a half-open peer), how long the
// client takes to declare the socket dead (within heartbeat timeout +
// delay; KissJS then waited about 60 s more for a closing handshake) and,
// once the network is back, to be open again (within one reconnection
// delay plus its jitter).
func TestDeadPeerIsDetectedAndLeftOnSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := proxied(t, e)
	evs := make(stampedEvents, 1024)
	c := core.New(core.Options{Dialer: core.NativeDialer{HTTPClient: e.hc}, URL: viaProxy(e, p),
		CheckToken: e.check, OnEvent: evs.add})
	t.Cleanup(func() { shutdown(t, c) })
	cfg := core.Defaults()
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}
	cfg.Reconnection.Delay, cfg.Reconnection.Delta = 100*time.Millisecond, 0.5
	cfg.Reconnection.MaxAttempts = math.MaxInt
	cfg.ConnectTimeout = 300 * time.Millisecond
	hb, rc := cfg.Heartbeat, cfg.Reconnection
	maxWait := rc.NextDelay(1, 0.999999) // one delay with the most jitter
	// The bounds tell a dead peer found on the heartbeat's schedule from
	// KissJS's minute-long wait for a closing handshake; the exact schedule
	// is TestTimingHeartbeatTimeoutThenJitteredReconnect's (synctest). A
	// second of slack keeps a loaded machine's scheduling out of it (150 ms
	// failed 1 run in 228 under make stress beside make bench).
	const slack = time.Second
	lag := startLagProbe(t) // how late this machine's timers run: added to the upper bounds

	evs.open(t, c, cfg)
	var detected, reopened, lags []time.Duration
	var phases []string
	for round, redone := 0, 0; round < 4; {
		// Each round begins on an open socket that has just answered a ping,
		// with no event pending, and lets the heartbeat run for a while, at a
		// different phase each round.
		in := c.Stats().FramesIn // pongs: the server sends nothing else
		eventually(t, wait, "a pong on an open socket", func() bool {
			s := c.Stats()
			return s.State == core.StateOpen && s.FramesIn > in
		})
		time.Sleep(time.Duration(round) * 37 * time.Millisecond)
		evs.drain()
		stalled := time.Now()
		p.Stall(true)
		ev := evs.next(t, core.EventDisconnected)
		if ev.at.Before(stalled) {
			// The client dropped the socket by itself just before the stall:
			// a pong later than the timeout, as a loaded machine makes them.
			// That is no measure of the stall: the round begins again.
			p.Stall(false)
			evs.next(t, core.EventReconnected)
			if redone++; redone > 8 {
				t.Fatalf("round %d: the socket died by itself before the stall %d times", round, redone)
			}
			continue
		}
		if ev.close == nil || ev.close.Code != core.CodeNotResponding {
			t.Fatalf("disconnected by %v, want the heartbeat timeout", ev.close)
		}
		took, late := ev.at.Sub(stalled), lag.take()
		detected, lags = append(detected, took), append(lags, late)
		// Three timers may each run late: the ping's, its timeout's, and the
		// delivery of the event. Below, a ping sent just before the stall
		// whose pong the stall caught (a late round trip) arms the timeout
		// a little before the stall.
		if took < hb.Timeout-50*time.Millisecond-late || took > hb.Timeout+hb.Delay+slack+3*late {
			t.Errorf("round %d: dead peer detected after %v, want %v to %v (-50ms-%[5]v, +%v+3 × %[5]v late timers)",
				round, ms(took), hb.Timeout, hb.Timeout+hb.Delay, ms(late), slack)
		}
		// Attempts made while the network is still down hang and time out;
		// the network comes back at a different point of their cycle.
		time.Sleep(2*hb.Timeout + time.Duration(round)*110*time.Millisecond)
		lag.take()
		back := time.Now()
		p.Stall(false)
		state := c.State() // connecting: a hung attempt completes; reconnecting: the next one is due
		ev = evs.next(t, core.EventReconnected)
		took, late = ev.at.Sub(back), lag.take()
		reopened, lags = append(reopened, took), append(lags, late)
		phases = append(phases, state.String()+" "+ms(took).String())
		// Late: the reconnection timer, the handshake's goroutines, the event.
		if took > maxWait+slack+3*late {
			t.Errorf("round %d: open again %v after the network came back, want at most %v (+%v, +3 × %v late timers)",
				round, ms(took), maxWait, slack, ms(late))
		}
		round++
	}
	t.Logf("heartbeat %v/%v, reconnection delay %v + up to %v jitter:\n"+
		"  dead peer detected after the stall began: %v (bound %v)\n"+
		"  open again after the stall ended:         %v (bound %v + %v); state when it ended, time: %v\n"+
		"  timers late by:                           %v",
		hb.Delay, hb.Timeout, rc.Delay, maxWait-rc.Delay, spread(detected), hb.Timeout+hb.Delay, spread(reopened), maxWait, slack, phases,
		spread(lags))
}

// TestHungHandshakeIsAbandonedAfterConnectTimeout measures, through a
// proxy that accepts TCP connections and never answers, how long each
// attempt hangs before the client gives up on it.
func TestHungHandshakeIsAbandonedAfterConnectTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := proxied(t, e)
	evs := make(stampedEvents, 1024)
	c := core.New(core.Options{Dialer: core.NativeDialer{HTTPClient: e.hc}, URL: viaProxy(e, p),
		CheckToken: e.check, OnEvent: evs.add, Rand: func() float64 { return 0 }})
	t.Cleanup(func() { shutdown(t, c) })
	cfg := fast()
	cfg.ConnectTimeout = 250 * time.Millisecond
	cfg.Reconnection.MaxAttempts = math.MaxInt
	evs.open(t, c, cfg)
	lag := startLagProbe(t) // how late this machine's timers run: added to the upper bound
	p.HoldHandshakes(true)
	p.Drop()
	var hung []time.Duration
	for range 4 {
		began := evs.next(t, core.EventReconnecting)
		ev := evs.next(t, core.EventClose)
		late := lag.take()
		if ev.close.Code != core.CodeAbnormal || ev.close.Reason != "CONNECT_TIMEOUT" {
			t.Fatalf("attempt ended with %v, want 1006 CONNECT_TIMEOUT", ev.close)
		}
		took := ev.at.Sub(began.at)
		hung = append(hung, took)
		// EVT_RECONNECTING is stamped when it is delivered, which may be a
		// little (or, on a loaded machine, a late timer's worth) after the
		// attempt and its timer started: hence the slack below as well as
		// above. Above, the timeout's timer and the delivery of EVT_CLOSE
		// may also each run late.
		// (KissJS has no connect timeout at all: a second of slack above
		// still tells them apart; the exact time is synctest's, in
		// TestTimingConnectTimeoutBackoffAndMaxAttempts.)
		if took < cfg.ConnectTimeout-25*time.Millisecond-late || took > cfg.ConnectTimeout+time.Second+2*late {
			t.Errorf("attempt abandoned after %v, want %v (-25ms-%[3]v, +1s+2 × %[3]v late timers)", ms(took), cfg.ConnectTimeout, ms(late))
		}
	}
	back := time.Now()
	p.HoldHandshakes(false)
	ev := evs.next(t, core.EventReconnected)
	t.Logf("connectTimeout %v: hung attempts abandoned after %v; open again %v after the network came back (delay %v)",
		cfg.ConnectTimeout, spread(hung), ms(ev.at.Sub(back)), cfg.Reconnection.Delay)
	// The drop (1006, no reason) asks about the token once; the timeouts,
	// which are no refused upgrade, do not.
	if n := e.checks.Load(); n != 1 {
		t.Errorf("%d token checks, want 1", n)
	}
}
