//go:build !js

package core_test

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/chaos"
	"github.com/kissjs/kiss-websocket/internal/faultproxy"
)

var (
	chaosSeed     = flag.Int64("chaos.seed", 0, "seed of the chaos schedule (0: from the clock; always printed)")
	chaosSteps    = flag.Int("chaos.steps", 12, "faults the chaos run injects")
	chaosDuration = flag.Duration("chaos.duration", 10*time.Minute, "stop injecting faults after this long")
	chaosKinds    = flag.String("chaos.kinds", "", "comma-separated fault kinds (default: all), e.g. drop,stall-reads")
	chaosTrace    = flag.Bool("chaos.trace", false, "log every step: the fault, the closes the client saw, its sockets")
)

// TestChaos runs one client through a seeded schedule of faults while it
// sends a numbered stream and the server pushes another, and proves with a
// ledger that nothing was lost, duplicated or reordered, that the client
// never held two sockets, and that it leaves nothing behind. The default is
// a short run; `make chaos` runs a long one:
//
//	go test -run '^TestChaos$' -count=1 -v ./core/ -chaos.steps=400 -chaos.seed=N
//
// The faults come through the server's controls and a TCP proxy between
// client and server (internal/faultproxy): see chaos.Kind. The client is
// the real one with the native dialer; only its Conn is wrapped, to record
// which message went out on which socket and how each socket ended.
func TestChaos(t *testing.T) {
	t.Parallel()
	seed := *chaosSeed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1e9
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || strings.HasPrefix(f.Name, "chaos.") })
	kinds, err := parseKinds(*chaosKinds)
	if err != nil {
		t.Fatal(err)
	}
	repro := fmt.Sprintf("go test -run '^TestChaos$' -count=1 -v ./core/ -chaos.seed=%d -chaos.steps=%d", seed, *chaosSteps)
	if *chaosKinds != "" {
		repro += " -chaos.kinds=" + *chaosKinds
	}
	t.Logf("chaos seed %d; reproduce with:\n\t%s", seed, repro)

	r := newChaosRun(t, seed)
	began := time.Now()
	injected := 0
	for _, f := range chaos.Schedule(seed, *chaosSteps, kinds) {
		if time.Since(began) > *chaosDuration || nearDeadline(t) {
			t.Logf("stopping after %d faults: time is up", injected)
			break
		}
		if !r.step(f) {
			break
		}
		injected++
	}
	r.finish()
	sum := r.ledger.Summary()
	table := fmt.Sprintf("chaos run: seed %d, %d faults in %v\n%s%s"+
		"token refreshes %d, server MaxSockets %d, lingering server sockets seen %d\n",
		seed, injected, time.Since(began).Round(time.Millisecond), sum, r.closesByFault(),
		r.refreshes(), r.e.srv.MaxSockets(r.e.user), r.lingeringSeen())
	t.Log("\n" + table)
	if explicit {
		fmt.Print(table)
	}
	if t.Failed() {
		t.Logf("reproduce with:\n\t%s", repro)
	}
}

// nearDeadline is true when the test binary's -timeout is less than 30 s away.
func nearDeadline(t *testing.T) bool {
	d, ok := t.Deadline()
	return ok && time.Until(d) < 30*time.Second
}

func parseKinds(s string) ([]chaos.Kind, error) {
	if s == "" {
		return nil, nil
	}
	var out []chaos.Kind
	for _, name := range strings.Split(s, ",") {
		found := false
		for _, k := range chaos.AllKinds() {
			if k.String() == strings.TrimSpace(name) {
				out, found = append(out, k), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-chaos.kinds: no kind %q (have %v)", name, chaos.AllKinds())
		}
	}
	return out, nil
}

// chaosConfig: a heartbeat of 100 ms / 300 ms, handshakes abandoned after
// 300 ms, 20-50 ms between attempts, never giving up, and a small outbox so
// that an outage fills it and Send refuses.
func chaosConfig() core.Config {
	tm := chaos.DefaultTiming()
	cfg := core.Defaults()
	cfg.Reconnection.Delay, cfg.Reconnection.Delta = 20*time.Millisecond, 1.5
	cfg.Reconnection.MaxAttempts = math.MaxInt
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: tm.HeartbeatDelay, Timeout: tm.HeartbeatTimeout}
	cfg.ConnectTimeout = tm.ConnectTimeout
	cfg.Outbox.MaxMessages = 50
	return cfg
}

// chaosRun is one client, its server, the proxy between them, the load
// and the ledger.
type chaosRun struct {
	t *testing.T
	e *kissEnv
	p *faultproxy.Proxy
	d *chaosDialer
	// controls serves the server's and the proxy's /test/ controls, as the
	// dev server does, so faults are applied as in the browser run.
	controls string
	c        *core.Client
	cfg      core.Config
	ledger   *chaos.Ledger

	refreshed atomic.Int32 // tokens the client's checker refreshed

	stopLoad func()
	load     sync.WaitGroup

	mu        sync.Mutex
	events    map[core.EventKind]int
	steps     []string       // the faults injected, in order
	closes    map[string]int // "fault: code reason" -> closes the client saw
	stepLog   []string       // the closes of the step in progress, for -chaos.trace
	merged    map[int64]int  // server conn -> frames already given to the ledger, once closed
	lingering map[int64]bool
}

func newChaosRun(t *testing.T, seed int64) *chaosRun {
	e := newEnv(t)
	p := proxied(t, e)
	ctl := httptest.NewServer(p.Controls(e.srv))
	t.Cleanup(ctl.Close)
	r := &chaosRun{t: t, e: e, p: p, controls: ctl.URL, cfg: chaosConfig(), ledger: chaos.NewLedger(),
		events: map[core.EventKind]int{}, closes: map[string]int{}, merged: map[int64]int{}, lingering: map[int64]bool{}}
	r.d = &chaosDialer{inner: core.NativeDialer{HTTPClient: e.hc}, ledger: r.ledger}
	var rmu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	r.c = core.New(core.Options{
		Dialer: r.d,
		URL:    viaProxy(e, p),
		CheckToken: func(ctx core.Context, url string) core.TokenStatus {
			st := e.check(ctx, url)
			if st == core.TokenRefreshed {
				r.refreshed.Add(1)
			}
			return st
		},
		OnEvent: r.onEvent,
		Rand:    func() float64 { rmu.Lock(); defer rmu.Unlock(); return rng.Float64() },
	})
	t.Cleanup(func() { shutdown(t, r.c) })
	// The first attempt may outlast the 300 ms connect timeout on a loaded
	// machine; the client then tries again, as in a page.
	start(t, r.c, r.cfg)
	eventually(t, wait, "the client open", func() bool { return r.c.Stats().State == core.StateOpen })
	stop := make(chan struct{})
	var once sync.Once
	r.stopLoad = func() { once.Do(func() { close(stop) }); r.load.Wait() }
	t.Cleanup(r.stopLoad) // before the client's shutdown
	r.load.Add(2)
	go r.sender(stop)
	go r.pusher(stop)
	return r
}

// proxied puts a fault proxy in front of e's server.
func proxied(t *testing.T, e *kissEnv) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(e.host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// viaProxy is Options.URL through p; the token checks still go straight
// to the server, as KissJS's HTTP calls would take another route.
func viaProxy(e *kissEnv, p *faultproxy.Proxy) func(core.Config) (string, error) {
	return func(core.Config) (string, error) { return core.SocketURL("ws://"+p.Addr()+"/?token=", e.token()), nil }
}

func (r *chaosRun) onEvent(ev core.Event) {
	if ev.Kind == core.EventMessage {
		if seq, ok := seqOf(ev.Data, "push"); ok {
			r.ledger.Received(seq)
		}
		return
	}
	r.mu.Lock()
	r.events[ev.Kind]++
	if ev.Kind == core.EventClose {
		during := "start"
		if n := len(r.steps); n > 0 {
			during = r.steps[n-1]
		}
		r.closes[fmt.Sprintf("%s: %d %s", during, ev.Close.Code, ev.Close.Reason)]++
		r.stepLog = append(r.stepLog, fmt.Sprintf("%d %s", ev.Close.Code, ev.Close.Reason))
	}
	r.mu.Unlock()
}

// closesByFault lists the closes the client saw, by the fault in progress
// (from its injection to the next one).
func (r *chaosRun) closesByFault() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.closes))
	for k := range r.closes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("closes the client saw, by fault in progress:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-50s %6d\n", k, r.closes[k])
	}
	return b.String()
}

// sender sends {"channel":"seq","seq":N} about every millisecond: an
// outage of 50 ms fills the outbox (50 messages), so Send refuses some.
func (r *chaosRun) sender(stop <-chan struct{}) {
	defer r.load.Done()
	for seq := 1; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		err := r.c.Send(frameOf("seq", seq))
		switch {
		case err == nil:
			r.ledger.Sent(seq, true)
		case errors.Is(err, core.ErrOutboxFull):
			r.ledger.Sent(seq, false)
		default:
			r.t.Errorf("Send %d: %v", seq, err)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// pusher pushes {"channel":"push","seq":N} every 3 ms to every socket the
// server has open for the user.
func (r *chaosRun) pusher(stop <-chan struct{}) {
	defer r.load.Done()
	for seq := 1; ; seq++ {
		select {
		case <-stop:
			return
		case <-time.After(3 * time.Millisecond):
		}
		at := time.Now()
		r.ledger.Pushed(seq, at, r.e.srv.SendRaw(r.e.user, frameOf("push", seq), false))
	}
}

func frameOf(channel string, seq int) []byte {
	return []byte(`{"channel":"` + channel + `","seq":` + strconv.Itoa(seq) + `}`)
}

// seqOf reads a frame made by frameOf.
func seqOf[B []byte | string](frame B, channel string) (int, bool) {
	s, ok := strings.CutPrefix(string(frame), `{"channel":"`+channel+`","seq":`)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "}")
	n, err := strconv.Atoi(s)
	return n, ok && err == nil
}

// step injects f, lifts it, lets the client recover and checks what can
// be checked mid-run. False means the run cannot go on.
func (r *chaosRun) step(f chaos.Fault) bool {
	t := r.t
	r.mu.Lock()
	r.steps, r.stepLog = append(r.steps, f.Kind.String()), nil
	r.mu.Unlock()
	began, from := time.Now(), r.d.current()
	r.ledger.Injected(f, began)
	r.apply(f, from)
	err := r.settle(f, from, f.Hold+5*time.Second)
	if *chaosTrace {
		r.mu.Lock()
		t.Logf("step %d: %v: socket %d -> %d in %v; closes %q", len(r.steps), f, from, r.d.current(),
			time.Since(began).Round(time.Millisecond), r.stepLog)
		r.mu.Unlock()
	}
	if err != nil {
		t.Errorf("after %v: %v", f, err)
		return false
	}
	r.merge()
	if vs := r.ledger.CheckSoFar(); len(vs) > 0 {
		t.Errorf("after %v: %d violations:%s", f, len(vs), list(vs))
		return false
	}
	time.Sleep(f.Pause)
	return true
}

func list(vs []chaos.Violation) string {
	var b strings.Builder
	for i, v := range vs {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(vs)-i)
			break
		}
		b.WriteString("\n  " + v.String())
	}
	return b.String()
}

// apply injects f as its steps describe (chaos.Fault.Steps, shared with
// the browser run), through the same HTTP controls the dev server has,
// looking at the server while a lasting fault is on.
//
// A stall lasts its Hold and, past it, until the client has given up on
// socket from: Hold outlasts the heartbeat's delay and timeout by 50 to
// 250 ms, which a loaded machine's late timers can eat, and lifting the
// stall first lets the late pong save the socket. A client that never
// notices the dead peer still fails: the stall is lifted after 5 s, and
// settle finds socket from alive.
func (r *chaosRun) apply(f chaos.Fault, from int) {
	for _, s := range f.Steps(r.e.token()) {
		if s.Path == "" {
			time.Sleep(s.Hold)
			r.look()
			if f.Kind == chaos.StallReads && from != 0 {
				for deadline := time.Now().Add(5 * time.Second); r.d.current() == from && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
				}
			}
			continue
		}
		q := url.Values{}
		for k, v := range s.Params {
			q.Set(k, v)
		}
		resp, err := r.e.hc.Post(r.controls+s.Path+"?"+q.Encode(), "text/plain", nil)
		if err != nil {
			r.t.Fatalf("control %s: %v", s.Path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			r.t.Fatalf("control %s: %s", s.Path, resp.Status)
		}
	}
}

// look records how many sockets of this client the server has open, and
// how many of them the client has already dropped (lingering), and says
// whether the client's current socket is the only one.
//
// Lingering sockets are expected: when the client gives up on a socket
// (heartbeat timeout, connect timeout) it closes its end at once, but a
// network that has stopped forwarding (here the stalled proxy, holding
// the socket's last bytes) delivers neither those bytes nor the FIN until
// it recovers, and the server, which runs no heartbeat of its own, still
// counts the socket as open meanwhile. Nothing the client does can reach
// the server sooner. They are counted apart, and must be gone shortly after
// the network recovers.
func (r *chaosRun) look() (open, lingering int, alone bool) {
	conns := r.e.srv.Conns() // the server first, then the client: a socket
	cur := r.d.current()     // dropped in between counts as lingering
	mine := false
	for _, ci := range conns {
		if ci.User != r.e.user || !ci.Open {
			continue
		}
		open++
		sock := 0
		if len(ci.Received) > 0 {
			sock, _ = seqOf(ci.Received[0], "hello")
		}
		switch {
		case sock != 0 && sock == cur:
			mine = true
		case sock != 0:
			lingering++
			r.mu.Lock()
			r.lingering[ci.ID] = true
			r.mu.Unlock()
		}
	}
	if mine {
		lingering = open - 1 // the rest too: handshakes the client gave up on
	}
	r.ledger.ServerSockets(open, lingering)
	return open, lingering, mine && open == 1
}

// settle waits until the client is open again, its outbox flushed, and the
// server agrees: one open socket, the client's current one. Every fault but
// a delay must have ended socket from first. A client that stopped by
// design (4002, 4003) is started again.
func (r *chaosRun) settle(f chaos.Fault, from int, within time.Duration) error {
	mustEnd := from != 0 && f.Kind != chaos.DelayFrames
	deadline := time.Now().Add(within)
	for {
		st := r.c.Stats()
		if st.State == core.StateClosed {
			if f.Kind != chaos.Close || !chaos.Stops(f.Code) {
				return fmt.Errorf("the client stopped (last close %d %q)", st.LastCloseCode, st.LastCloseReason)
			}
			if _, _, err := r.c.Start(r.cfg); err != nil {
				return err
			}
			r.ledger.Restarted()
			continue
		}
		open, lingering, alone := r.look()
		cur := r.d.current()
		if st.State == core.StateOpen && st.Queued == 0 && alone && (!mustEnd || cur != from) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not settled within %v: client %v with %d queued, socket %d (was %d); server: %d open (%d lingering)",
				within, st.State, st.Queued, cur, from, open, lingering)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// merge gives the ledger what the server received on each connection.
func (r *chaosRun) merge() {
	for _, ci := range r.e.srv.Conns() {
		if ci.User != r.e.user {
			continue
		}
		r.mu.Lock()
		done := r.merged[ci.ID] == len(ci.Received)+1
		r.mu.Unlock()
		if done {
			continue
		}
		sock, seqs := 0, make([]int, 0, len(ci.Received))
		for i, m := range ci.Received {
			if n, ok := seqOf(m, "hello"); ok && i == 0 {
				sock = n
			} else if n, ok := seqOf(m, "seq"); ok {
				seqs = append(seqs, n)
			} else {
				r.t.Errorf("the server got an unexpected frame on connection %d: %.100s", ci.ID, m)
			}
		}
		r.ledger.ServerConn(ci.ID, sock, seqs)
		if !ci.Open {
			r.mu.Lock()
			r.merged[ci.ID] = len(ci.Received) + 1
			r.mu.Unlock()
		}
	}
}

// finish lifts every fault, lets the client recover and deliver what it
// holds, stops the load, waits for the last messages both ways, closes the
// client and judges the whole run.
func (r *chaosRun) finish() {
	t := r.t
	r.p.Stall(false)
	r.p.HoldHandshakes(false)
	r.p.Delay(0)
	r.e.srv.RefuseUpgrades(0, 0)
	if err := r.settle(chaos.Fault{Kind: chaos.DelayFrames}, 0, 10*time.Second); err != nil {
		t.Errorf("at the end: %v", err)
	}
	r.stopLoad()
	r.mu.Lock()
	r.steps = append(r.steps, "end")
	r.mu.Unlock()
	// The last messages and pushes are on their way.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.merge()
		if len(r.ledger.Check()) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	eventually(t, wait, "the client closed", func() bool { return r.c.State() == core.StateClosed })
	r.c.Wait()
	eventually(t, wait, "no socket left at the server", func() bool { open, _, _ := r.look(); return open == 0 })
	r.merge()
	if vs := r.ledger.Check(); len(vs) > 0 {
		t.Errorf("%d violations:%s", len(vs), list(vs))
	}
	s := r.ledger.Summary()
	if s.MaxClientSockets > 1 {
		t.Errorf("the client held %d sockets at once", s.MaxClientSockets)
	}
	if s.Lost != 0 || s.PushLost != 0 || s.Delivered == 0 || s.PushDelivered == 0 {
		t.Errorf("lost %d messages and %d pushes; delivered %d and %d", s.Lost, s.PushLost, s.Delivered, s.PushDelivered)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.events[core.EventUnusableToken]; n != 0 {
		t.Errorf("%d EVT_UNUSABLE_TOKEN", n)
	}
}

func (r *chaosRun) refreshes() int { return int(r.refreshed.Load()) }

func (r *chaosRun) lingeringSeen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lingering)
}

// chaosDialer is the native dialer with each socket numbered and recorded
// in the ledger: when it opened, which messages were written on it, when
// and how it ended. As its first frame it writes {"channel":"hello","seq":N}
// so the server's connection can be matched to socket N; the server echoes
// it back on channel "hello", which the run ignores.
type chaosDialer struct {
	inner  core.Dialer
	ledger *chaos.Ledger

	mu   sync.Mutex
	n    int
	open int // the socket not ended yet, 0 if none
}

func (d *chaosDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	conn, err := d.inner.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.n++
	sock := d.n
	d.open = sock
	d.mu.Unlock()
	d.ledger.Opened(sock, time.Now())
	_ = conn.WriteText(frameOf("hello", sock)) // a failure ends the socket, which the client will hear
	return &chaosConn{Conn: conn, d: d, sock: sock}, nil
}

func (d *chaosDialer) current() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.open
}

type chaosConn struct {
	core.Conn
	d      *chaosDialer
	sock   int
	closed atomic.Bool // the client closed it itself: a normal end
	end    sync.Once
}

// WriteText tells the ledger before it writes: the server may have the frame
// (and a mid-run check may look) before the write returns.
func (c *chaosConn) WriteText(data []byte) error {
	seq, isSeq := seqOf(data, "seq")
	if isSeq {
		c.d.ledger.Wrote(c.sock, seq)
	}
	err := c.Conn.WriteText(data)
	if err != nil && isSeq {
		c.d.ledger.Unwrote(c.sock, seq)
	}
	return err
}

// Unsent forwards core.Reclaimer (the browser's socket has it; the native
// one has nothing to give back) and tells the ledger.
func (c *chaosConn) Unsent() [][]byte {
	r, ok := c.Conn.(core.Reclaimer)
	if !ok {
		return nil
	}
	unsent := r.Unsent()
	for _, m := range unsent {
		if seq, ok := seqOf(m, "seq"); ok {
			c.d.ledger.Reclaimed(c.sock, seq)
		}
	}
	return unsent
}

func (c *chaosConn) Close(code int, reason string) error {
	c.closed.Store(true)
	return c.Conn.Close(code, reason)
}

func (c *chaosConn) Abort() {
	c.ended()
	c.Conn.Abort()
}

func (c *chaosConn) Serve(h core.Handler) { c.Conn.Serve(chaosHandler{Handler: h, c: c}) }

// ended records the end once, before the client hears of it, so before
// it can dial the next socket.
func (c *chaosConn) ended() {
	c.end.Do(func() {
		c.d.ledger.Ended(c.sock, time.Now(), !c.closed.Load())
		c.d.mu.Lock()
		if c.d.open == c.sock {
			c.d.open = 0
		}
		c.d.mu.Unlock()
	})
}

type chaosHandler struct {
	core.Handler
	c *chaosConn
}

func (h chaosHandler) HandleClose(ce *core.CloseError) {
	h.c.ended()
	h.Handler.HandleClose(ce)
}
