//go:build !js

package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The tests in this file pin down the KissJS defects we fix
// (docs/kissjs-behaviour.md, "Where our build differs on purpose") and what
// we add.

func TestSendWhileDisconnectedQueuesAndDeliversEachOnceInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec)
	msg := func(i int) string { return fmt.Sprintf(`{"channel":"q","n":%d}`, i) }
	var want []string
	send := func(i int) {
		t.Helper()
		if err := c.Send([]byte(msg(i))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		want = append(want, msg(i))
	}
	start(t, c, fast())
	send(0) // while connecting: KissJS threw InvalidStateError
	waitFor(t, rec, core.EventConnected, wait)
	// Its echo tells it reached the server before we cut the connection (a
	// frame still in flight when TCP dies is lost; there are no acks).
	if m := waitFor(t, rec, core.EventMessage, wait); m.data != msg(0) {
		t.Fatalf("echo %s", m)
	}

	e.goDown()
	waitFor(t, rec, core.EventDisconnected, wait)
	for i := 1; i <= 50; i++ {
		send(i) // while reconnecting: KissJS dropped them silently
	}
	if s := c.Stats(); s.Queued != 50 || s.QueuedBytes != len(strings.Join(want[1:], "")) {
		t.Fatalf("stats %+v, want 50 queued", s)
	}
	waitFor(t, rec, core.EventReconnecting, wait) // at least one refused attempt
	e.comeBack(t, rec)
	send(51) // live again
	got := receivedUpToSentinel(t, e, c)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the server received\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := c.Stats(); s.Queued != 0 || s.QueuedBytes != 0 || s.Refused != 0 {
		t.Fatalf("stats %+v", s)
	}
	// The server echoes each one back, in order too.
	for i := 1; i <= 51; i++ {
		m := waitFor(t, rec, core.EventMessage, wait)
		if m.data != msg(i) {
			t.Fatalf("echo %d: %s", i, m)
		}
	}
}

// receivedUpToSentinel sends a sentinel on c's open socket and returns what
// the server received before it. A socket delivers in order, so anything
// sent before the sentinel (a duplicate included) is there by then: no
// sleep to wait for what should not come.
func receivedUpToSentinel(t *testing.T, e *kissEnv, c *core.Client) []string {
	t.Helper()
	const sentinel = `"sentinel"`
	if err := c.Send([]byte(sentinel)); err != nil {
		t.Fatal(err)
	}
	var got []string
	eventually(t, wait, "the sentinel at the server", func() bool {
		got = e.srv.Received(e.user)
		return len(got) > 0 && got[len(got)-1] == sentinel
	})
	return got[:len(got)-1]
}

func TestFullOutboxRefusesTheSend(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Outbox = core.OutboxLimits{MaxMessages: 3, MaxBytes: 24}
	e, rec, c := openClientCfg(t, cfg)
	e.goDown()
	waitFor(t, rec, core.EventDisconnected, wait)
	for _, m := range []string{`"a"`, `"b"`} {
		if err := c.Send([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Send([]byte(`"this is far too long"`)); !errors.Is(err, core.ErrOutboxFull) {
		t.Fatalf("past maxBytes: %v, want ErrOutboxFull", err)
	}
	if err := c.Send([]byte(`"c"`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Send([]byte(`"d"`)); !errors.Is(err, core.ErrOutboxFull) {
		t.Fatalf("past maxMessages: %v, want ErrOutboxFull", err)
	}
	if s := c.Stats(); s.Refused != 2 || s.Queued != 3 || s.QueuedBytes != 9 {
		t.Fatalf("stats %+v", s)
	}
	e.comeBack(t, rec)
	if got := strings.Join(receivedUpToSentinel(t, e, c), ","); got != `"a","b","c"` {
		t.Fatalf("server received %s", got)
	}
}

func TestStartWorksAgainAfterEveryDefinitiveStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec)
	again := func(after string) {
		t.Helper()
		if r := result(t, start(t, c, fast()), wait); r != core.ResultOpened {
			t.Fatalf("Start after %s: %v; events:%s", after, r, rec.dump())
		}
		expect(t, rec, wait, core.EventConnected)
	}
	connected(t, c, rec, fast())

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	again("close()")

	e.srv.CloseAll(core.CodeDefinitiveClose, "DEFINITIVE_CLOSE")
	expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	again("a server 4003")

	e.srv.CloseAll(core.CodeTooManySockets, "")
	expect(t, rec, wait, core.EventClose, core.EventConnectionLost)
	again("4002")

	e.srv.RevokeToken(e.token())
	e.srv.DropAll()
	expect(t, rec, wait, core.EventClose, core.EventUnusableToken)
	e.mu.Lock()
	e.sess = e.srv.Login(e.user) // logged in again
	e.mu.Unlock()
	again("an unusable token")
	wantUpgrades(t, e, 5)
}

func TestFreshStartAfterReconnectionReportsConnected(t *testing.T) {
	t.Parallel()
	e, rec, c := openClient(t)
	e.srv.DropAll()
	waitFor(t, rec, core.EventReconnected, wait)
	c.Close()
	waitFor(t, rec, core.EventConnectionClosed, wait)
	start(t, c, fast())
	expect(t, rec, wait, core.EventConnected) // KissJS: EVT_RECONNECTED

	// The same when the close came between two attempts.
	e.goDown()
	waitFor(t, rec, core.EventReconnecting, wait)
	c.Close()
	waitFor(t, rec, core.EventConnectionClosed, wait)
	e.srv.RefuseUpgrades(0, 0)
	start(t, c, fast())
	expect(t, rec, wait, core.EventConnected)
	if s := c.Stats(); s.Attempt != 0 {
		t.Fatalf("attempt %d", s.Attempt)
	}

	// And when init() is called between two automatic attempts.
	slow := fast()
	slow.Reconnection.Delay = 500 * time.Millisecond
	c.Close()
	waitFor(t, rec, core.EventConnectionClosed, wait)
	connected(t, c, rec, slow)
	e.goDown()
	g := waitFor(t, rec, core.EventReconnecting, wait)
	if r := result(t, g.Result, wait); r != core.ResultFailed {
		t.Fatalf("refused reconnection: %v", r)
	}
	e.srv.RefuseUpgrades(0, 0)
	if r := result(t, start(t, c, slow), wait); r != core.ResultOpened {
		t.Fatalf("Start between attempts: %v", r)
	}
	waitFor(t, rec, core.EventClose, wait)
	expect(t, rec, wait, core.EventConnected)
}

// failingFlush wraps the native dialer: on its second socket, writing fail
// fails and closes that socket, as a write error does.
type failingFlush struct {
	core.Dialer
	fail  string
	dials atomic.Int32
}

type failingConn struct {
	core.Conn
	fail string
}

func (d *failingFlush) Dial(ctx core.Context, url string) (core.Conn, error) {
	c, err := d.Dialer.Dial(ctx, url)
	if err != nil || d.dials.Add(1) != 2 {
		return c, err
	}
	return &failingConn{Conn: c, fail: d.fail}, nil
}

func (c *failingConn) WriteText(data []byte) error {
	if string(data) == c.fail {
		c.Conn.Close(1011, "write failed")
		return errors.New("write failed")
	}
	return c.Conn.WriteText(data)
}

func TestFlushCutShortKeepsTheRestInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	msg := func(i int) string { return fmt.Sprintf(`{"channel":"q","n":%d}`, i) }
	d := &failingFlush{Dialer: core.NativeDialer{HTTPClient: e.hc}, fail: msg(3)}
	c := e.client(t, rec, func(o *core.Options) { o.Dialer = d })
	connected(t, c, rec, fast())
	e.goDown()
	waitFor(t, rec, core.EventDisconnected, wait)
	var want []string
	for i := 1; i <= 5; i++ {
		if err := c.Send([]byte(msg(i))); err != nil {
			t.Fatal(err)
		}
		want = append(want, msg(i))
	}
	e.srv.RefuseUpgrades(0, 0)
	// The second socket takes 1 and 2, fails on 3 and closes; the third
	// socket gets 3, 4 and 5.
	waitFor(t, rec, core.EventReconnected, wait)
	waitFor(t, rec, core.EventReconnected, wait)
	if got := receivedUpToSentinel(t, e, c); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("server received %v, want %v", got, want)
	}
	wantUpgrades(t, e, 3)
}

func TestNoTimerFiresAfterClose(t *testing.T) {
	t.Parallel()
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rec := newRecorder()
		c := e.client(t, rec)
		cfg := fast()
		cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 20 * time.Millisecond, Timeout: 250 * time.Millisecond}
		connected(t, c, rec, cfg)
		eventually(t, wait, "2 pings", func() bool { cs := e.srv.Conns(); return len(cs) == 1 && cs[0].Pings >= 2 })
		c.Close()
		expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
		// No ping after close: TestTimingNothingAfterClose proves it in
		// bubble time; here the real socket's close sequence.
		waited(t, c, time.Second)
		if n := e.srv.Upgrades(e.user); n != 1 || c.State() != core.StateClosed {
			t.Fatalf("%d upgrades, state %v", n, c.State())
		}
	})
	t.Run("waiting", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rec := newRecorder()
		c := e.client(t, rec)
		cfg := fast()
		// Long enough that a loaded machine still reads the stats between
		// the attempts (150 ms was not, 1 in 228 under make stress).
		cfg.Reconnection.Delay = time.Second
		connected(t, c, rec, cfg)
		e.srv.CloseAll(1000, "")
		expect(t, rec, wait, core.EventClose, core.EventDisconnected)
		if s := c.Stats(); s.State != core.StateReconnecting || s.NextDelay != time.Second || s.Attempt != 1 {
			t.Fatalf("stats between attempts %+v", s)
		}
		c.Close()
		expect(t, rec, wait, core.EventConnectionClosed)
		waited(t, c, time.Second)
		if n := e.srv.Upgrades(e.user); n != 1 || c.Stats().Attempts != 1 {
			t.Fatalf("%d upgrades, %d attempts after close", n, c.Stats().Attempts)
		}
	})
	t.Run("connecting", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder()
		url := hungListener(t)
		c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
			OnEvent: rec.add})
		t.Cleanup(func() { shutdown(t, c) })
		res := start(t, c, fast())
		c.Close()
		g := expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
		if g[0].Close.Code != core.CodeDefinitiveClose {
			t.Fatalf("events %v", g)
		}
		if r := result(t, res, time.Second); r != core.ResultFailed {
			t.Fatalf("closed attempt %v", r)
		}
		waited(t, c, time.Second) // the dial was cancelled
	})
	t.Run("checking the token", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		rec := newRecorder()
		c := e.client(t, rec)
		connected(t, c, rec, fast())
		e.pointCheckerAt("http" + strings.TrimPrefix(hungListener(t), "ws")) // never answers
		e.srv.DropAll()
		expect(t, rec, wait, core.EventClose)
		eventually(t, wait, "the token check", func() bool { return e.checks.Load() == 1 })
		c.Close()
		expect(t, rec, wait, core.EventConnectionClosed)
		waited(t, c, time.Second) // the check was cancelled
		if n := e.srv.Upgrades(e.user); n != 1 {
			t.Fatalf("%d upgrades", n)
		}
	})
}

// waited asserts that c.Wait returns within d.
func waited(t *testing.T, c *core.Client, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Wait did not return within %v", d)
	}
}

func TestHalfOpenSocketIsDroppedAtTheHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 50 * time.Millisecond, Timeout: 300 * time.Millisecond}
	cfg.Reconnection.Delay = 100 * time.Millisecond
	e, rec, c := openClientCfg(t, cfg)
	eventually(t, wait, "a pong", func() bool { return c.Stats().RTT > 0 })
	stalled := time.Now()
	e.srv.Stall(true) // the server hangs: no pong, no closing handshake
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected)
	took := time.Since(stalled)
	e.srv.Stall(false)
	if g[1].Close.Code != core.CodeNotResponding || g[1].Close.Reason != "SERVER_NOT_RESPONDING" {
		t.Fatalf("events %v", g)
	}
	// The next ping is due within 50 ms and its timeout 300 ms later; a
	// closing handshake with a hung server would take 5 s (60 s in a browser).
	if took < 250*time.Millisecond || took > 2*time.Second {
		t.Fatalf("detected after %v, want about 300-350 ms", took)
	}
	waitFor(t, rec, core.EventReconnected, wait)
	// The server answers again: the new socket outlives a heartbeat timeout.
	eventually(t, wait, "8 pings on an open socket", func() bool {
		cs := e.srv.Conns()
		return len(cs) >= 2 && cs[len(cs)-1].Open && cs[len(cs)-1].Pings >= 8
	})
	if c.State() != core.StateOpen {
		t.Fatalf("state %v; events:%s", c.State(), rec.dump())
	}
}

func TestConnectTimeoutAbandonsAHungHandshake(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	url := hungListener(t)
	var checks atomic.Int32
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return url, nil },
		OnEvent: rec.add, Rand: func() float64 { return 0 },
		CheckToken: func(core.Context, string) core.TokenStatus { checks.Add(1); return core.TokenValid }})
	t.Cleanup(func() { shutdown(t, c) })
	cfg := fast()
	cfg.ConnectTimeout = 150 * time.Millisecond
	cfg.Reconnection.MaxAttempts = 1
	began := time.Now()
	res := start(t, c, cfg)
	if r := result(t, res, wait); r != core.ResultFailed {
		t.Fatalf("hung handshake: %v", r)
	}
	if took := time.Since(began); took < 150*time.Millisecond || took > 1500*time.Millisecond {
		t.Fatalf("gave up after %v, want about 150 ms", took)
	}
	g := expect(t, rec, wait, core.EventClose, core.EventReconnecting, core.EventClose, core.EventConnectionLost)
	for _, i := range []int{0, 2, 3} {
		if ce := g[i].Close; ce.Code != core.CodeAbnormal || ce.Reason != "CONNECT_TIMEOUT" {
			t.Fatalf("event %d: %v", i, g[i])
		}
	}
	// A timeout is no refused upgrade: nothing to ask about the token.
	if n := checks.Load(); n != 0 {
		t.Fatalf("%d token checks", n)
	}
}

func TestJitterAppliesToEveryAutomaticReconnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	rnds := []float64{0.9, 0.5, 0.25, 0.75, 0.1, 0.6}
	var calls atomic.Int32
	c := e.client(t, rec, func(o *core.Options) {
		o.Rand = func() float64 { return rnds[int(calls.Add(1)-1)%len(rnds)] }
	})
	cfg := fast()
	cfg.Reconnection.Delay, cfg.Reconnection.Delta, cfg.Reconnection.Factor = 10*time.Millisecond, 2, 2
	connected(t, c, rec, cfg)
	outages := []struct {
		name  string
		cause func()
	}{
		{"drop (1006)", e.srv.DropAll},
		{"normal close (1000)", func() { e.srv.CloseAll(1000, "") }},
		{"going away (1001)", func() { e.srv.GoAway(0) }},
		{"internal error (1011)", func() { e.srv.CloseAll(1011, "boom") }},
		{"a refused attempt, then the next", e.goDown},
	}
	i := 0
	for _, o := range outages {
		o.cause()
		for {
			g := waitFor(t, rec, core.EventReconnecting, wait)
			want := cfg.Reconnection.NextDelay(g.Attempt, rnds[i%len(rnds)])
			if g.Delay != want {
				t.Fatalf("%s, attempt %d: delay %v, want %v (rnd %v)", o.name, g.Attempt, g.Delay, want, rnds[i%len(rnds)])
			}
			i++
			if result(t, g.Result, wait) == core.ResultOpened {
				break
			}
			e.srv.RefuseUpgrades(0, 0) // attempt 2 will succeed
		}
		waitFor(t, rec, core.EventReconnected, wait)
	}
	if i < len(outages)+1 {
		t.Fatalf("%d reconnections, want at least %d", i, len(outages)+1)
	}
	if n := int(calls.Load()); n != i {
		t.Fatalf("%d random numbers for %d reconnections", n, i)
	}
}

func TestSendAndCloseBeforeStart(t *testing.T) {
	t.Parallel()
	c := core.New(core.Options{Dialer: core.NativeDialer{}, URL: func(core.Config) (string, error) { return "ws://127.0.0.1:1/", nil }})
	if err := c.Send([]byte(`{}`)); !errors.Is(err, core.ErrSendBeforeInit) {
		t.Fatalf("Send before Start: %v", err)
	}
	if err := c.Close(); !errors.Is(err, core.ErrCloseBeforeInit) {
		t.Fatalf("Close before Start: %v", err)
	}
	c.Reconnect()
	bad := fast()
	bad.Heartbeat.Enabled, bad.Heartbeat.Timeout = true, 0
	var ce *core.ConfigError
	if _, _, err := c.Start(bad); !errors.As(err, &ce) || ce.Field != "heartbeat.timeout" {
		t.Fatalf("Start with a bad config: %v", err)
	}
	if s := c.Stats(); s.State != core.StateIdle || s.State.ReadyState() != -1 || s.Attempts != 0 {
		t.Fatalf("stats %+v", s)
	}
	if err := c.Send([]byte(`{}`)); !errors.Is(err, core.ErrSendBeforeInit) {
		t.Fatalf("Send after a rejected Start: %v", err)
	}
	c.Wait()
}

func TestURLErrorCountsAsAFailedAttempt(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	c := core.New(core.Options{Dialer: core.NativeDialer{}, OnEvent: rec.add,
		URL: func(core.Config) (string, error) { return "", errors.New("no session") }})
	t.Cleanup(func() { shutdown(t, c) })
	cfg := fast()
	cfg.Reconnection.Enabled = false
	if r := result(t, start(t, c, cfg), wait); r != core.ResultFailed {
		t.Fatalf("result %v", r)
	}
	expect(t, rec, wait, core.EventClose)
	if c.State() != core.StateClosed {
		t.Fatalf("state %v", c.State())
	}
}

func TestOnEventMayCallBackIntoTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	var c *core.Client
	c = e.client(t, rec, func(o *core.Options) {
		record := o.OnEvent
		o.OnEvent = func(ev core.Event) {
			record(ev)
			_ = c.Stats()
			switch {
			case ev.Kind == core.EventConnected:
				c.Send([]byte(`{"channel":"hook","step":1}`)) // from onopen
			case ev.Kind == core.EventMessage && strings.Contains(string(ev.Data), `"step":1`):
				c.Send([]byte(`{"channel":"hook","step":2}`)) // from onmessage
			case ev.Kind == core.EventMessage && strings.Contains(string(ev.Data), `"step":2`):
				c.Close() // close() from onmessage
			}
		}
	})
	start(t, c, fast())
	expect(t, rec, wait, core.EventConnected, core.EventMessage, core.EventMessage, core.EventClose, core.EventConnectionClosed)
	if rec.overlap.Load() {
		t.Fatal("OnEvent ran concurrently with itself")
	}
}

// slowWrites wraps the native dialer: the first write of hold on any of its
// sockets blocks until release is closed, as a write to a dying socket can.
type slowWrites struct {
	core.Dialer
	hold    string
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

type slowConn struct {
	core.Conn
	d *slowWrites
}

func (d *slowWrites) Dial(ctx core.Context, url string) (core.Conn, error) {
	c, err := d.Dialer.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &slowConn{Conn: c, d: d}, nil
}

func (c *slowConn) WriteText(data []byte) error {
	if string(data) == c.d.hold {
		c.d.once.Do(func() {
			close(c.d.entered)
			<-c.d.release
		})
	}
	return c.Conn.WriteText(data)
}

func TestSendRacingAReconnectionIsNotStranded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	const msg = `{"channel":"late","n":1}`
	d := &slowWrites{Dialer: core.NativeDialer{HTTPClient: e.hc}, hold: msg,
		entered: make(chan struct{}), release: make(chan struct{})}
	c := e.client(t, rec, func(o *core.Options) { o.Dialer = d })
	connected(t, c, rec, fast())
	sent := make(chan error, 1)
	go func() { sent <- c.Send([]byte(msg)) }()
	<-d.entered // the write is under way on the first socket...
	e.srv.DropAll()
	waitFor(t, rec, core.EventReconnected, wait) // ...which dies; a second one opens
	close(d.release)                             // now the first write fails
	if err := <-sent; err != nil {
		t.Fatalf("Send: %v", err)
	}
	eventually(t, 2*time.Second, "the message at the server", func() bool { return len(e.srv.Received(e.user)) == 1 })
	if s := c.Stats(); s.Queued != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// lateFirstDial wraps the native dialer: the first dial completes at the
// server whatever the client does, then hands its socket back only 100 ms
// after the client gave up on it, like a handshake answered just too late.
type lateFirstDial struct {
	core.Dialer
	once     sync.Once
	accepted chan struct{}
}

func (d *lateFirstDial) Dial(ctx core.Context, url string) (conn core.Conn, err error) {
	first := false
	d.once.Do(func() { first = true })
	if !first {
		return d.Dialer.Dial(ctx, url)
	}
	conn, err = d.Dialer.Dial(context.Background(), url) // not cancelled with the attempt
	close(d.accepted)
	<-ctx.Done()
	time.Sleep(100 * time.Millisecond)
	return conn, err
}

func TestSupersededDialIsDroppedBeforeTheNextOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	late := &lateFirstDial{Dialer: core.NativeDialer{HTTPClient: e.hc}, accepted: make(chan struct{})}
	d := &countingDialer{Dialer: late}
	c := e.client(t, rec, func(o *core.Options) { o.Dialer = d })
	first := start(t, c, fast())
	<-late.accepted // the server holds the socket; the client does not know yet
	c.Close()
	expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	if r := result(t, first, time.Second); r != core.ResultFailed {
		t.Fatalf("closed attempt: %v", r)
	}
	connected(t, c, rec, fast())
	if n := d.maxDials.Load(); n != 1 {
		t.Fatalf("%d dials in flight at once", n)
	}
	if n := d.maxLive.Load(); n != 1 {
		t.Fatalf("%d sockets alive at once on the client", n)
	}
	// Not asserted: the server's MaxSockets. The first socket is closed
	// before the second dial begins (the two counts above prove it), but
	// under load the server may read its FIN after registering the second.
	if n := e.srv.Upgrades(e.user); n != 2 {
		t.Fatalf("%d upgrades", n)
	}
	eventually(t, wait, "one open socket at the server", func() bool {
		open := 0
		for _, ci := range e.srv.Conns() {
			if ci.Open {
				open++
			}
		}
		return open == 1
	})
}

func TestDeadSocketIsDroppedBeforeTheNextDial(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	d := &countingDialer{Dialer: core.NativeDialer{HTTPClient: e.hc}}
	c := e.client(t, rec, func(o *core.Options) {
		o.Dialer = d
		record := o.OnEvent
		o.OnEvent = func(ev core.Event) {
			record(ev)
			if ev.Kind == core.EventDisconnected {
				time.Sleep(100 * time.Millisecond) // a slow hook
			}
		}
	})
	cfg := fast()
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 30 * time.Millisecond, Timeout: 90 * time.Millisecond}
	cfg.Reconnection.Delay = 0 // the next attempt is due at once
	connected(t, c, rec, cfg)
	e.srv.Stall(true)
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected)
	e.srv.Stall(false)
	if g[1].Close.Code != core.CodeNotResponding {
		t.Fatalf("events %v", g)
	}
	waitFor(t, rec, core.EventReconnected, wait)
	if n := d.maxLive.Load(); n != 1 {
		t.Fatalf("%d sockets alive at once on the client", n)
	}
}

func TestFramePastTheReadLimitClosesWith1009AndReconnects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec, func(o *core.Options) { o.Dialer = core.NativeDialer{HTTPClient: e.hc, ReadLimit: 1 << 10} })
	connected(t, c, rec, fast())
	e.srv.SendRaw(e.user, []byte(`{"channel":"big","pad":"`+strings.Repeat("x", 2<<10)+`"}`), false)
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting, core.EventReconnected)
	if g[0].Close == nil || g[0].Close.Code != 1009 {
		t.Fatalf("close %v", g[0])
	}
	e.srv.SendRaw(e.user, []byte(`{"channel":"after"}`), false)
	if m := waitFor(t, rec, core.EventMessage, wait); m.channel != "after" {
		t.Fatalf("next message %v", m)
	}
}
