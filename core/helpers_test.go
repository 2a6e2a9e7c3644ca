//go:build !js

package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// kissEnv is one real KissJS-protocol server on loopback, the session a
// client connects with, and the token checker the browser bridge would use.
type kissEnv struct {
	srv  *kissserver.Server
	hs   *httptest.Server
	host string // 127.0.0.1:PORT
	user string
	hc   *http.Client // own transport: no idle connection outlives the test

	mu        sync.Mutex
	sess      kissserver.Session
	checkBase string // where the checker sends its requests (http://host)

	checks atomic.Int32 // token checks asked by the client
}

// newEnv starts a server with the controls on and logs user in. Cleanups
// registered later (clients) run first, so clients close before the server.
func newEnv(t *testing.T) *kissEnv {
	t.Helper()
	srv := kissserver.New(kissserver.Options{Controls: true})
	hs := httptest.NewServer(srv)
	tr := &http.Transport{}
	e := &kissEnv{
		srv:  srv,
		hs:   hs,
		host: strings.TrimPrefix(hs.URL, "http://"),
		user: "alice",
		hc:   &http.Client{Transport: tr},
	}
	e.sess = srv.Login(e.user)
	e.checkBase = hs.URL
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		tr.CloseIdleConnections()
	})
	return e
}

func (e *kissEnv) token() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sess.Token
}

// url is Options.URL: it re-reads the token at every attempt.
func (e *kissEnv) url(core.Config) (string, error) {
	return core.SocketURL("ws://"+e.host+"/?token=", e.token()), nil
}

// pointCheckerAt sends the token checks elsewhere (e.g. a closed port).
// goDown drops every socket and refuses upgrades with 503 until the test
// calls e.srv.RefuseUpgrades(0, 0): the server is down.
func (e *kissEnv) goDown() {
	e.srv.RefuseUpgrades(503, 0)
	e.srv.DropAll()
}

// comeBack accepts upgrades again and waits for the client to reconnect.
func (e *kissEnv) comeBack(t *testing.T, rec *recorder) {
	t.Helper()
	e.srv.RefuseUpgrades(0, 0)
	waitFor(t, rec, core.EventReconnected, wait)
}

func (e *kissEnv) pointCheckerAt(base string) {
	e.mu.Lock()
	e.checkBase = base
	e.mu.Unlock()
}

// check is Options.CheckToken as kiss.session.checkTokenValidity does it:
// GET /checkTokenValidity with the bearer token; 200 valid; 498 expired,
// then POST /refreshToken and keep the new pair; 401 unusable; a network
// error (or anything else) unknown.
func (e *kissEnv) check(c core.Context, _ string) core.TokenStatus {
	ctx, cancel := core.StdContext(c)
	defer cancel()
	e.checks.Add(1)
	e.mu.Lock()
	base, sess := e.checkBase, e.sess
	e.mu.Unlock()
	if st := validity(ctx, e.hc, base, sess.Token); st != tokenExpired {
		return st
	}
	body, _ := json.Marshal(map[string]string{"refreshToken": sess.RefreshToken})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/refreshToken", strings.NewReader(string(body)))
	if err != nil {
		return core.TokenUnknown
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		return core.TokenUnknown
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return core.TokenUnusable
	}
	var fresh kissserver.Session
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&fresh) != nil || fresh.Token == "" {
		return core.TokenUnknown
	}
	e.mu.Lock()
	e.sess = fresh
	e.mu.Unlock()
	return core.TokenRefreshed
}

// tokenExpired is what validity answers for a 498: the caller refreshes.
const tokenExpired core.TokenStatus = -1

// validity asks GET /checkTokenValidity with the bearer token: 200 valid,
// 401 unusable, 498 tokenExpired, a network error or anything else unknown.
func validity(c core.Context, hc *http.Client, base, token string) core.TokenStatus {
	ctx, cancel := core.StdContext(c)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/checkTokenValidity", nil)
	if err != nil {
		return core.TokenUnknown
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return core.TokenUnknown
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return core.TokenValid
	case http.StatusUnauthorized:
		return core.TokenUnusable
	case 498:
		return tokenExpired
	}
	return core.TokenUnknown
}

// client returns a client of this server whose events go to rec. The jitter
// is fixed at 0 unless a mod says otherwise. Cleanup closes it and waits
// until it has stopped.
func (e *kissEnv) client(t *testing.T, rec *recorder, mods ...func(*core.Options)) *core.Client {
	t.Helper()
	opts := core.Options{
		Dialer:     core.NativeDialer{HTTPClient: e.hc},
		URL:        e.url,
		CheckToken: e.check,
		OnEvent:    rec.add,
		Log:        rec.log,
		Rand:       func() float64 { return 0 },
	}
	for _, m := range mods {
		m(&opts)
	}
	c := core.New(opts)
	t.Cleanup(func() { shutdown(t, c) })
	return c
}

// openClient is the preamble of most tests: a server, a recorder, and a
// client of it connected with fast().
func openClient(t *testing.T, mods ...func(*core.Options)) (*kissEnv, *recorder, *core.Client) {
	t.Helper()
	return openClientCfg(t, fast(), mods...)
}

// openClientCfg is openClient connected with cfg.
func openClientCfg(t *testing.T, cfg core.Config, mods ...func(*core.Options)) (*kissEnv, *recorder, *core.Client) {
	t.Helper()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec, mods...)
	connected(t, c, rec, cfg)
	return e, rec, c
}

// wantUpgrades fails unless the server accepted n upgrades of e's user.
func wantUpgrades(t *testing.T, e *kissEnv, n int) {
	t.Helper()
	if got := e.srv.Upgrades(e.user); got != n {
		t.Fatalf("%d upgrades, want %d", got, n)
	}
}

// shutdown closes c and waits until it has stopped and its goroutines
// have ended.
func shutdown(t *testing.T, c *core.Client) {
	t.Helper()
	_ = c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for s := c.State(); s != core.StateClosed && s != core.StateIdle; s = c.State() {
		if time.Now().After(deadline) {
			t.Errorf("client still %v 10 s after Close", s)
			return // Wait would wait for it to stop
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Wait()
}

// fast is a config that never makes a test wait seconds: 20 ms between
// attempts, no jitter, no heartbeat (tests about the heartbeat turn it on).
func fast() core.Config {
	c := core.Defaults()
	c.Reconnection.Delay = 20 * time.Millisecond
	c.Reconnection.Delta = 0
	c.Reconnection.MaxAttempts = 50
	c.Heartbeat.Enabled = false
	c.Heartbeat.Delay = 50 * time.Millisecond
	c.Heartbeat.Timeout = 150 * time.Millisecond
	c.ConnectTimeout = 5 * time.Second
	return c
}

// start calls Start and fails the test on a config error. Start is ignored
// while a close's events are being delivered, and the recorder wakes the
// test from inside that delivery: a Start ignored then, with no socket
// there, is made again once the delivery is over. One ignored because a
// socket is there is returned as it is.
func start(t *testing.T, c *core.Client, cfg core.Config) <-chan core.Result {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		res, started, err := c.Start(cfg)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		if started {
			return res
		}
		switch c.State() {
		case core.StateConnecting, core.StateOpen, core.StateClosing:
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("Start still ignored after %v, with no socket there (state %v)", wait, c.State())
		}
		time.Sleep(time.Millisecond)
	}
}

// result waits for one attempt's result.
func result(t *testing.T, res <-chan core.Result, within time.Duration) core.Result {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(within):
		t.Fatalf("no result within %v", within)
		return 0
	}
}

// got is a copy of one event that outlives the callback.
type got struct {
	core.Event
	channel    string // Event.Channel and Data are only valid in the callback
	hasChannel bool
	data       string
}

func (g got) String() string {
	s := g.Kind.String()
	switch {
	case g.Close != nil:
		s += fmt.Sprintf("(%d %q)", g.Close.Code, g.Close.Reason)
	case g.Kind == core.EventReconnecting:
		s += fmt.Sprintf("(attempt %d, delay %v)", g.Attempt, g.Delay)
	case g.Kind == core.EventMessage:
		s += fmt.Sprintf("(%q %s)", g.channel, g.data)
	}
	return s
}

// recorder collects events and log lines. Tests read it through a cursor:
// waitFor and expect consume events in order.
type recorder struct {
	mu      sync.Mutex
	events  []got
	logs    []string
	wake    chan struct{}
	next    int // the first event not consumed yet
	inside  atomic.Int32
	overlap atomic.Bool // OnEvent was entered while already running
}

func newRecorder() *recorder { return &recorder{wake: make(chan struct{}, 1)} }

func (r *recorder) add(e core.Event) {
	if r.inside.Add(1) != 1 {
		r.overlap.Store(true)
	}
	defer r.inside.Add(-1)
	g := got{Event: e, channel: string(e.Channel), hasChannel: e.Channel != nil, data: string(e.Data)}
	g.Event.Channel, g.Event.Data = nil, nil
	r.mu.Lock()
	r.events = append(r.events, g)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *recorder) log(msg string) {
	r.mu.Lock()
	r.logs = append(r.logs, msg)
	r.mu.Unlock()
}

func (r *recorder) logLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

// all returns every event recorded so far.
func (r *recorder) all() []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]got(nil), r.events...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recorder) dump() string {
	var b strings.Builder
	for i, g := range r.all() {
		fmt.Fprintf(&b, "\n  %2d %s", i, g)
	}
	return b.String()
}

// await calls find on the unconsumed events until it returns an index (of
// the last event it consumes) or the time is up.
func (r *recorder) await(within time.Duration, find func(pending []got) int) (got, bool) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if i := find(r.events[r.next:]); i >= 0 {
			g := r.events[r.next+i]
			r.next += i + 1
			r.mu.Unlock()
			return g, true
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-deadline.C:
			return got{}, false
		}
	}
}

// waitFor consumes events up to and including the next one of kind.
func waitFor(t *testing.T, r *recorder, kind core.EventKind, within time.Duration) got {
	t.Helper()
	g, ok := r.await(within, func(p []got) int {
		for i, g := range p {
			if g.Kind == kind {
				return i
			}
		}
		return -1
	})
	if !ok {
		t.Fatalf("no %v within %v; events:%s", kind, within, r.dump())
	}
	return g
}

// expect consumes the next events, which must be exactly kinds in order.
func expect(t *testing.T, r *recorder, within time.Duration, kinds ...core.EventKind) []got {
	t.Helper()
	r.mu.Lock()
	from := r.next
	r.mu.Unlock()
	_, ok := r.await(within, func(p []got) int {
		if len(p) < len(kinds) {
			return -1
		}
		return len(kinds) - 1
	})
	evs := r.all()
	if !ok {
		t.Fatalf("want %v next; events:%s", kinds, r.dump())
	}
	evs = evs[from : from+len(kinds)]
	for i, k := range kinds {
		if evs[i].Kind != k {
			t.Fatalf("want %v from event %d; events:%s", kinds, from, r.dump())
		}
	}
	return evs
}

// eventually polls cond for up to within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawServer is a loopback WebSocket server that runs serve on each socket,
// for frames the KissJS server never sends (binary, not JSON, ...). It
// returns the socket URL.
func rawServer(t *testing.T, serve func(ctx context.Context, ws *websocket.Conn)) string {
	t.Helper()
	var wg sync.WaitGroup
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		serve(ctx, ws)
		ws.CloseNow()
	}))
	t.Cleanup(func() {
		hs.Close()
		wg.Wait()
	})
	return "ws://" + strings.TrimPrefix(hs.URL, "http://") + "/"
}

// hungListener accepts TCP connections and never answers: a handshake that
// hangs. It returns the socket URL.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "ws://" + ln.Addr().String() + "/"
}

// closedPort returns an http:// base where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// countingDialer wraps a real dialer and records the most dials in flight
// and the most sockets alive at once on the client's side: from a
// successful Dial until the client aborts the socket or hears its close.
type countingDialer struct {
	core.Dialer
	dials, live       atomic.Int32
	maxDials, maxLive atomic.Int32
	opened            atomic.Int32 // successful dials
}

func raise(max *atomic.Int32, n int32) {
	for m := max.Load(); n > m && !max.CompareAndSwap(m, n); m = max.Load() {
	}
}

func (d *countingDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	raise(&d.maxDials, d.dials.Add(1))
	c, err := d.Dialer.Dial(ctx, url)
	d.dials.Add(-1)
	if err != nil {
		return nil, err
	}
	d.opened.Add(1)
	raise(&d.maxLive, d.live.Add(1))
	return &countedConn{Conn: c, d: d}, nil
}

type countedConn struct {
	core.Conn
	d    *countingDialer
	gone sync.Once
}

func (c *countedConn) ended()               { c.gone.Do(func() { c.d.live.Add(-1) }) }
func (c *countedConn) Abort()               { c.Conn.Abort(); c.ended() }
func (c *countedConn) Serve(h core.Handler) { c.Conn.Serve(countedHandler{h, c}) }

type countedHandler struct {
	core.Handler
	c *countedConn
}

func (h countedHandler) HandleClose(ce *core.CloseError) { h.c.ended(); h.Handler.HandleClose(ce) }

// lagProbe measures how late this process's timers fire: a goroutine
// sleeps 5 ms at a time and keeps the worst overshoot. A loaded machine
// makes the client's timers and event deliveries late by as much, so a test
// that bounds a measured time from above adds a few of these lags to its
// bound. On an idle machine the lag is a millisecond or two and the bound is
// as tight as written; under load it grows with the evidence, not by guess.
type lagProbe struct {
	ask  chan chan time.Duration
	stop chan struct{}
	done chan struct{}
}

func startLagProbe(t *testing.T) *lagProbe {
	p := &lagProbe{ask: make(chan chan time.Duration), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		const tick = 5 * time.Millisecond
		var worst time.Duration
		for {
			at := time.Now()
			select {
			case <-p.stop:
				return
			case <-time.After(tick):
			}
			worst = max(worst, time.Since(at)-tick)
			select { // a take waiting since this tick began gets its lag too
			case reply := <-p.ask:
				reply <- worst
				worst = 0
			default:
			}
		}
	}()
	t.Cleanup(func() { close(p.stop); <-p.done })
	return p
}

// take returns the worst lag since the last take (including the tick in
// progress, so a stall that just delayed the caller is counted) and starts
// afresh.
func (p *lagProbe) take() time.Duration {
	reply := make(chan time.Duration)
	p.ask <- reply
	return <-reply
}
