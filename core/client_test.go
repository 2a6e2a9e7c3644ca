//go:build !js

package core_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/core"
)

// The tests in this file pin down what KissJS's kiss.websocket does
// (docs/kissjs-behaviour.md, "init" 1-8), against the real server over loopback.

const wait = 5 * time.Second // upper bound for anything that should happen

// connected starts c with cfg and waits for EVT_CONNECTED.
func connected(t *testing.T, c *core.Client, rec *recorder, cfg core.Config) {
	t.Helper()
	res := start(t, c, cfg)
	if r := result(t, res, wait); r != core.ResultOpened {
		t.Fatalf("first attempt: %v; events:%s", r, rec.dump())
	}
	expect(t, rec, wait, core.EventConnected)
}

func TestStartWhileConnectingIsIgnored(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	url := hungListener(t)
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
		OnEvent: rec.add})
	t.Cleanup(func() { shutdown(t, c) })
	res := start(t, c, fast())
	if s := c.State(); s != core.StateConnecting || s.ReadyState() != 0 {
		t.Fatalf("state %v (readyState %d), want connecting (0)", s, s.ReadyState())
	}
	if r := result(t, start(t, c, fast()), time.Second); r != core.ResultIgnored {
		t.Fatalf("Start while connecting: %v, want ignored", r)
	}
	select {
	case r := <-res:
		t.Fatalf("the first attempt ended (%v) although its handshake hangs", r)
	default:
	}
	if n := c.Stats().Attempts; n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
}

func TestStartWhileOpenIsIgnored(t *testing.T) {
	t.Parallel()
	e, _, c := openClient(t)
	if s := c.State(); s != core.StateOpen || s.ReadyState() != 1 {
		t.Fatalf("state %v (readyState %d), want open (1)", s, s.ReadyState())
	}
	res, started, err := c.Start(fast())
	if err != nil || started || result(t, res, time.Second) != core.ResultIgnored {
		t.Fatalf("Start while open: started %v, err %v; want ignored", started, err)
	}
	wantUpgrades(t, e, 1)
}

func TestStartWhileClosingIsIgnored(t *testing.T) {
	t.Parallel()
	// A server that does not read our close frame until released: the
	// closing handshake stays pending.
	release := make(chan struct{})
	url := rawServer(t, func(ctx context.Context, ws *websocket.Conn) {
		<-release
		ws.Read(ctx) // answers the close frame
	})
	rec := newRecorder()
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
		OnEvent: rec.add})
	t.Cleanup(func() { shutdown(t, c) })
	connected(t, c, rec, fast())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if s := c.State(); s != core.StateClosing || s.ReadyState() != 2 {
		t.Fatalf("state %v (readyState %d), want closing (2)", s, s.ReadyState())
	}
	if r := result(t, start(t, c, fast()), time.Second); r != core.ResultIgnored {
		t.Fatalf("Start while closing: %v, want ignored", r)
	}
	if err := c.Close(); err != nil { // a second close() changes nothing
		t.Fatal(err)
	}
	close(release)
	g := expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	if ce := g[0].Close; ce.Code != core.CodeDefinitiveClose || ce.Reason != "DEFINITIVE_CLOSE" || !ce.WasClean {
		t.Fatalf("closed with %v", ce)
	}
	if s := c.State(); s != core.StateClosed || s.ReadyState() != 3 {
		t.Fatalf("state %v (readyState %d), want closed (3)", s, s.ReadyState())
	}
	if n := c.Stats().Attempts; n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
}

func TestOpenResolvesTrueThenConnectedThenHeartbeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	ready := make(chan struct{})
	var res <-chan core.Result
	var order atomic.Int32 // 1: resolved true before EVT_CONNECTED, 2: not yet, 3: other result
	c := e.client(t, rec, func(o *core.Options) {
		o.URL = func(cfg core.Config) (string, error) { <-ready; return e.url(cfg) } // res is set by then
		record := o.OnEvent
		o.OnEvent = func(ev core.Event) {
			if ev.Kind == core.EventConnected {
				select {
				case r := <-res:
					order.Store(map[bool]int32{true: 1, false: 3}[r == core.ResultOpened])
				default:
					order.Store(2)
				}
			}
			record(ev)
		}
	})
	cfg := fast()
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 50 * time.Millisecond, Timeout: time.Second}
	res = start(t, c, cfg)
	close(ready)
	expect(t, rec, wait, core.EventConnected)
	if o := order.Load(); o != 1 {
		t.Fatalf("order %d: the promise must resolve true before EVT_CONNECTED", o)
	}
	// The heartbeat runs: the server sees "ping" frames and answers "pong".
	eventually(t, wait, "3 pings at the server", func() bool {
		cs := e.srv.Conns()
		return len(cs) == 1 && cs[0].Pings >= 3
	})
	// A ping counts as out once its write has returned, which may be after
	// the server has it and its pong is in: wait for both counts.
	eventually(t, wait, "3 pongs and 3 pings counted at the client", func() bool {
		s := c.Stats()
		return s.FramesIn >= 3 && s.FramesOut >= 3
	})
	if s := c.Stats(); s.RTT <= 0 || s.Attempts != 1 || s.Attempt != 0 {
		t.Fatalf("stats %+v", s)
	}
	if got := e.srv.Received(e.user); len(got) != 0 {
		t.Fatalf("pings must not be recorded as messages: %q", got)
	}
}

func TestPongIsSwallowedAndClearsTheTimeout(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 100 * time.Millisecond, Timeout: time.Second}
	e, rec, c := openClientCfg(t, cfg)
	// Twelve pings take 1.2 s: without the pongs clearing the timeout armed
	// by the first ping, the socket would be declared dead at 1.1 s. (A pong
	// may take a loaded machine hundreds of ms: the timeout leaves it 1 s.)
	eventually(t, wait, "12 pongs at the client", func() bool { return c.Stats().FramesIn >= 12 })
	if n := rec.len(); n != 1 {
		t.Fatalf("pong must never be an event; events:%s", rec.dump())
	}
	if s := c.Stats(); s.RTT <= 0 || s.Dropped != 0 || s.State != core.StateOpen || s.Attempts != 1 {
		t.Fatalf("stats %+v", s)
	}
	if cs := e.srv.Conns(); len(cs) != 1 || cs[0].Pings < 12 || len(cs[0].Received) != 0 {
		t.Fatalf("server side %+v", cs)
	}
}

func TestMessagesArriveWithTheirChannel(t *testing.T) {
	t.Parallel()
	e, rec, c := openClient(t)
	if n := e.srv.Push(e.user, 3, "EVT_DB_UPDATE:M1"); n != 1 {
		t.Fatalf("push reached %d sockets", n)
	}
	msgs := expect(t, rec, wait, core.EventMessage, core.EventMessage, core.EventMessage)
	for i, m := range msgs {
		if m.channel != "EVT_DB_UPDATE:M1" || !strings.Contains(m.data, fmt.Sprintf(`"n":%d,`, i+1)) {
			t.Fatalf("message %d: %s", i, m)
		}
	}
	// What we send on a channel comes back (the server echoes it).
	if err := c.Send([]byte(`{"channel":"chat","text":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	m := expect(t, rec, wait, core.EventMessage)[0]
	if m.channel != "chat" || m.data != `{"channel":"chat","text":"hi"}` {
		t.Fatalf("echo: %s", m)
	}
	if s := c.Stats(); s.FramesIn != 4 || s.FramesOut != 1 || s.BytesOut != uint64(len(m.data)) {
		t.Fatalf("stats %+v", s)
	}
}

// kissjsPublishes are frames KissJS JSON.parses and publishes: the first on
// its channel, the rest (no channel: an array, scalars, the JSON string
// "pong" with its quotes) to "*" subscribers only.
var kissjsPublishes = []string{`{"channel":"ok","n":1}`, `{"n":2}`, `[1,{"channel":"in"}]`, `42`, `"pong"`, `"text"`, `false`}

func TestMalformedFramesAreCountedLoggedAndSkipped(t *testing.T) {
	t.Parallel()
	bad := []struct {
		typ  websocket.MessageType
		data string
	}{
		{websocket.MessageBinary, `{"channel":"bin"}`},
		{websocket.MessageText, "hello"},
		{websocket.MessageText, "null"},
		{websocket.MessageText, `{"channel":3}`},
		{websocket.MessageText, "PONG"},
	}
	url := rawServer(t, func(ctx context.Context, ws *websocket.Conn) {
		for _, f := range bad {
			if ws.Write(ctx, f.typ, []byte(f.data)) != nil {
				return
			}
		}
		for _, good := range kissjsPublishes {
			ws.Write(ctx, websocket.MessageText, []byte(good))
		}
		ws.Read(ctx) // until the client closes
	})
	rec := newRecorder()
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
		OnEvent: rec.add, Log: rec.log})
	t.Cleanup(func() { shutdown(t, c) })
	connected(t, c, rec, fast())
	kinds := make([]core.EventKind, len(kissjsPublishes))
	for i := range kinds {
		kinds[i] = core.EventMessage
	}
	msgs := expect(t, rec, wait, kinds...)
	if msgs[0].channel != "ok" || !msgs[0].hasChannel {
		t.Fatalf("first good message: %s", msgs[0])
	}
	for i, m := range msgs[1:] {
		if m.data != kissjsPublishes[i+1] || m.hasChannel {
			t.Fatalf("message without a channel: %s, want %s", m, kissjsPublishes[i+1])
		}
	}
	if s := c.Stats(); s.Dropped != uint64(len(bad)) || s.FramesIn != uint64(len(bad)+len(kissjsPublishes)) {
		t.Fatalf("stats %+v, want %d dropped", s, len(bad))
	}
	logs := rec.logLines()
	if len(logs) != len(bad) {
		t.Fatalf("%d log lines, want %d: %q", len(logs), len(bad), logs)
	}
	for _, l := range logs {
		if !strings.Contains(l, "dropped") {
			t.Fatalf("log line %q", l)
		}
	}
}

// closedByServer connects, has the server close every socket with code,
// and returns what follows.
func closedByServer(t *testing.T, code int, reason string) (*kissEnv, *recorder, *core.Client) {
	t.Helper()
	e, rec, c := openClient(t)
	e.srv.CloseAll(code, reason)
	return e, rec, c
}

// stopped asserts the client stays stopped: no event, no upgrade.
//
// Closed with its goroutines gone, the client has nothing left that could
// start an attempt (a stale timer is inert by generation), so there is no
// need to wait and see; TestTimingNothingAfterClose shows it in bubble time.
func stopped(t *testing.T, e *kissEnv, rec *recorder, c *core.Client, upgrades int) {
	t.Helper()
	waited(t, c, wait)
	if s := c.State(); s != core.StateClosed {
		t.Fatalf("state %v, want closed", s)
	}
	if n := e.srv.Upgrades(e.user); n != upgrades {
		t.Fatalf("%d upgrades, want %d", n, upgrades)
	}
}

func TestClose4002IsConnectionLostAndStops(t *testing.T) {
	t.Parallel()
	e, rec, c := closedByServer(t, core.CodeTooManySockets, "TOO_MANY_SOCKETS")
	g := expect(t, rec, wait, core.EventClose, core.EventConnectionLost)
	if g[0].Close.Code != 4002 || g[0].Close.Reason != "TOO_MANY_SOCKETS" || !g[0].Close.WasClean || g[1].Close.Code != 4002 {
		t.Fatalf("events %v", g)
	}
	if c.Resumable() {
		t.Fatal("4002 is not an exhausted round: Reconnect must not resume it")
	}
	stopped(t, e, rec, c, 1)
	if s := c.Stats(); s.LastCloseCode != 4002 || s.LastCloseReason != "TOO_MANY_SOCKETS" || !s.LastCloseClean {
		t.Fatalf("stats %+v", s)
	}
}

// A handover (shared mode) is a typed call, never a close code: a server
// that closes with the code the loader once forged for it (4900) gets an
// ordinary close, which with reconnection off stops the client.
func TestACloseCodeIsNeverAHandover(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Reconnection.Enabled = false
	e, rec, c := openClientCfg(t, cfg)
	e.srv.CloseAll(4900, "HANDOVER")
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected)
	if g[0].Close.Code != 4900 {
		t.Fatalf("events %v", g)
	}
	stopped(t, e, rec, c, 1)
}

func TestClose4003IsConnectionClosedAndStops(t *testing.T) {
	t.Parallel()
	e, rec, c := closedByServer(t, core.CodeDefinitiveClose, "DEFINITIVE_CLOSE")
	g := expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	if g[1].Close.Code != 4003 {
		t.Fatalf("events %v", g)
	}
	c.Reconnect() // does nothing after a definitive close
	stopped(t, e, rec, c, 1)
}

func TestClose1001IsServerGoneThenReconnects(t *testing.T) {
	t.Parallel()
	e, rec, _ := openClient(t)
	e.srv.GoAway(0)
	g := expect(t, rec, wait, core.EventClose, core.EventServerGone, core.EventDisconnected,
		core.EventReconnecting, core.EventReconnected)
	if g[0].Close.Code != 1001 || g[1].Close.Code != 1001 || g[3].Attempt != 1 {
		t.Fatalf("events %v", g)
	}
	wantUpgrades(t, e, 2)
}

func TestGoAwayWithRefusalReconnectsAfterTheRestart(t *testing.T) {
	t.Parallel()
	e, rec, _ := openClient(t)
	// A restart: upgrades refused with 503 until the test ends it, once the
	// client has hit the refusal (a window of 150 ms could close before a
	// loaded machine's first attempt, which then never saw a refusal).
	e.srv.GoAway(time.Hour)
	waitFor(t, rec, core.EventServerGone, wait)
	eventually(t, wait, "the refused upgrade's token check", func() bool { return e.checks.Load() >= 1 })
	e.srv.RefuseUpgrades(0, 0)
	waitFor(t, rec, core.EventReconnected, wait)
	keptGoingWithOneCheck(t, e, rec, "a restart")
}

func TestRefusedUpgradeWithRevokedTokenIsUnusable(t *testing.T) {
	t.Parallel()
	e, rec, c := openClient(t)
	e.srv.RevokeToken(e.token())
	e.srv.CloseAll(1000, "restart")
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting,
		core.EventClose, core.EventUnusableToken)
	if g[3].Close.Code != core.CodeAbnormal || g[3].Close.Reason != "" || g[3].Close.WasClean {
		t.Fatalf("a refused upgrade must read as 1006 with no reason: %v", g[3])
	}
	if r := result(t, g[2].Result, time.Second); r != core.ResultFailed {
		t.Fatalf("refused attempt: %v", r)
	}
	if n := e.checks.Load(); n != 1 {
		t.Fatalf("%d token checks, want 1", n)
	}
	stopped(t, e, rec, c, 1)
}

func TestExpiredTokenIsRefreshedAndTheNewOneUsed(t *testing.T) {
	t.Parallel()
	e, rec, _ := openClient(t)
	old := e.token()
	e.srv.ExpireToken(old)
	e.srv.CloseAll(1000, "restart")
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting,
		core.EventClose, core.EventReconnecting, core.EventReconnected)
	if g[2].Attempt != 1 || g[4].Attempt != 2 || g[3].Close.Code != core.CodeAbnormal {
		t.Fatalf("events %v", g)
	}
	if e.token() == old {
		t.Fatal("the checker did not refresh the token")
	}
	if n := e.checks.Load(); n != 1 {
		t.Fatalf("%d token checks, want 1", n)
	}
	if n := e.srv.Upgrades(e.user); n != 2 {
		t.Fatalf("%d upgrades, want 2 (the second with the new token)", n)
	}
}

func TestTokenCheckNetworkErrorKeepsReconnectingAndChecksOnce(t *testing.T) {
	t.Parallel()
	e, rec, _ := openClient(t)
	e.pointCheckerAt(closedPort(t)) // the auth server is down too
	e.goDown()
	_, ok := rec.await(wait, func(p []got) int {
		for i, g := range p {
			if g.Kind == core.EventReconnecting && g.Attempt >= 4 {
				return i
			}
		}
		return -1
	})
	if !ok {
		t.Fatalf("no 4th reconnection; events:%s", rec.dump())
	}
	e.comeBack(t, rec)
	keptGoingWithOneCheck(t, e, rec, "a failed token check")
}

func TestDropIsDisconnectedThenReconnectingThenReconnected(t *testing.T) {
	t.Parallel()
	e, rec, c := openClient(t)
	e.srv.DropAll()
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting, core.EventReconnected)
	if g[1].Close.Code != core.CodeAbnormal || g[1].Close.WasClean {
		t.Fatalf("a dropped TCP connection must read as an unclean 1006: %v", g[1])
	}
	if g[2].Attempt != 1 || g[2].Delay != fast().Reconnection.Delay {
		t.Fatalf("reconnecting %v", g[2])
	}
	if r := result(t, g[2].Result, time.Second); r != core.ResultOpened {
		t.Fatalf("reconnection result %v", r)
	}
	if s := c.Stats(); s.State != core.StateOpen || s.Attempt != 0 || s.Attempts != 2 || s.LastCloseCode != 1006 {
		t.Fatalf("stats %+v", s)
	}
}

func TestReconnectedResetsTheAttemptCounter(t *testing.T) {
	t.Parallel()
	e, rec, c := openClient(t)
	e.goDown()
	waitFor(t, rec, core.EventReconnecting, wait)
	g := waitFor(t, rec, core.EventReconnecting, wait)
	if g.Attempt != 2 {
		t.Fatalf("second reconnection %v", g)
	}
	e.comeBack(t, rec)
	if s := c.Stats(); s.Attempt != 0 {
		t.Fatalf("attempt %d after reconnecting, want 0", s.Attempt)
	}
	e.srv.DropAll()
	g = waitFor(t, rec, core.EventReconnecting, wait)
	if g.Attempt != 1 {
		t.Fatalf("first reconnection of the next outage: %v, want attempt 1", g)
	}
	waitFor(t, rec, core.EventReconnected, wait)
}

func TestFirstAttemptFailureResolvesFalse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec)
	e.srv.RefuseUpgrades(503, 0)
	res := start(t, c, fast())
	if r := result(t, res, wait); r != core.ResultFailed {
		t.Fatalf("first attempt: %v, want failed (false)", r)
	}
	// KissJS resolves false instead of EVT_DISCONNECTED, then reconnects.
	g := expect(t, rec, wait, core.EventClose, core.EventReconnecting)
	if g[0].Close.Code != core.CodeAbnormal || g[1].Attempt != 1 {
		t.Fatalf("events %v", g)
	}
	e.comeBack(t, rec)
	for _, g := range rec.all() {
		if g.Kind == core.EventDisconnected || g.Kind == core.EventConnected {
			t.Fatalf("a socket that never opened is not disconnected; events:%s", rec.dump())
		}
	}
}

func TestPastMaxAttemptsIsConnectionLostAndKickGivesOneMoreRound(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Reconnection.MaxAttempts = 2
	e, rec, c := openClientCfg(t, cfg)
	e.goDown()
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected,
		core.EventReconnecting, core.EventClose, core.EventReconnecting, core.EventClose, core.EventConnectionLost)
	if g[2].Attempt != 1 || g[4].Attempt != 2 {
		t.Fatalf("events %v", g)
	}
	if !c.Resumable() {
		t.Fatal("exhausted: Reconnect must be able to resume")
	}
	stopped(t, e, rec, c, 1)
	if n := c.Stats().Attempts; n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	// The browser came back online: one more round, at once.
	c.Reconnect()
	g = expect(t, rec, wait, core.EventReconnecting, core.EventClose,
		core.EventReconnecting, core.EventClose, core.EventReconnecting, core.EventClose, core.EventConnectionLost)
	if g[0].Delay != 0 || g[0].Attempt != 0 || g[2].Attempt != 1 || g[4].Attempt != 2 {
		t.Fatalf("second round %v", g)
	}
	e.srv.RefuseUpgrades(0, 0)
	c.Reconnect()
	g = expect(t, rec, wait, core.EventReconnecting, core.EventReconnected)
	if c.Resumable() || c.State() != core.StateOpen {
		t.Fatalf("state %v after reconnecting", c.State())
	}
	if n := c.Stats().Attempts; n != 7 {
		t.Fatalf("%d attempts, want 7", n)
	}
}

func TestReconnectingResultTellsHowThatAttemptEnded(t *testing.T) {
	t.Parallel()
	e, rec, _ := openClient(t)
	e.goDown()
	first := waitFor(t, rec, core.EventReconnecting, wait)
	if r := result(t, first.Result, wait); r != core.ResultFailed {
		t.Fatalf("refused attempt: %v, want failed", r)
	}
	e.comeBack(t, rec)
	var lastAttempt got
	for _, g := range rec.all() {
		if g.Kind == core.EventReconnecting {
			lastAttempt = g
		}
	}
	if r := result(t, lastAttempt.Result, wait); r != core.ResultOpened {
		t.Fatalf("successful attempt: %v, want opened", r)
	}
}

func TestReconnectionDisabledStopsAfterDisconnected(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Reconnection.Enabled = false
	e, rec, c := openClientCfg(t, cfg)
	e.srv.DropAll()
	expect(t, rec, wait, core.EventClose, core.EventDisconnected)
	stopped(t, e, rec, c, 1)
	if c.Resumable() {
		t.Fatal("nothing to resume when reconnection is off")
	}
}

func TestCloseRightAfterOpenReportsTheCleanClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec)
	// Right after open our reader may not be reading yet; the closing
	// handshake must still be reported as the browser reports it.
	for i := range 20 {
		connected(t, c, rec, fast())
		c.Close()
		g := expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
		if ce := g[0].Close; ce.Code != core.CodeDefinitiveClose || ce.Reason != "DEFINITIVE_CLOSE" || !ce.WasClean {
			t.Fatalf("round %d: closed with %v", i, g[0])
		}
		if s := c.Stats(); s.LastCloseCode != core.CodeDefinitiveClose || !s.LastCloseClean {
			t.Fatalf("round %d: stats %+v", i, s)
		}
	}
}

func TestMessagesBehindASlowHookKeepTheirOrderAndContent(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	url := rawServer(t, func(ctx context.Context, ws *websocket.Conn) {
		if conns.Add(1) == 1 {
			ws.Close(1000, "") // makes the client reconnect
			return
		}
		// Sent at once: they arrive while EVT_RECONNECTING is still being
		// delivered, so they queue behind it and EVT_RECONNECTED.
		ws.Write(ctx, websocket.MessageText, []byte(`{"x":{"channel":1},"channel":"a\"b","n":1}`))
		ws.Write(ctx, websocket.MessageText, []byte(`{"channel":"second","n":2}`))
		ws.Read(ctx)
	})
	rec := newRecorder()
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
		Rand: func() float64 { return 0 },
		OnEvent: func(e core.Event) {
			rec.add(e)
			if e.Kind == core.EventReconnecting {
				time.Sleep(150 * time.Millisecond) // a slow EVT_RECONNECTING subscriber
			}
		}})
	t.Cleanup(func() { shutdown(t, c) })
	connected(t, c, rec, fast())
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting,
		core.EventReconnected, core.EventMessage, core.EventMessage)
	if g[4].channel != `a"b` || g[4].data != `{"x":{"channel":1},"channel":"a\"b","n":1}` {
		t.Fatalf("first message %s", g[4])
	}
	if g[5].channel != "second" || g[5].data != `{"channel":"second","n":2}` {
		t.Fatalf("second message %s", g[5])
	}
}

func TestOfflineHoldsAttemptsUntilOnline(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Reconnection.MaxAttempts = 2
	e, rec, c := openClientCfg(t, cfg)
	c.Offline()
	e.srv.DropAll()
	expect(t, rec, wait, core.EventClose, core.EventDisconnected)
	// the retry falls due while offline and is held: no attempt is spent
	eventually(t, wait, "the retry held", func() bool {
		s := c.Stats()
		return s.State == core.StateReconnecting && s.NextDelay == 0
	})
	if s := c.Stats(); s.State != core.StateReconnecting || s.Attempts != 1 || s.Attempt != 1 {
		t.Fatalf("offline: %+v", s)
	}
	c.Reconnect() // online
	expect(t, rec, wait, core.EventReconnecting, core.EventReconnected)
}

// keptGoingWithOneCheck fails unless the outage behind us neither stopped
// the client nor checked the token more than once.
func keptGoingWithOneCheck(t *testing.T, e *kissEnv, rec *recorder, what string) {
	t.Helper()
	for _, g := range rec.all() {
		if g.Kind == core.EventUnusableToken || g.Kind == core.EventConnectionLost {
			t.Fatalf("%s must not stop the client; events:%s", what, rec.dump())
		}
	}
	if n := e.checks.Load(); n != 1 {
		t.Fatalf("%d token checks in one outage, want 1", n)
	}
}
