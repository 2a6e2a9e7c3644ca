//go:build !js

package core_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

// The calls the client makes on its sockets are KissJS's, no more, no fewer
// (a page that wraps WebSocket sees them): these tests record them on real
// sockets to the test server, through an Opener that keeps a browser
// socket's readyState, and compare the record.

// callLog is an Opener whose sockets are real (NativeDialer) and log every
// call the client makes on them, with the readyState each call found.
type callLog struct {
	inner core.NativeDialer
	// hold, when set, keeps each socket's end unreported until it is
	// closed: as in a browser, where a close() and an init() in one task
	// both run before the socket's close event.
	hold chan struct{}
	// endHold, when set, keeps an open socket's end (its close event)
	// unreported until it is closed: the server's answer to a close frame
	// can come back on loopback before the test looks at the state.
	endHold chan struct{}

	mu    sync.Mutex
	calls []string
	n     int
}

var _ core.Opener = (*callLog)(nil)

func (d *callLog) Dial(ctx core.Context, url string) (core.Conn, error) {
	op, err := d.Open(url, "")
	if err != nil {
		return nil, err
	}
	return op.Wait(ctx)
}

func (d *callLog) Open(url, _ string) (core.Opening, error) {
	ctx, cancel := context.WithCancel(context.Background())
	d.mu.Lock()
	d.n++
	s := &callSock{d: d, n: d.n, cancel: cancel, done: make(chan struct{})}
	d.calls = append(d.calls, fmt.Sprintf("new#%d", s.n))
	d.mu.Unlock()
	go func() {
		defer close(s.done)
		conn, err := d.inner.Dial(ctx, url)
		if d.hold != nil {
			<-d.hold
		}
		s.mu.Lock()
		s.conn, s.err = conn, err
		if err == nil && s.rs == 0 {
			s.rs = 1
		}
		s.mu.Unlock()
	}()
	return s, nil
}

func (d *callLog) note(s string) {
	d.mu.Lock()
	d.calls = append(d.calls, s)
	d.mu.Unlock()
}

func (d *callLog) record() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

// callSock is one socket: readyState 0 connecting, 1 open, 2 closing (a
// close or an abort was called), 3 closed (its end was reported).
type callSock struct {
	d      *callLog
	n      int
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	rs   int
	conn core.Conn
	err  error
}

// Wait is the browser's: a socket closed while it connected never opens,
// and reports 1006.
func (s *callSock) Wait(ctx core.Context) (core.Conn, error) {
	select {
	case <-s.done:
	case <-ctx.Done():
		s.Abort()
		<-s.done
		s.ended()
		return nil, ctx.Err()
	}
	s.mu.Lock()
	conn, err, rs := s.conn, s.err, s.rs
	s.mu.Unlock()
	if err != nil || rs != 1 {
		if conn != nil {
			conn.Abort()
		}
		s.ended()
		return nil, &core.CloseError{Code: core.CodeAbnormal}
	}
	return s, nil
}

func (s *callSock) ended() {
	s.mu.Lock()
	s.rs = 3
	s.mu.Unlock()
}

// call logs a call and moves the socket to closing; it returns the real
// socket when it was open.
func (s *callSock) call(what string) core.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.note(fmt.Sprintf("%s#%d @%d", what, s.n, s.rs))
	switch s.rs {
	case 0:
		s.rs = 2
		s.cancel()
	case 1:
		s.rs = 2
		return s.conn
	}
	return nil
}

func (s *callSock) Close(code int, reason string) error {
	if conn := s.call(fmt.Sprintf("close(%d,%s)", code, reason)); conn != nil {
		return conn.Close(code, reason)
	}
	return nil
}

func (s *callSock) Abort() {
	if conn := s.call("abort"); conn != nil {
		conn.Abort()
	}
}

func (s *callSock) Serve(h core.Handler)        { s.conn.Serve(endHandler{h, s}) }
func (s *callSock) WriteText(data []byte) error { return s.conn.WriteText(data) }
func (s *callSock) Ping() error                 { return s.conn.Ping() }

// endHandler marks the socket closed when its end is reported.
type endHandler struct {
	core.Handler
	s *callSock
}

func (h endHandler) HandleClose(ce *core.CloseError) {
	if h.s.d.endHold != nil {
		<-h.s.d.endHold
	}
	h.s.ended()
	h.Handler.HandleClose(ce)
}

// callClient is a client of e that dials through a callLog; each returns
// the record so far.
func callClient(t *testing.T, e *kissEnv, rec *recorder, mods ...func(*core.Options)) (*core.Client, *callLog) {
	t.Helper()
	d := &callLog{inner: core.NativeDialer{HTTPClient: e.hc}}
	c := e.client(t, rec, append([]func(*core.Options){func(o *core.Options) { o.Dialer = d }}, mods...)...)
	return c, d
}

// settled waits until c is closed and its goroutines have ended: nothing
// can make another call on a socket after that.
func settled(t *testing.T, c *core.Client) {
	t.Helper()
	eventually(t, wait, "the client to be closed", func() bool { return c.State() == core.StateClosed })
	c.Wait()
}

func wantCalls(t *testing.T, d *callLog, want ...string) {
	t.Helper()
	if got := d.record(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls on the sockets:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const definitive = "close(4003,DEFINITIVE_CLOSE)"

func TestSocketCallsOpenThenClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, d := callClient(t, e, rec)
	if r := result(t, start(t, c, fast()), wait); r != core.ResultOpened {
		t.Fatalf("init: %v", r)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, rec, core.EventConnectionClosed, wait)
	settled(t, c)
	// A close() after the close was heard calls nothing: the socket is CLOSED.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The next init makes the next socket, and leaves the old one alone.
	if r := result(t, start(t, c, fast()), wait); r != core.ResultOpened {
		t.Fatalf("init after close: %v", r)
	}
	wantCalls(t, d, "new#1", definitive+"#1 @1", "new#2")
}

// kiss.session.logout() closes, then reset() closes again while the socket
// is closing: each close() reaches the socket, as KissJS's does.
func TestSocketCallsTwoClosesWhileClosing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, d := callClient(t, e, rec)
	connected(t, c, rec, fast())
	d.endHold = make(chan struct{})
	for range 2 {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.State(); s != core.StateClosing {
		t.Fatalf("state %v after two close(), want closing until the socket's close", s)
	}
	close(d.endHold) // the socket's close event is reported now
	waitFor(t, rec, core.EventConnectionClosed, wait)
	settled(t, c)
	wantCalls(t, d, "new#1", definitive+"#1 @1", definitive+"#1 @2")
}

// close() while the socket connects closes that socket, as KissJS's does,
// and the client ends with its close: meanwhile it is closing, and init()
// does nothing.
func TestSocketCallsCloseWhileConnecting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, d := callClient(t, e, rec, func(o *core.Options) {
		hung := hungListener(t)
		o.URL = func(core.Config) (string, error) { return hung, nil }
	})
	d.hold = make(chan struct{})
	res := start(t, c, fast())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, started, _ := c.Start(fast()); started {
		t.Fatal("init() right after close() started a connection while the socket was closing")
	}
	close(d.hold) // the socket's end is reported now
	if r := result(t, res, wait); r != core.ResultFailed {
		t.Fatalf("init: %v, want false", r)
	}
	// The socket reports 1006 (closed before its handshake); what ended it
	// is close().
	g := expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	if ce := g[0].Close; ce.Code != core.CodeDefinitiveClose || ce.Reason != "DEFINITIVE_CLOSE" {
		t.Fatalf("closed with %v", g[0])
	}
	if s := c.Stats(); s.LastCloseCode != core.CodeDefinitiveClose {
		t.Fatalf("stats %+v", s)
	}
	settled(t, c)
	wantCalls(t, d, "new#1", definitive+"#1 @0")
}

// A server's close is answered by no call at all; a reconnection makes the
// next socket and leaves the old one alone.
func TestSocketCallsServerCloses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code  int
		ends  core.EventKind
		again bool
	}{
		{core.CodeTooManySockets, core.EventConnectionLost, false},
		{core.CodeDefinitiveClose, core.EventConnectionClosed, false},
		{core.CodeGoingAway, core.EventReconnected, true},
		{core.CodeNormal, core.EventReconnected, true},
	} {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := newRecorder()
			cl, d := callClient(t, e, rec)
			connected(t, cl, rec, fast())
			e.srv.CloseAll(c.code, "test")
			waitFor(t, rec, c.ends, wait)
			want := []string{"new#1"}
			if c.again {
				if err := cl.Close(); err != nil {
					t.Fatal(err)
				}
				want = append(want, "new#2", definitive+"#2 @1")
			}
			settled(t, cl)
			wantCalls(t, d, want...)
		})
	}
}

// At the heartbeat timeout the socket is dropped once (the browser's sock
// closes it with 4000); the next attempt leaves it alone.
func TestSocketCallsHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, d := callClient(t, e, rec)
	cfg := fast()
	cfg.Heartbeat.Enabled = true
	connected(t, c, rec, cfg)
	e.srv.Stall(true)
	waitFor(t, rec, core.EventDisconnected, wait)
	e.srv.Stall(false)
	waitFor(t, rec, core.EventReconnected, wait)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	settled(t, c)
	wantCalls(t, d, "new#1", "abort#1 @1", "new#2", definitive+"#2 @1")
}

// Drops (1006, with the token check), refused attempts and clean closes,
// several times over: a new socket each time, and no call on any.
func TestSocketCallsReconnectionCycles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, d := callClient(t, e, rec)
	connected(t, c, rec, fast())
	e.srv.DropAll()
	waitFor(t, rec, core.EventReconnected, wait)
	e.srv.RefuseUpgrades(503, 0)
	e.srv.CloseAll(core.CodeNormal, "again")
	waitFor(t, rec, core.EventReconnecting, wait)
	waitFor(t, rec, core.EventReconnecting, wait) // the first refused attempt failed
	e.srv.RefuseUpgrades(0, 0)
	waitFor(t, rec, core.EventReconnected, wait)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	settled(t, c)
	got := d.record()
	n := len(got) - 1
	for i, call := range got[:n] {
		if call != fmt.Sprintf("new#%d", i+1) {
			t.Fatalf("call %d is %q, want only new sockets before close(); calls %q", i, call, got)
		}
	}
	if want := fmt.Sprintf("%s#%d @1", definitive, n); got[n] != want || n < 4 {
		t.Fatalf("calls %q, want at least 4 sockets and %q last", got, want)
	}
}

// startInside calls Start from inside the events of the given kinds, as a
// page calls init() from onclose or a subscriber, and records what it got.
type startInside struct {
	mu   sync.Mutex
	c    *core.Client
	on   map[core.EventKind]bool
	cfg  core.Config
	got  []string
	next func(core.Event)
}

func (s *startInside) event(e core.Event) {
	s.mu.Lock()
	c, on := s.c, s.on[e.Kind]
	s.mu.Unlock()
	if on && c != nil {
		res, started, err := c.Start(s.cfg)
		r := <-res
		s.mu.Lock()
		s.got = append(s.got, fmt.Sprintf("%v:%v,%v,%v", e.Kind, started, r, err))
		s.mu.Unlock()
	}
	s.next(e)
}

func (s *startInside) results() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// init() inside the close's own events (onclose, EVT_DISCONNECTED,
// EVT_SERVER_GONE, EVT_CONNECTION_CLOSED, EVT_CONNECTION_LOST) does nothing
// and resolves undefined, as KissJS's; once they are delivered, init()
// works again.
func TestStartInsideACloseIsIgnored(t *testing.T) {
	t.Parallel()
	ignored := func(k core.EventKind) string { return fmt.Sprintf("%v:false,%v,<nil>", k, core.ResultIgnored) }
	for _, c := range []struct {
		name  string
		cause func(e *kissEnv, c *core.Client)
		ends  core.EventKind
		want  []string
		calls []string // on the sockets until then
	}{
		{"drop with the token check", func(e *kissEnv, _ *core.Client) { e.srv.DropAll() }, core.EventReconnected,
			[]string{ignored(core.EventClose), ignored(core.EventDisconnected)}, nil},
		{"server 1001", func(e *kissEnv, _ *core.Client) { e.srv.CloseAll(core.CodeGoingAway, "bye") }, core.EventReconnected,
			[]string{ignored(core.EventClose), ignored(core.EventServerGone), ignored(core.EventDisconnected)}, nil},
		{"server 4002", func(e *kissEnv, _ *core.Client) { e.srv.CloseAll(core.CodeTooManySockets, "") }, core.EventConnectionLost,
			[]string{ignored(core.EventClose), ignored(core.EventConnectionLost)}, []string{"new#1"}},
		{"close()", func(_ *kissEnv, c *core.Client) { _ = c.Close() }, core.EventConnectionClosed,
			[]string{ignored(core.EventClose), ignored(core.EventConnectionClosed)}, []string{"new#1", definitive + "#1 @1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := newRecorder()
			in := &startInside{cfg: fast(), next: rec.add, on: map[core.EventKind]bool{}}
			cl, d := callClient(t, e, rec, func(o *core.Options) { o.OnEvent = in.event })
			connected(t, cl, rec, fast())
			in.mu.Lock()
			in.c = cl
			for _, k := range []core.EventKind{core.EventClose, core.EventDisconnected, core.EventServerGone,
				core.EventConnectionClosed, core.EventConnectionLost} {
				in.on[k] = true
			}
			in.mu.Unlock()
			c.cause(e, cl)
			waitFor(t, rec, c.ends, wait)
			if got := in.results(); strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("init() inside the close's events: %q, want %q", got, c.want)
			}
			if c.ends == core.EventReconnected {
				// the automatic reconnection, the only new socket
				wantCalls(t, d, "new#1", "new#2")
				return
			}
			// Once the close's events are delivered, init() opens a new
			// connection (start waits for that delivery to end).
			if r := result(t, start(t, cl, fast()), wait); r != core.ResultOpened {
				t.Fatalf("init() after the close: %v", r)
			}
			wantCalls(t, d, append(c.calls, "new#2")...)
		})
	}
}

// At a heartbeat timeout, init() inside EVT_DISCONNECTED makes no socket
// beside the one given up on; the reconnection makes the next one.
func TestStartInsideAHeartbeatTimeoutIsIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	cfg := fast()
	cfg.Heartbeat.Enabled = true
	in := &startInside{cfg: cfg, next: rec.add, on: map[core.EventKind]bool{}}
	c, d := callClient(t, e, rec, func(o *core.Options) { o.OnEvent = in.event })
	connected(t, c, rec, cfg)
	in.mu.Lock()
	in.c = c
	in.on[core.EventDisconnected] = true
	in.mu.Unlock()
	e.srv.Stall(true)
	waitFor(t, rec, core.EventDisconnected, wait)
	e.srv.Stall(false)
	waitFor(t, rec, core.EventReconnected, wait)
	if got, want := in.results(), fmt.Sprintf("%v:false,%v,<nil>", core.EventDisconnected, core.ResultIgnored); len(got) != 1 || got[0] != want {
		t.Fatalf("init() inside EVT_DISCONNECTED: %q, want %q", got, want)
	}
	wantCalls(t, d, "new#1", "abort#1 @1", "new#2")
}

// init() while the first socket connects resolves undefined at once.
func TestStartWhileTheSocketConnectsIsIgnoredAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, d := callClient(t, e, rec, func(o *core.Options) {
		hung := hungListener(t)
		o.URL = func(core.Config) (string, error) { return hung, nil }
	})
	start(t, c, fast())
	res, started, err := c.Start(fast())
	if err != nil || started {
		t.Fatalf("second Start: started %v, %v", started, err)
	}
	select {
	case r := <-res:
		if r != core.ResultIgnored {
			t.Fatalf("second Start: %v", r)
		}
	default:
		t.Fatal("the second Start's result was not there at once")
	}
	wantCalls(t, d, "new#1")
}
