//go:build !js

package core_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// sessionOf returns an Options mod whose Session reads *name under mu.
func sessionOf(mu *sync.Mutex, name *string) func(*core.Options) {
	return func(o *core.Options) {
		o.Session = func() string {
			mu.Lock()
			defer mu.Unlock()
			return *name
		}
	}
}

// sessionClient is a connected client of e whose session is *who (under
// mu), at first "alice".
func sessionClient(t *testing.T, e *kissEnv, rec *recorder, mods ...func(*core.Options)) (c *core.Client, switchTo func(string)) {
	t.Helper()
	var mu sync.Mutex
	who := "alice"
	c = e.client(t, rec, append([]func(*core.Options){sessionOf(&mu, &who)}, mods...)...)
	connected(t, c, rec, fast())
	return c, func(s string) {
		mu.Lock()
		who = s
		mu.Unlock()
	}
}

// queuedWhileDown drops the connection, refuses the next upgrades and sends
// msgs while the client waits to reconnect.
func queuedWhileDown(t *testing.T, e *kissEnv, rec *recorder, c *core.Client, msgs ...string) {
	t.Helper()
	e.goDown()
	waitFor(t, rec, core.EventDisconnected, wait)
	for _, m := range msgs {
		if err := c.Send([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

// onlyReceived waits for user's socket to receive a message and checks it
// is want alone: a message of another session would have come first.
func onlyReceived(t *testing.T, e *kissEnv, user, want string) {
	t.Helper()
	eventually(t, wait, want+" at the server", func() bool { return len(e.srv.Received(user)) >= 1 })
	if got := e.srv.Received(user); len(got) != 1 || got[0] != want {
		t.Fatalf("%s's socket received %q, want only %s", user, got, want)
	}
}

// A logs out while the socket is down, B logs in: A's queued messages must
// not go out on B's socket (KissJS lost them; sending them as B is worse).
func TestSessionSwitchDiscardsTheOutbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, switchTo := sessionClient(t, e, rec)
	queuedWhileDown(t, e, rec, c, `{"from":"alice","n":1}`, `{"from":"alice","n":2}`)

	bob := e.srv.Login("bob")
	e.mu.Lock()
	e.sess = bob
	e.mu.Unlock()
	switchTo("bob")
	e.comeBack(t, rec)
	if err := c.Send([]byte(`{"from":"bob"}`)); err != nil {
		t.Fatal(err)
	}
	onlyReceived(t, e, "bob", `{"from":"bob"}`)
	if got := e.srv.Received("alice"); len(got) != 0 {
		t.Fatalf("alice's messages went out: %q", got)
	}
	if s := c.Stats(); s.Discarded != 2 || s.Queued != 0 {
		t.Fatalf("stats %+v, want 2 discarded", s)
	}
	var warned []string
	for _, l := range rec.logLines() {
		if strings.Contains(l, "discarded") {
			warned = append(warned, l)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "2 queued") || strings.Contains(warned[0], "alice") {
		t.Fatalf("warnings %q, want one that counts 2 and names no one", warned)
	}
}

// A message queued in A, then one in B while still down: only B's goes out.
func TestSendInANewSessionDiscardsTheOldOnesAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, switchTo := sessionClient(t, e, rec)
	queuedWhileDown(t, e, rec, c, `"a1"`)
	switchTo("alice-again") // a new login of the same user name is still a new session
	if err := c.Send([]byte(`"a2"`)); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Discarded != 1 || s.Queued != 1 {
		t.Fatalf("stats %+v, want 1 discarded and 1 queued", s)
	}
	e.comeBack(t, rec)
	onlyReceived(t, e, e.user, `"a2"`)
}

// The same session (a refreshed token of the same user) keeps its outbox.
func TestSameSessionKeepsTheOutbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, _ := sessionClient(t, e, rec)
	queuedWhileDown(t, e, rec, c, `"kept"`)
	e.mu.Lock()
	e.sess = e.srv.Login(e.user) // a new token for the same user
	e.mu.Unlock()
	e.comeBack(t, rec)
	eventually(t, wait, "the queued message at the server", func() bool { return len(e.srv.Received(e.user)) >= 1 })
	if s := c.Stats(); s.Discarded != 0 {
		t.Fatalf("stats %+v, want nothing discarded", s)
	}
}

// openerDialer is an Opener over the native dialer: Open records the socket
// being made (as the browser's new WebSocket does) and dials in the
// background; log is shared with the event recorder's order. A non-nil
// hold keeps the background dials from starting until it is closed.
type openerDialer struct {
	inner core.NativeDialer
	hold  chan struct{}
	mu    sync.Mutex
	log   []string
}

func (d *openerDialer) note(s string) {
	d.mu.Lock()
	d.log = append(d.log, s)
	d.mu.Unlock()
}

func (d *openerDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	return d.inner.Dial(ctx, url)
}

var (
	_ core.Opener = (*openerDialer)(nil)
	_ core.Opener = madeInDialer{}
	_ core.MadeIn = madeIn{}
)

func (d *openerDialer) Open(url, _ string) (core.Opening, error) {
	d.note("open")
	ctx, cancel := context.WithCancel(context.Background())
	o := &opening{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(o.done)
		if d.hold != nil {
			select {
			case <-d.hold:
			case <-ctx.Done():
				o.err = ctx.Err()
				return
			}
		}
		o.conn, o.err = d.inner.Dial(ctx, url)
	}()
	return o, nil
}

type opening struct {
	done   chan struct{}
	cancel context.CancelFunc
	conn   core.Conn
	err    error
	once   sync.Once
}

func (o *opening) Wait(ctx core.Context) (core.Conn, error) {
	select {
	case <-o.done:
		return o.conn, o.err
	case <-ctx.Done():
		o.Abort()
		return nil, ctx.Err()
	}
}

// Close, while it connects, drops it as Abort does: Wait then fails.
func (o *opening) Close(int, string) error {
	o.Abort()
	return nil
}

// Abort drops the socket before it returns, as the browser's does: the
// client relies on that for "never two sockets at once".
func (o *opening) Abort() {
	o.once.Do(func() {
		o.cancel()
		<-o.done
		if o.conn != nil {
			o.conn.Abort()
		}
	})
}

// With an Opener the socket exists before Start returns and, on a
// reconnection, before EVT_RECONNECTING is reported, as in KissJS.
func TestOpenerMakesTheSocketBeforeTheAttemptIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	// The dial is held until Start has been looked at: a fast one could
	// otherwise report EVT_CONNECTED before the test reads the log.
	d := &openerDialer{inner: core.NativeDialer{HTTPClient: e.hc}, hold: make(chan struct{})}
	c := e.client(t, rec, func(o *core.Options) {
		o.Dialer = d
		inner := o.OnEvent
		o.OnEvent = func(ev core.Event) {
			d.note(ev.Kind.String())
			inner(ev)
		}
	})
	res := start(t, c, fast())
	d.mu.Lock()
	first := strings.Join(d.log, ",")
	d.mu.Unlock()
	if first != "open" {
		t.Fatalf("after Start: %q, want the socket made already", first)
	}
	close(d.hold)
	if r := result(t, res, wait); r != core.ResultOpened {
		t.Fatalf("first attempt: %v", r)
	}
	expect(t, rec, wait, core.EventConnected)
	e.srv.DropAll()
	expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting, core.EventReconnected)
	d.mu.Lock()
	got := strings.Join(d.log, ",")
	d.mu.Unlock()
	if !strings.HasPrefix(got, "open,EVT_CONNECTED,close,EVT_DISCONNECTED,open,EVT_RECONNECTING,EVT_RECONNECTED") {
		t.Fatalf("order %q", got)
	}
	if e.srv.MaxSockets(e.user) != 1 {
		t.Fatalf("the server saw %d sockets at once", e.srv.MaxSockets(e.user))
	}
}

// reclaimConn is a real socket that reports frames as still buffered when
// it dies, as the browser's bufferedAmount does.
type reclaimConn struct {
	core.Conn
	unsent [][]byte
}

func (r reclaimConn) Unsent() [][]byte { return r.unsent }

type reclaimDialer struct {
	inner  core.NativeDialer
	unsent [][]byte
}

func (d reclaimDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	conn, err := d.inner.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return reclaimConn{Conn: conn, unsent: d.unsent}, nil
}

// endingConn is an in-memory socket whose end the test decides: the
// client's close frame goes unanswered until die, which ends the socket
// abnormally (1006) with unsent still buffered, as the browser reports
// them (bufferedAmount) when a socket dies in its closing handshake.
type endingConn struct {
	unsent   [][]byte
	served   chan core.Handler // Serve's handler, once
	asked    chan struct{}     // closed by the client's first Close
	askOnce  sync.Once
	askCode  atomic.Int32
	writes   atomic.Int32
	dialOnce atomic.Bool
}

func newEndingConn(unsent ...string) *endingConn {
	c := &endingConn{served: make(chan core.Handler, 1), asked: make(chan struct{})}
	for _, u := range unsent {
		c.unsent = append(c.unsent, []byte(u))
	}
	return c
}

// Dial hands out the socket once; a second attempt is refused.
func (c *endingConn) Dial(core.Context, string) (core.Conn, error) {
	if c.dialOnce.Swap(true) {
		return nil, &core.CloseError{Code: core.CodeAbnormal}
	}
	return c, nil
}

func (c *endingConn) Serve(h core.Handler)   { c.served <- h }
func (c *endingConn) WriteText([]byte) error { c.writes.Add(1); return nil }
func (c *endingConn) Ping() error            { return nil }
func (c *endingConn) Abort()                 {}
func (c *endingConn) Unsent() [][]byte       { return c.unsent }

func (c *endingConn) Close(code int, _ string) error {
	c.askOnce.Do(func() {
		c.askCode.Store(int32(code))
		close(c.asked)
	})
	return nil
}

// die ends the socket without a closing handshake.
func (c *endingConn) die(t *testing.T) {
	t.Helper()
	select {
	case h := <-c.served:
		h.HandleClose(&core.CloseError{Code: core.CodeAbnormal})
	case <-time.After(wait):
		t.Fatal("the client never served the socket")
	}
}

// A's frames still buffered when A's socket dies go back to the outbox only
// while it is A's: after close() B queued there, so they are discarded.
func TestUnsentFramesOfAnEndedSessionAreDiscarded(t *testing.T) {
	t.Parallel()
	conn := newEndingConn(`"a-unsent"`)
	rec := newRecorder()
	var mu sync.Mutex
	who := "alice"
	opts := core.Options{
		Dialer:  conn,
		URL:     func(core.Config) (string, error) { return "ws://memory/", nil },
		OnEvent: rec.add,
		Log:     rec.log,
		Rand:    func() float64 { return 0 },
	}
	sessionOf(&mu, &who)(&opts)
	c := core.New(opts)
	t.Cleanup(func() { shutdown(t, c) })
	connected(t, c, rec, fast())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-conn.asked:
	default:
		t.Fatal("Close returned without closing the socket")
	}
	if code := conn.askCode.Load(); code != core.CodeDefinitiveClose {
		t.Fatalf("the client closed with %d, want %d", code, core.CodeDefinitiveClose)
	}
	mu.Lock()
	who = "bob"
	mu.Unlock()
	if err := c.Send([]byte(`"b-queued"`)); err != nil {
		t.Fatal(err)
	}
	conn.die(t) // our close frame was never answered: the end is abnormal
	closed := waitFor(t, rec, core.EventConnectionClosed, wait)
	if closed.Close == nil || closed.Close.Code != core.CodeAbnormal || closed.Close.WasClean {
		t.Fatalf("closed with %v, want an abnormal 1006", closed)
	}
	if s := c.Stats(); s.Discarded != 1 || s.Queued != 1 {
		t.Fatalf("stats %+v, want A's buffered frame discarded and B's message queued", s)
	}
	if n := conn.writes.Load(); n != 0 {
		t.Fatalf("%d frames written on A's closing socket, want none", n)
	}
}

// A send the page made in a session that has ended since (the browser
// queues sends while the wasm loads) is discarded, not sent in the new one.
func TestSendInAnEndedSessionIsDiscarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c, switchTo := sessionClient(t, e, rec)
	switchTo("bob")
	if err := c.SendIn("alice", []byte(`"of-alice"`)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendIn("bob", []byte(`"of-bob"`)); err != nil {
		t.Fatal(err)
	}
	onlyReceived(t, e, e.user, `"of-bob"`)
	if s := c.Stats(); s.Discarded != 1 {
		t.Fatalf("stats %+v, want 1 discarded", s)
	}
}

// The rule, fact by fact: which changes end a session and which do not.
func TestSessionRule(t *testing.T) {
	t.Parallel()
	a := core.Facts{User: "alice", Token: "ta"}
	anon := core.Facts{User: "anonymous", Token: "ta"}
	bare := core.Facts{Token: "ta"} // no KissJS
	with := func(f core.Facts, mod func(*core.Facts)) core.Facts { mod(&f); return f }
	for _, c := range []struct {
		name         string
		before, then core.Facts
		same         bool
	}{
		{"a user's token refreshed by anyone", a, with(a, func(f *core.Facts) { f.Token = "tb" }), true},
		{"another user", a, with(a, func(f *core.Facts) { f.User, f.Token = "bob", "tb" }), false},
		{"the same user after reset()", a, with(a, func(f *core.Facts) { f.Resets++ }), false},
		{"a user logs out: anonymous", a, with(a, func(f *core.Facts) { f.User, f.Resets = "anonymous", 1 }), false},
		{"anonymous, another token", anon, with(anon, func(f *core.Facts) { f.Token = "tb" }), false},
		{"anonymous, reset() and the same token", anon, with(anon, func(f *core.Facts) { f.Resets++ }), false},
		{"anonymous, a token our refresh got", anon, with(anon, func(f *core.Facts) { f.Token, f.Link = "tb", core.Link{Token: "tb", Root: "ta"} }), true},
		{"anonymous, a link to another token", anon, with(anon, func(f *core.Facts) { f.Token, f.Link = "tc", core.Link{Token: "tb", Root: "ta"} }), false},
		{"anonymous, our refresh then reset()", anon, with(anon, func(f *core.Facts) { f.Token, f.Link, f.Resets = "tb", core.Link{Token: "tb", Root: "ta"}, 1 }), false},
		{"no KissJS, another token", bare, with(bare, func(f *core.Facts) { f.Token = "tb" }), false},
		{"no KissJS, a token our refresh got", bare, with(bare, func(f *core.Facts) { f.Token, f.Link = "tb", core.Link{Token: "tb", Root: "ta"} }), true},
		{"no KissJS, the token removed", bare, with(bare, func(f *core.Facts) { f.Token = "" }), false},
		{"a user id stored as \"null\" names no one", with(anon, func(f *core.Facts) { f.User = "null" }), with(anon, func(f *core.Facts) { f.User, f.Token = "null", "tb" }), false},
		{"\"undefined\" and \"anonymous\" are the same no one", with(anon, func(f *core.Facts) { f.User = "undefined" }), anon, true},
		{"an empty user id and anonymous alike", bare, anon, true},
	} {
		if got := c.before.Session() == c.then.Session(); got != c.same {
			t.Errorf("%s: %q then %q, same %v, want %v", c.name, c.before.Session(), c.then.Session(), got, c.same)
		}
	}
	if s := a.Session(); strings.Contains(s, "ta") {
		t.Errorf("a user's session %q names the token", s)
	}
}

// page is what the loader reads in a tab: the token (as e's), the user id,
// the reset counter and our refresh link (kept in localStorage there, here
// in memory). Its facts carry a digest of the token, as the loader's do.
type page struct {
	e      *kissEnv
	mu     sync.Mutex
	resets int64
	user   string
	link   core.Link
}

func digest(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

func (p *page) facts() core.Facts {
	tok := digest(p.e.token())
	p.mu.Lock()
	defer p.mu.Unlock()
	return core.Facts{Resets: p.resets, User: p.user, Token: tok, Link: p.link}
}

func (p *page) keep(l core.Link) {
	p.mu.Lock()
	p.link = l
	p.mu.Unlock()
}

// switchTo logs user in (a new token of theirs), with kiss.session.reset()
// first when reset, and sets the KissJS user id to id.
func (p *page) switchTo(user, id string, reset bool) {
	s := p.e.srv.Login(user)
	p.mu.Lock()
	if reset {
		p.resets++
	}
	p.user = id
	p.mu.Unlock()
	p.e.mu.Lock()
	p.e.sess = s
	p.e.mu.Unlock()
}

// Sessions.Refresh links the token a refresh obtains to the session it
// started in, also when the page stores it and calls init() before the
// refresh returns (KissJS's getNewToken calls kiss.session.init, whose
// kiss.websocket.init opens the socket): that socket is in the session
// already, and the message queued before it goes out on it.
func TestOurRefreshKeepsATokenOnlySession(t *testing.T) {
	t.Parallel()
	for _, inFlight := range []bool{false, true} {
		t.Run(fmt.Sprintf("init during the refresh %v", inFlight), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := newRecorder()
			p := &page{e: e, user: "anonymous"}
			sessions := &core.Sessions{Read: p.facts, Keep: p.keep}
			var c *core.Client
			c = e.client(t, rec, func(o *core.Options) {
				o.Session = sessions.ID
				o.CheckToken = func(ctx core.Context, url string) core.TokenStatus {
					// the page sends while the socket is down, with the old token
					if err := c.Send([]byte(`"queued-before-the-refresh"`)); err != nil {
						t.Error(err)
					}
					return sessions.Refresh(func() core.TokenStatus {
						st := e.check(ctx, url) // 498: stores a new pair
						if inFlight && st == core.TokenRefreshed {
							// as kiss.session.init(newToken) does, before the refresh ends
							res, started, err := c.Start(fast())
							if err != nil || !started {
								t.Errorf("init during the refresh: started %v, %v", started, err)
							}
							go func() { <-res }()
						}
						return st
					})
				}
			})
			connected(t, c, rec, fast())
			e.srv.ExpireToken(e.token())
			e.srv.DropAll()
			eventually(t, wait, "the queued message at the server", func() bool { return len(e.srv.Received(e.user)) >= 1 })
			if got := e.srv.Received(e.user); len(got) != 1 || got[0] != `"queued-before-the-refresh"` {
				t.Fatalf("received %q", got)
			}
			if s := c.Stats(); s.Discarded != 0 {
				t.Fatalf("stats %+v, want nothing discarded", s)
			}
		})
	}
}

// madeIn is an Opening whose socket was made earlier, in another session
// (the browser's first socket, made by init() while the wasm loaded). It
// opens once gate is closed.
type madeIn struct {
	core.Opening
	session string
	gate    chan struct{}
}

func (m madeIn) MadeIn() string { return m.session }

func (m madeIn) Wait(ctx core.Context) (core.Conn, error) {
	select {
	case <-m.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return m.Opening.Wait(ctx)
}

type madeInDialer struct {
	*openerDialer
	session string
	gate    chan struct{}
}

func (d madeInDialer) Open(url, session string) (core.Opening, error) {
	op, err := d.openerDialer.Open(url, session)
	if err != nil {
		return op, err
	}
	return madeIn{op, d.session, d.gate}, nil
}

// A socket made in alice's session is alice's, even when bob's login came
// before it opened: bob's queued message does not go out on it. (An
// Opening that does not know, "", is in the session of the moment.)
func TestASocketMadeInASessionStaysInIt(t *testing.T) {
	t.Parallel()
	for _, made := range []string{"alice", ""} {
		t.Run("made in "+made, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := newRecorder()
			gate := make(chan struct{})
			c := e.client(t, rec, func(o *core.Options) {
				o.Session = func() string { return "bob" }
				o.Dialer = madeInDialer{&openerDialer{inner: core.NativeDialer{HTTPClient: e.hc}}, made, gate}
			})
			res := start(t, c, fast())
			if err := c.Send([]byte(`"of-bob"`)); err != nil {
				t.Fatal(err)
			}
			close(gate)
			if r := result(t, res, wait); r != core.ResultOpened {
				t.Fatalf("attempt: %v", r)
			}
			if err := c.Send([]byte(`"live"`)); err != nil {
				t.Fatal(err)
			}
			eventually(t, wait, "the live message at the server", func() bool {
				return strings.Contains(strings.Join(e.srv.Received(e.user), ","), `"live"`)
			})
			want, discarded := `"of-bob","live"`, uint64(0)
			if made != "" {
				want, discarded = `"live"`, 1
			}
			if got := strings.Join(e.srv.Received(e.user), ","); got != want || c.Stats().Discarded != discarded {
				t.Fatalf("received %s, %d discarded; want %s, %d", got, c.Stats().Discarded, want, discarded)
			}
		})
	}
}
