//go:build !js

package core_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The schedule of one simulated run: its tabs, its faults, and the
// settled points where the ledger and the liveness checks run.

// fault is one kind of step of a schedule.
type fault uint8

const (
	fOpen fault = iota + 1
	fClose
	fCrash
	fFreeze
	fStuck
	fVisibility
	fSend
	fAppClose
	fPush
	fDrop
	fRefuse
	fGoingAway
	fTooMany
	fDefinitive
	fExpire
	fRevoke
	fSwitch
	faultCount
)

var faultNames = [...]string{"", "open", "close", "crash", "freeze", "stuck", "visibility", "send", "app-close",
	"push", "drop", "refuse", "1001", "4002", "4003", "expire", "revoke", "switch"}

func (f fault) String() string { return faultNames[f] }

var faultWeights = [faultCount]int{0, 8, 6, 4, 6, 5, 6, 16, 4, 8, 5, 3, 3, 2, 2, 3, 1, 2}

// simConfig is each tab's init({shared: true}): quick reconnections that
// never give up, a heartbeat that notices a stuck leader, and one of a few
// connect timeouts (KissJS apps use the default; the chaos runs 300 ms).
func simConfig(rng *rand.Rand) core.Config {
	cfg := core.Defaults()
	cfg.Shared = true
	cfg.Reconnection.Delay, cfg.Reconnection.Delta = 30*time.Millisecond, 1
	cfg.Reconnection.MaxAttempts = math.MaxInt
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 1500 * time.Millisecond, Timeout: 4300 * time.Millisecond}
	cfg.ConnectTimeout = []time.Duration{300 * time.Millisecond, 2500 * time.Millisecond, 20 * time.Second}[rng.IntN(3)]
	cfg.Outbox.MaxMessages = 2000
	return cfg
}

type simRun struct {
	w       *simWorld
	rng     *rand.Rand
	seed    uint64
	cfg     core.Config
	res     simResult
	pending int // faults whose end is still to come (a freeze, a stuck tab, a refusal)
}

func runSchedule(seed uint64, steps int, trace bool) (res simResult) {
	w := newWorld(seed, trace)
	r := &simRun{w: w, rng: rand.New(rand.NewPCG(seed, 0x7363686564)), seed: seed}
	r.cfg = simConfig(r.rng)
	w.logf("seed %d, connect timeout %v", seed, r.cfg.ConnectTimeout)
	defer func() {
		r.shutdown()
		res = r.res
		res.bad, res.simTime, res.maxOpen = w.bad, w.now, w.led.maxOpen
		res.accepted, res.recv, res.dups, res.lost = w.led.accepted, w.led.recv, w.led.dups, w.led.lostSrv
		res.crashLost, res.twice, res.reordered = w.led.crashLost, w.led.twice, w.led.reordered
		res.tabs = len(w.tabs)
		if trace {
			res.log = w.trace.String()
		}
	}()
	for range 1 + r.rng.IntN(6) {
		r.open()
		w.runFor(w.lat(0, 20*time.Millisecond))
	}
	r.settle("start")
	for i := 0; i < steps && len(w.bad) == 0; i++ {
		r.step(i)
		if r.rng.IntN(3) == 0 {
			r.settle(fmt.Sprintf("step %d", i))
		} else {
			w.runFor(time.Duration(r.rng.Int64N(int64(1500 * time.Millisecond))))
		}
	}
	if len(w.bad) == 0 {
		r.settle("end")
	}
	return res
}

func (r *simRun) alive() []*simTab {
	var out []*simTab
	for _, t := range r.w.tabs {
		if !t.dead && !t.going {
			out = append(out, t)
		}
	}
	return out
}

// running are the tabs whose page runs (not frozen, not stuck).
func (r *simRun) running() []*simTab {
	var out []*simTab
	for _, t := range r.alive() {
		if !t.frozen && !t.stuck {
			out = append(out, t)
		}
	}
	return out
}

func (r *simRun) leader() *simTab {
	for _, t := range r.alive() {
		if t.g.Leading() {
			return t
		}
	}
	return nil
}

// pick returns a tab of ts, the leader with probability p when it is one.
func (r *simRun) pick(ts []*simTab, p float64) *simTab {
	if l := r.leader(); l != nil && r.rng.Float64() < p {
		for _, t := range ts {
			if t == l {
				return t
			}
		}
	}
	return ts[r.rng.IntN(len(ts))]
}

func (r *simRun) open() {
	w := r.w
	t := newTab(w, len(w.tabs), r.cfg, r.seed)
	w.tabs = append(w.tabs, t)
	t.hidden = len(r.alive()) > 1 && r.rng.IntN(3) > 0
	if t.hidden {
		t.step(core.GroupEvent{Kind: core.EvHidden})
	}
	w.logf("%s opens (hidden %v)", t.id, t.hidden)
	r.start(t)
}

// start is the app's init(). One made while the client still closes does
// nothing (as KissJS's): the app tries again a little later.
func (r *simRun) start(t *simTab) {
	r.w.async = true
	_, started, err := t.client.Start(r.cfg)
	switch {
	case err != nil:
		r.w.violation("%s: Start: %v", t.id, err)
	case started:
		t.appClosed, t.terminal = false, 0
	default:
		r.until(time.Duration(100+r.rng.IntN(900))*time.Millisecond, func() {
			if !t.dead && t.appClosed {
				r.start(t)
			}
		})
	}
}

func (r *simRun) step(i int) {
	w := r.w
	total := 0
	for _, n := range faultWeights {
		total += n
	}
	x := r.rng.IntN(total)
	f := fault(1)
	for ; x >= faultWeights[f]; f++ {
		x -= faultWeights[f]
	}
	alive, running := r.alive(), r.running()
	if f == fOpen && len(alive) >= 6 || (f == fClose || f == fCrash) && len(alive) <= 1 {
		f = fSend
	}
	if len(running) == 0 && (f == fSend || f == fAppClose || f == fVisibility || f == fClose || f == fFreeze || f == fStuck) {
		f = fPush
	}
	r.res.faults++
	r.res.faultsByKind[f]++
	w.logf("== step %d: %s", i, f)
	srv := &w.srv
	switch f {
	case fOpen:
		r.open()
	case fClose:
		r.closeTab(r.pick(running, 0.5))
	case fCrash:
		r.crash(r.pick(alive, 0.5))
	case fFreeze:
		t := r.pick(running, 0.5)
		d := time.Duration(200+r.rng.IntN(8000)) * time.Millisecond
		w.logf("%s freezes for %v", t.id, d)
		t.step(core.GroupEvent{Kind: core.EvFreeze})
		t.frozen = true
		r.until(d, func() {
			if t.dead {
				return
			}
			w.logf("%s resumes", t.id)
			t.frozen = false
			t.step(core.GroupEvent{Kind: core.EvResume})
			w.async = true
			t.client.Probe()
			t.resume()
		})
	case fStuck:
		t := r.pick(running, 0.7)
		d := time.Duration(500+r.rng.IntN(12000)) * time.Millisecond
		w.logf("%s is stuck for %v", t.id, d)
		t.stuck = true
		r.until(d, func() {
			t.stuck = false
			t.resume()
		})
	case fVisibility:
		t := running[r.rng.IntN(len(running))]
		t.hidden = !t.hidden
		w.logf("%s hidden %v", t.id, t.hidden)
		if t.hidden {
			t.step(core.GroupEvent{Kind: core.EvHidden})
		} else {
			t.step(core.GroupEvent{Kind: core.EvVisible})
			w.async = true
			t.client.Reconnect()
		}
	case fSend:
		for range 1 + r.rng.IntN(3) {
			t := running[r.rng.IntN(len(running))]
			n := 1 + r.rng.IntN(8)
			if r.rng.IntN(8) == 0 {
				n = 200 + r.rng.IntN(200) // more than one batch
			}
			r.send(t, n)
		}
	case fAppClose:
		t := running[r.rng.IntN(len(running))]
		if t.appClosed {
			r.start(t)
			break
		}
		w.logf("%s: the app closes", t.id)
		t.appClosed = true
		w.async = true
		if err := t.client.Close(); err != nil {
			w.violation("%s: Close: %v", t.id, err)
		}
		r.until(time.Duration(r.rng.IntN(3000))*time.Millisecond, func() {
			if !t.dead && t.appClosed {
				w.logf("%s: the app starts again", t.id)
				r.start(t) // (a frozen or stuck page runs it late: not modelled)
			}
		})
	case fPush:
		for range 1 + r.rng.IntN(20) {
			srv.push()
		}
	case fDrop:
		srv.dropAll()
	case fRefuse:
		srv.refusing = true
		srv.dropAll()
		r.until(time.Duration(500+r.rng.IntN(3500))*time.Millisecond, func() { srv.refusing = false })
	case fGoingAway:
		srv.closeAll(core.CodeGoingAway, "SERVER_RESTART")
	case fTooMany:
		srv.closeAll(core.CodeTooManySockets, "TOO_MANY_SOCKETS")
		r.settleAndRestart(i)
	case fDefinitive:
		srv.closeAll(core.CodeDefinitiveClose, "DEFINITIVE_CLOSE")
		r.settleAndRestart(i)
	case fExpire:
		// settled first: the client checks the token once per outage (and
		// again only after core.TokenRecheck), so one that expires during an
		// outage already checked may be retried for 30 s
		r.settle(fmt.Sprintf("step %d", i))
		srv.tokens[srv.token].state = tokExpired
		srv.dropAll()
	case fRevoke:
		r.settle(fmt.Sprintf("step %d", i))
		srv.tokens[srv.token].state = tokRevoked
		srv.dropAll()
		r.settleAndRestart(i)
	case fSwitch:
		// another user logs in on the profile: every socket of the old one
		// goes, and every tab's next is the new user's
		srv.refusing = true
		srv.dropAll()
		srv.tokens[srv.token].state = tokRevoked // logout: a handshake on its way is refused
		srv.login("user" + strconv.Itoa(srv.nextTok))
		r.until(time.Duration(100+r.rng.IntN(1000))*time.Millisecond, func() { srv.refusing = false })
	}
	// the app keeps sending meanwhile
	if running := r.running(); len(running) > 0 && r.rng.IntN(2) == 0 {
		r.send(running[r.rng.IntN(len(running))], 1+r.rng.IntN(4))
	}
}

// until runs fn after d, counted as a fault still under way.
func (r *simRun) until(d time.Duration, fn func()) {
	r.pending++
	r.w.after(d, func() {
		r.pending--
		fn()
	})
}

// send is the app calling send() n times in one task.
func (r *simRun) send(t *simTab, n int) {
	w := r.w
	if t.appClosed || t.client.State() == core.StateIdle {
		return
	}
	session := w.srv.session()
	if t.client.State() == core.StateOpen {
		session = t.tab.Opened() // the socket it writes to
	}
	w.logf("%s: the app sends %d (from id %d, state %s)", t.id, n, len(w.led.msgs)+1, t.client.State())
	if t.fast != nil && t.client.State() == core.StateOpen && t.client.Stats().Queued == 0 {
		frames := make([][]byte, n)
		for i := range frames {
			frames[i] = []byte(`{"channel":"m","id":` + strconv.Itoa(len(w.led.msgs)+1) + `}`)
			w.led.accept(t, session)
		}
		t.sendFast(frames)
		return
	}
	for range n {
		id := len(w.led.msgs) + 1
		data := []byte(`{"channel":"m","id":` + strconv.Itoa(id) + `}`)
		if err := t.client.Send(data); err != nil {
			continue // refused (outbox full): the app knows
		}
		w.led.accept(t, session)
	}
}

// closeTab is the tab going away: pagehide, then the page runs on for a
// moment (the rest of its unload: what its client does on the pagehide's
// effects, a reconnection included, reaches the others), then nothing.
// The schedule counts it gone from the pagehide on.
func (r *simRun) closeTab(t *simTab) {
	w := r.w
	w.logf("%s closes", t.id)
	t.going = true
	t.step(core.GroupEvent{Kind: core.EvGone})
	w.after(w.lat(0, 30*time.Millisecond), func() {
		w.logf("%s is gone", t.id)
		r.kill(t)
		w.locks.up(t, func() { w.locks.drop(t) })
		for _, k := range t.socks {
			if !k.atServer && !k.byServer {
				for _, f := range k.inflight { // its socket had failed unseen
					w.led.lostWithLeader(f.data)
				}
				k.inflight = nil
			}
		}
		for _, k := range t.socks {
			if !k.closed && !k.closing {
				w.srv.clientClose(k, core.CodeGoingAway, "")
			}
		}
	})
}

// crash is the tab's renderer dying: nothing more from it; the browser
// releases its lock and ends its socket once it notices.
func (r *simRun) crash(t *simTab) {
	w := r.w
	w.logf("%s crashes", t.id)
	t.crashed = true
	r.kill(t)
	d := time.Duration(r.rng.Int64N(int64(2 * time.Second)))
	w.after(d, func() {
		w.locks.drop(t)
		for _, k := range t.socks {
			w.push(simEv{at: max(w.now, k.upLast), fn: func() {
				w.srv.crashed(k)
				// what its socket never sent (it had failed unseen) dies
				// with it, followers' frames it had confirmed included
				for _, f := range k.inflight {
					w.led.lostWithLeader(f.data)
				}
				k.inflight = nil
			}})
		}
	})
}

func (r *simRun) kill(t *simTab) {
	t.dead = true
	t.tab.Stop()
	t.backlog = nil
	r.w.async = true
	_ = t.client.Close() // its events go nowhere now
}

// settleAndRestart waits for the tabs to settle after a close that ends
// them, then the app starts each again (as KissJS apps do on init).
func (r *simRun) settleAndRestart(i int) {
	r.settle(fmt.Sprintf("step %d", i))
	for _, t := range r.running() {
		if t.terminal != 0 && !t.appClosed {
			if t.terminal == core.EventUnusableToken {
				r.w.srv.login(r.w.srv.user) // the user logs in again
			}
			r.start(t)
		}
	}
}

// settle waits until the faults under way have ended, then until the tabs
// settle (see settled), and checks what must hold then.
func (r *simRun) settle(what string) {
	w := r.w
	r.res.settles++
	w.runUntilTrue(2*time.Minute, 50*time.Millisecond, func() bool { return r.pending == 0 })
	for try := 0; ; try++ {
		// settled, and still so a while later (a message on its way may
		// start a handover: a yield to a visible tab, say)
		var why string
		since := time.Duration(-1)
		if !w.runUntilTrue(time.Minute, 100*time.Millisecond, func() bool {
			if why = r.settled(); why != "" {
				w.logf("not settled: %s", why)
				since = -1
				return false
			}
			if since < 0 {
				since = w.now
			}
			return w.now-since >= 700*time.Millisecond
		}) {
			w.violation("not settled a minute after %s: %s", what, why)
			return
		}
		w.logf("settled after %s", what)
		for _, t := range r.running() {
			if t.client.State() == core.StateOpen {
				w.led.complete(t)
			}
		}
		if r.probe(what, try == 2) {
			return
		}
	}
}

// probe pushes a frame from the server, which every open tab gets once.
// It reports false (to try again) when a tab missed it while a socket
// came or went meanwhile (what the server pushed between two sockets is
// not replayed, as after any reconnection), unless last.
func (r *simRun) probe(what string, last bool) bool {
	w := r.w
	open := 0
	for _, t := range r.running() {
		t.gotProbe = false
		if t.client.State() == core.StateOpen {
			open++
		}
	}
	if open == 0 {
		return true
	}
	churn := w.churn
	w.probe = w.srv.push()
	missed := func() (out []*simTab) {
		for _, t := range r.running() {
			if t.client.State() == core.StateOpen && !t.gotProbe {
				out = append(out, t)
			}
		}
		return out
	}
	w.runUntilTrue(5*time.Second, 10*time.Millisecond, func() bool { return len(missed()) == 0 })
	m := missed()
	if len(m) == 0 {
		return true
	}
	if w.churn != churn && !last {
		return false
	}
	for _, t := range m {
		w.violation("%s did not get the server's frame %d, settled after %s", t.id, w.probe, what)
	}
	return true
}

// settled says why the tabs are not settled, "" when they are: every tab
// the app runs is open, or all of those not open ended with the same
// terminal event; one of them leads; the server holds exactly one socket
// (none when no tab is open); nothing waits in an outbox or for an ack.
func (r *simRun) settled() string {
	w := r.w
	open, leaders := 0, 0
	var term core.EventKind
	for _, t := range r.running() {
		if t.appClosed {
			continue
		}
		st := t.client.State()
		switch {
		case st == core.StateOpen:
			open++
			if t.g.Leading() {
				leaders++
			}
			if q := t.client.Stats().Queued; q > 0 {
				return t.id + " has messages queued"
			}
			if p := t.g.Pending(); p > 0 {
				return t.id + " waits for acks"
			}
		case st == core.StateClosed && t.terminal != 0:
			if term != 0 && term != t.terminal {
				return "tabs ended with " + term.String() + " and " + t.terminal.String()
			}
			term = t.terminal
		default:
			return t.id + " is " + st.String()
		}
	}
	for _, k := range w.srv.socks {
		for _, f := range k.inflight {
			if string(f.data) != "ping" {
				return "frames on their way to the server"
			}
		}
	}
	srv := w.srv.openCount()
	switch {
	case open > 0 && leaders != 1:
		return itoa(leaders) + " leaders"
	case open > 0 && srv != 1:
		return itoa(srv) + " sockets at the server"
	case open == 0 && srv != 0:
		return itoa(srv) + " sockets at the server, no tab open"
	}
	return ""
}

// shutdown stops every client, so the bubble ends with no goroutine: each
// is closed, and a connection whose end nobody will report any more (its
// tab is gone) ends now.
func (r *simRun) shutdown() {
	w := r.w
	for _, t := range w.tabs {
		t.dead = true
		t.tab.Stop()
		_ = t.client.Close()
	}
	w.async = true
	w.quiesce()
	for _, t := range w.tabs {
		t.tab.Shutdown()
	}
	w.async = true
	w.quiesce()
	for _, t := range w.tabs {
		t.client.Wait()
	}
}
