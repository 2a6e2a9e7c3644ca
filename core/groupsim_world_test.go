//go:build !js

package core_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing/synctest"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The simulation's world: one goroutine (the loop) owns every double (the
// BroadcastChannels, the lock manager, the server and its sockets, each
// tab's group state machine and executor) and runs them as a discrete event
// simulation on synctest's fake clock. The tabs' clients are the real
// core.Client, with their own goroutines and timers: whatever they call
// (Open, WriteText, OnEvent, ...) only queues an input for the loop, which
// takes the inputs tab by tab once the bubble is idle (synctest.Wait). So a
// seed replays exactly, whatever the goroutines' scheduling.

type simEv struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type simWorld struct {
	rng   *rand.Rand // latencies and the world's coin flips
	start time.Time
	now   time.Duration
	seq   uint64
	q     []simEv     // a binary min-heap by (at, seq)
	dirty atomic.Bool // a client queued an input
	async bool        // the loop may have woken a client's goroutine

	tabs   []*simTab
	bc     simBC
	locks  simLocks
	srv    simServer
	led    simLedger
	timing *core.GroupTiming // the group machines' (nil: the defaults)
	probe  int               // the server frame every open tab must get
	churn  int               // sockets opened or ended, connections made or lost
	trace  *strings.Builder  // the replay's log, nil unless asked
	bad    []string          // invariant violations
}

func newWorld(seed uint64, trace bool) *simWorld {
	w := &simWorld{
		rng:   rand.New(rand.NewPCG(seed, 0x776f726c64)),
		start: time.Now(),
	}
	if trace {
		w.trace = &strings.Builder{}
	}
	w.bc.w, w.locks.w, w.srv.w, w.led.w = w, w, w, w
	w.led.exempt = map[int]uint8{}
	w.led.overlap = map[int]bool{}
	w.bc.subs = map[string][]bcSub{}
	w.bc.links = map[bcLink]time.Duration{}
	w.locks.locks = map[string]*simLock{}
	w.srv.init()
	return w
}

func (w *simWorld) logf(format string, args ...any) {
	if w.trace != nil {
		fmt.Fprintf(w.trace, "%9.3fms ", float64(w.now)/1e6)
		fmt.Fprintf(w.trace, format, args...)
		w.trace.WriteByte('\n')
	}
}

func (w *simWorld) violation(format string, args ...any) {
	msg := fmt.Sprintf("at %v: ", w.now) + fmt.Sprintf(format, args...)
	w.bad = append(w.bad, msg)
	w.logf("VIOLATION %s", msg)
}

// after schedules fn d from now.
func (w *simWorld) after(d time.Duration, fn func()) {
	w.push(simEv{at: w.now + d, fn: fn})
}

func (w *simWorld) push(e simEv) {
	w.seq++
	e.seq = w.seq
	w.q = append(w.q, e)
	i := len(w.q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !w.less(i, p) {
			break
		}
		w.q[i], w.q[p] = w.q[p], w.q[i]
		i = p
	}
}

func (w *simWorld) less(i, j int) bool {
	if w.q[i].at != w.q[j].at {
		return w.q[i].at < w.q[j].at
	}
	return w.q[i].seq < w.q[j].seq
}

func (w *simWorld) pop() simEv {
	e := w.q[0]
	n := len(w.q) - 1
	w.q[0] = w.q[n]
	w.q[n] = simEv{}
	w.q = w.q[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && w.less(l, m) {
			m = l
		}
		if r < n && w.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		w.q[i], w.q[m] = w.q[m], w.q[i]
		i = m
	}
	return e
}

// wake is what a client's goroutine calls after queueing an input.
func (w *simWorld) wake() { w.dirty.Store(true) }

// quiesce lets the clients' goroutines finish what the last event set off
// (synctest.Wait also fires their timers that are due), then takes their
// inputs, tab by tab, until none is left.
//
// Only the loop wakes the clients' goroutines (their timers run on the
// loop: Options.AfterFunc), so it waits only when it may have (async).
func (w *simWorld) quiesce() {
	for {
		if w.async {
			w.async = false
			synctest.Wait()
		}
		if !w.dirty.Swap(false) {
			return
		}
		for _, t := range w.tabs {
			t.drain()
		}
	}
}

// runUntil runs the world until end (relative to the start).
func (w *simWorld) runUntil(end time.Duration) {
	for {
		w.quiesce()
		if len(w.q) > 0 && w.q[0].at <= w.now {
			w.pop().fn()
			continue
		}
		if w.now >= end {
			return
		}
		next := end
		if len(w.q) > 0 && w.q[0].at < next {
			next = w.q[0].at
		}
		w.sleepUntil(next)
	}
}

// runFor runs the world for d more.
func (w *simWorld) runFor(d time.Duration) { w.runUntil(w.now + d) }

// runUntilTrue runs the world until cond holds (checked every step of
// poll) or within has passed; it reports whether cond held.
func (w *simWorld) runUntilTrue(within, poll time.Duration, cond func() bool) bool {
	end := w.now + within
	for {
		w.quiesce()
		if cond() {
			return true
		}
		if w.now >= end {
			return false
		}
		w.runUntil(min(end, w.now+poll))
	}
}

// sleepUntil lets fake time pass until t. Nothing else runs meanwhile:
// the clients' goroutines are blocked (quiesce) and their timers are the
// loop's, so the clock moves only here.
func (w *simWorld) sleepUntil(t time.Duration) {
	if d := t - w.now; d > 0 {
		time.Sleep(d)
	}
	w.now = time.Since(w.start)
}

// wall is the tabs' Date.now(), as the group machine takes it.
func (w *simWorld) wall() time.Duration { return w.now + 1e9*time.Second }

// lat returns a latency uniform in [lo, hi].
func (w *simWorld) lat(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)+1))
}

// ---- BroadcastChannel ------------------------------------------------------

// simBC delivers a post to every other tab's listener of the name that
// exists when it is posted and still does when it arrives; one sender's
// posts on a name reach a receiver in order.
type simBC struct {
	w     *simWorld
	subs  map[string][]bcSub
	links map[bcLink]time.Duration // the last arrival per sender, receiver and name
	objs  uint64
}

type bcSub struct {
	t   *simTab
	obj uint64
}

type bcLink struct {
	from, to *simTab
	name     string
}

func (b *simBC) listen(t *simTab, name string, on bool) {
	subs := b.subs[name]
	for i, s := range subs {
		if s.t == t {
			if !on {
				b.subs[name] = append(subs[:i], subs[i+1:]...)
			}
			return
		}
	}
	if on {
		b.objs++
		b.subs[name] = append(subs, bcSub{t: t, obj: b.objs})
	}
}

func (b *simBC) listening(t *simTab, name string, obj uint64) bool {
	for _, s := range b.subs[name] {
		if s.t == t {
			return s.obj == obj
		}
	}
	return false
}

func (b *simBC) post(from *simTab, name string, msg core.GroupMsg) {
	w := b.w
	m := &msg // one structured clone for every receiver: none changes it
	for _, s := range b.subs[name] {
		if s.t == from {
			continue
		}
		to, obj := s.t, s.obj
		k := bcLink{from, to, name}
		at := max(b.links[k], w.now+w.lat(20*time.Microsecond, 400*time.Microsecond))
		b.links[k] = at
		w.push(simEv{at: at, fn: func() {
			if from.crashed && w.rng.IntN(2) == 0 {
				w.logf("%s: lost %s from crashed %s", to.id, m.T, from.id)
				w.led.lostWithCrash(from, to, m)
				return
			}
			if !b.listening(to, name, obj) {
				return
			}
			to.task(func() {
				w.led.givenBack(to, m)
				to.message(name, m)
			})
		}})
	}
}

// ---- Web Locks ---------------------------------------------------------

// simLocks is the browser's lock manager for exclusive locks: requests
// queue in order, a steal takes the lock at once and rejects the holder's
// request (its notice travels apart, and may come after later answers), a
// query answers with the holder's client id, and a tab that closes or
// crashes has its locks released (a crashed one's a while later, with its
// socket). Each tab's requests and answers travel in order.
type simLocks struct {
	w     *simWorld
	locks map[string]*simLock
}

type simLock struct {
	holder *lockReq
	queue  []*lockReq
}

type lockReq struct {
	t    *simTab
	id   uint64
	name string
}

func (l *simLocks) lock(name string) *simLock {
	k := l.locks[name]
	if k == nil {
		k = &simLock{}
		l.locks[name] = k
	}
	return k
}

// up runs fn at the manager once the tab's earlier operations are done.
func (l *simLocks) up(t *simTab, fn func()) {
	w := l.w
	t.lockUp = max(t.lockUp, w.now+w.lat(10*time.Microsecond, 300*time.Microsecond))
	w.push(simEv{at: t.lockUp, fn: fn})
}

// down delivers fn to the tab, after its earlier answers.
func (l *simLocks) down(t *simTab, fn func()) {
	w := l.w
	t.lockDown = max(t.lockDown, w.now+w.lat(10*time.Microsecond, 300*time.Microsecond))
	w.push(simEv{at: t.lockDown, fn: func() { t.task(fn) }})
}

func (l *simLocks) request(t *simTab, name string, id uint64, steal bool) {
	r := &lockReq{t: t, id: id, name: name}
	l.up(t, func() {
		if t.lockGone {
			return
		}
		k := l.lock(name)
		switch {
		case steal:
			if h := k.holder; h != nil {
				// the thief's notice travels apart from the victim's answers
				l.w.after(l.w.lat(10*time.Microsecond, 3*time.Millisecond), func() {
					h.t.task(func() { h.t.step(core.GroupEvent{Kind: core.EvLockFailed, Req: h.id}) })
				})
			}
			k.holder = r
			l.grant(r)
		case k.holder == nil && len(k.queue) == 0:
			k.holder = r
			l.grant(r)
		default:
			k.queue = append(k.queue, r)
		}
	})
}

func (l *simLocks) grant(r *lockReq) {
	l.w.logf("lock %s granted to %s#%d", short(r.name), r.t.id, r.id)
	l.down(r.t, func() { r.t.step(core.GroupEvent{Kind: core.EvLockGranted, Req: r.id}) })
}

// next grants the lock to the first request waiting.
func (l *simLocks) next(k *simLock) {
	if k.holder != nil || len(k.queue) == 0 {
		return
	}
	k.holder = k.queue[0]
	k.queue = k.queue[1:]
	l.grant(k.holder)
}

func (l *simLocks) abort(t *simTab, id uint64) {
	l.up(t, func() {
		for _, k := range l.locks {
			for i, r := range k.queue {
				if r.t == t && r.id == id {
					k.queue = append(k.queue[:i], k.queue[i+1:]...)
					l.down(t, func() { t.step(core.GroupEvent{Kind: core.EvLockFailed, Req: id}) })
					return
				}
			}
		}
	})
}

func (l *simLocks) release(t *simTab, id uint64) {
	l.up(t, func() {
		for _, k := range l.locks {
			if h := k.holder; h != nil && h.t == t && h.id == id {
				k.holder = nil
				l.next(k)
				return
			}
		}
	})
}

func (l *simLocks) query(t *simTab, name string, id uint64) {
	l.up(t, func() {
		holder := ""
		if h := l.lock(name).holder; h != nil {
			holder = h.t.clientID
		}
		l.down(t, func() { t.step(core.GroupEvent{Kind: core.EvLockState, Req: id, Holder: holder}) })
	})
}

// drop releases everything the tab holds or waits for (it is gone).
func (l *simLocks) drop(t *simTab) {
	t.lockGone = true
	for _, k := range l.locks {
		k.queue = removeReqs(k.queue, t)
		if k.holder != nil && k.holder.t == t {
			k.holder = nil
			l.next(k)
		}
	}
}

func removeReqs(q []*lockReq, t *simTab) []*lockReq {
	out := q[:0]
	for _, r := range q {
		if r.t != t {
			out = append(out, r)
		}
	}
	return out
}

func short(name string) string { return strings.TrimPrefix(name, "kiss-websocket:") }
