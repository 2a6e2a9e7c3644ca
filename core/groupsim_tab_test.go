//go:build !js

package core_test

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// simTab is one browser tab: the real core.Client, the real core.Group and
// core.GroupTab (the executor between them, as in the browser), and the
// tab's world (its timers, its page's tasks, the socket it holds while it
// leads), plus the application that sends and the ledger of what it got.
type simTab struct {
	w        *simWorld
	i        int
	id       string
	clientID string // the lock manager's id for this tab
	client   *core.Client
	g        *core.Group
	tab      *core.GroupTab
	cfg      core.Config

	dead     bool // closed or crashed: nothing reaches it any more
	going    bool // closed (pagehide): its page runs on for a moment, the schedule counts it gone
	crashed  bool
	frozen   bool
	stuck    bool
	hidden   bool
	lockGone bool // the lock manager dropped it
	lockUp   time.Duration
	lockDown time.Duration
	backlog  []func()
	draining bool // the backlog is running: later tasks queue behind it

	appClosed bool           // the app called close() and has not started again
	terminal  core.EventKind // the last terminal event of the client (0: none since the last start)
	socks     []*simSock     // the real sockets it opened, oldest first
	timers    [5]uint64      // the armed id of each group timer
	relayOn   bool
	relayName string
	relayConn core.ConnID
	fast      *core.GroupEffect // the FxFast rule in force: the app's sends on the stand-in posted by the page
	lead      *core.GroupEffect // the FxLead rule in force: followers' batches written by the page

	// the app's ledger
	nextN         int   // its sends so far
	sent          []int // the ids of its accepted messages, in order
	serverN       int   // the last of its n the server read
	serverSock    int   // the socket it read it on
	checked       int   // sent[:checked] were judged complete
	discardedSeen int   // the client's Discarded at that point
	lastSeq       int   // the last server frame its app got
	gotProbe      bool
	wroteFor      []int // followers' messages this tab wrote as leader

	mu  sync.Mutex // guards inq (the client's timers queue themselves)
	inq []tabInput
	tmp []tabInput
}

// tabInput is one of the client's timers, armed now.
type tabInput struct {
	timer *simTimer
	gen   int64
	after time.Duration
}

func newTab(w *simWorld, i int, cfg core.Config, seed uint64) *simTab {
	t := &simTab{w: w, i: i, id: "t" + strconv.Itoa(i), clientID: "c" + strconv.Itoa(i), cfg: cfg}
	grng := rand.New(rand.NewPCG(seed, uint64(i)*2+1))
	crng := rand.New(rand.NewPCG(seed, uint64(i)*2+2))
	t.g = core.NewGroup(core.GroupOptions{Tab: t.id, Timing: w.timing, Rand: grng.Float64,
		RTT: func() time.Duration { return t.client.Stats().RTT }})
	t.tab = core.NewGroupTab(core.GroupTabOptions{Group: t.g, World: t, Now: w.wall,
		Trace: t.trace, Woke: func() { w.async = true },
		Fault: func(msg string) { w.violation("%s: %s", t.id, msg) }})
	t.client = core.New(core.Options{
		Dialer: t.tab,
		URL: func(core.Config) (string, error) {
			return "ws://kiss.test/?token=" + w.srv.token, nil // read at every attempt (the loop is idle)
		},
		CheckToken: t.checkToken,
		Session:    func() string { return w.srv.session() },
		OnEvent:    t.onEvent,
		Rand:       crng.Float64,
		AfterFunc:  t.afterFunc,
	})
	t.tab.Attach(t.client)
	return t
}

// Wake is core.GroupWorld's: the loop takes the client's calls once the
// bubble is idle.
func (t *simTab) Wake() { t.w.wake() }

// queue is how the client's timers reach the loop.
func (t *simTab) queue(in tabInput) {
	t.mu.Lock()
	t.inq = append(t.inq, in)
	t.mu.Unlock()
	t.w.wake()
}

var _ core.GroupWorld = (*simTab)(nil)

func (t *simTab) checkToken(ctx core.Context, _ string) core.TokenStatus {
	reply := make(chan core.TokenStatus, 1)
	t.tab.Queue(func() {
		if t.dead {
			reply <- core.TokenUnknown
		} else {
			reply <- t.w.srv.check()
		}
		t.w.async = true
	})
	select {
	case st := <-reply:
		return st
	case <-ctx.Done():
		return core.TokenUnknown
	}
}

// onEvent takes the client's events in order with its calls on its
// connections (a close's EvClose comes before the EvLeave its end sets off).
func (t *simTab) onEvent(e core.Event) {
	kind, id := e.Kind, 0
	if kind == core.EventMessage {
		id = frameID(e.Data)
	}
	t.tab.Queue(func() {
		if !t.dead {
			t.event(kind, id)
		}
	})
}

// frameID reads the id of a frame {"channel":"m","id":N}.
func frameID(b []byte) int {
	n, i := 0, len(b)-2
	for i >= 0 && b[i] >= '0' && b[i] <= '9' {
		i--
	}
	for _, c := range b[i+1 : len(b)-1] {
		n = n*10 + int(c-'0')
	}
	return n
}

// drain takes the client's inputs: its timers are armed now, whatever the
// page does (they fire as its tasks); then its calls on its connections
// and its events, in order. The client only acts in a task of its page
// (its timers are the page's tasks, its goroutines wake on what a task
// did): what it calls is that task's continuation, at once, as in a
// browser.
func (t *simTab) drain() {
	t.mu.Lock()
	t.tmp, t.inq = t.inq, t.tmp[:0]
	in := t.tmp
	t.mu.Unlock()
	for _, x := range in {
		if !t.dead {
			x.timer.schedule(x.gen, x.after)
		}
	}
	t.tab.Run()
}

// Write is the loader's hot path: the leader's client writes straight to
// its socket.
func (t *simTab) Write(conn core.ConnID, data []byte, ping bool) error {
	k := t.sock(conn)
	if k.closed || k.closing {
		if !ping {
			t.w.violation("%s: its client wrote on its closed socket %d (the frame is lost)", t.id, k.id)
		}
		return nil
	}
	t.w.srv.write(k, [][]byte{data}, "")
	return nil
}

func (t *simTab) sock(conn core.ConnID) *simSock {
	for _, k := range t.socks {
		if k.conn == conn {
			return k
		}
	}
	return nil
}

func (t *simTab) event(kind core.EventKind, msgID int) {
	w := t.w
	switch kind {
	case core.EventMessage:
		w.led.delivered(t, msgID)
	case core.EventConnectionClosed, core.EventConnectionLost, core.EventUnusableToken:
		t.terminal = kind
		w.logf("%s: %s", t.id, kind)
		t.step(core.GroupEvent{Kind: core.EvLeave})
	case core.EventConnected, core.EventReconnected, core.EventDisconnected:
		w.churn++
		w.logf("%s: %s", t.id, kind)
	}
}

// task runs fn as one task of the tab's page: at once, or after the tasks
// that wait while the page is frozen or stuck.
func (t *simTab) task(fn func()) {
	switch {
	case t.dead:
	case t.frozen || t.stuck || t.draining:
		t.backlog = append(t.backlog, fn)
	default:
		fn()
	}
}

// resume runs what waited, one task per world event, in order.
func (t *simTab) resume() {
	if t.dead || t.frozen || t.stuck || t.draining || len(t.backlog) == 0 {
		return
	}
	t.draining = true
	var next func()
	next = func() {
		if t.dead || t.frozen || t.stuck {
			t.draining = false
			return
		}
		if len(t.backlog) == 0 {
			t.draining = false
			return
		}
		fn := t.backlog[0]
		t.backlog = t.backlog[1:]
		fn()
		t.w.after(0, next)
	}
	t.w.after(0, next)
}

// step feeds the group state machine and carries out its effects.
func (t *simTab) step(evs ...core.GroupEvent) {
	if !t.dead {
		t.tab.Step(evs...)
	}
}

func (t *simTab) trace(fx *core.GroupEffect) {
	if t.w.trace != nil && fx.Kind != core.FxDeliver {
		t.w.logf("%s: %s", t.id, describeFx(fx))
	}
}

// Do carries out the effects that are the world's (core.GroupWorld).
func (t *simTab) Do(fx *core.GroupEffect) {
	w := t.w
	switch fx.Kind {
	case core.FxUnsent:
		w.violation("%s: %d frames written on conn %d after it closed: lost", t.id, len(fx.Frames), fx.Conn)
	case core.FxLost:
		for _, f := range fx.Frames {
			w.led.lostWithLeader(f)
		}
	case core.FxOpenSocket:
		t.socks = append(t.socks, w.srv.connect(t, fx.Conn, fx.URL))
	case core.FxWrite:
		if k := t.sock(fx.Conn); k != nil && !k.closed && !k.closing {
			w.led.written(t, fx.From, fx.Frames)
			w.srv.write(k, fx.Frames, fx.From)
		} else {
			w.violation("%s: group wrote on socket of conn %d, which is closed", t.id, fx.Conn)
		}
	case core.FxCloseSocket:
		if k := t.sock(fx.Conn); k != nil {
			w.srv.clientClose(k, fx.Code, fx.Reason)
		}
	case core.FxRelay:
		t.relayOn, t.relayName, t.relayConn = fx.On, fx.Name, fx.Conn
	case core.FxLead:
		switch {
		case fx.On:
			r := *fx
			t.lead = &r
		case t.lead != nil && t.lead.Conn == fx.Conn:
			t.lead = nil
		}
	case core.FxFast:
		switch {
		case fx.On:
			r := *fx
			t.fast = &r
		case t.fast != nil && t.fast.Conn == fx.Conn:
			t.fast = nil
		}
	case core.FxListen:
		w.bc.listen(t, fx.Name, fx.On)
	case core.FxPost:
		w.bc.post(t, fx.Name, fx.Msg)
	case core.FxLock:
		w.locks.request(t, fx.Name, fx.Req, fx.Steal)
	case core.FxAbortLock:
		w.locks.abort(t, fx.Req)
	case core.FxRelease:
		w.locks.release(t, fx.Req)
	case core.FxQuery:
		w.locks.query(t, fx.Name, fx.Req)
	case core.FxStartTimer:
		t.timers[fx.Timer] = fx.Req
		timer, id := fx.Timer, fx.Req
		w.after(fx.After, func() {
			if t.timers[timer] == id {
				t.task(func() { t.step(core.GroupEvent{Kind: core.EvTimer, Timer: timer, Req: id}) })
			}
		})
	case core.FxStopTimer:
		t.timers[fx.Timer] = 0
	}
}

// The real socket's events, as the browser gives them to the loader.

func (t *simTab) socketOpen(k *simSock) {
	if k.closed {
		return
	}
	k.open = true
	t.step(core.GroupEvent{Kind: core.EvSocketOpen, Conn: k.conn})
}

func (t *simTab) socketClosed(k *simSock, ce core.CloseError) {
	if k.reported {
		return
	}
	k.closed, k.reported = true, true
	ev := core.GroupEvent{Kind: core.EvSocketClose, Conn: k.conn, Close: ce}
	if !ce.WasClean {
		for _, f := range k.inflight { // never read by the server: still buffered
			if string(f.data) == "ping" {
				continue // the loader's unsent() leaves pings out
			}
			ev.Frames = append(ev.Frames, f.data)
			ev.Owners = append(ev.Owners, f.owner)
		}
		k.inflight = nil
	}
	t.step(ev)
}

// socketFrame is a server frame on the tab's real socket: the loader hands
// it to the client (once it is served) and, relaying, copies it to the
// followers.
func (t *simTab) socketFrame(k *simSock, data []byte) {
	if k.closed {
		return
	}
	if !t.tab.Frame(k.conn, data) {
		k.early = append(k.early, data)
		return
	}
	if string(data) == "pong" {
		return
	}
	if t.relayOn && t.relayConn == k.conn {
		t.w.bc.post(t, t.relayName, core.GroupMsg{T: core.MsgFrames, From: t.id, Frames: [][]byte{data}})
	}
}

// Serve delivers what the real socket received before the client's open
// sequence was done (core.GroupWorld).
func (t *simTab) Serve(conn core.ConnID) {
	k := t.sock(conn)
	if k == nil {
		return
	}
	early := k.early
	k.early = nil
	for _, d := range early {
		if string(d) != "pong" {
			t.tab.Frame(conn, d)
		}
	}
}

func (t *simTab) message(name string, m *core.GroupMsg) {
	if t.writeFast(name, m) {
		return
	}
	t.step(core.GroupEvent{Kind: core.EvMessage, Name: name, Msg: *m})
}

// writeFast is the loader's per-batch path on a leading tab whose Group
// set a rule (FxLead): a fresh batch for the socket of the rule's
// generation is written on it and acknowledged by the page, then Go is
// told. It reports false (the message goes to Go) for anything else.
func (t *simTab) writeFast(name string, m *core.GroupMsg) bool {
	l, w := t.lead, t.w
	if l == nil || t.dead || name != l.Name || m.T != core.MsgSend || m.Gen != l.Req || len(m.Frames) == 0 ||
		w.wall()-m.At > l.After {
		return false
	}
	k := t.sock(l.Conn)
	if k == nil || k.closed || k.closing {
		w.violation("%s: the rule to write followers' batches names conn %d, which is not open", t.id, l.Conn)
		return true
	}
	w.logf("%s: the page writes %d of %s itself", t.id, len(m.Frames), m.From)
	w.led.written(t, m.From, m.Frames)
	w.srv.write(k, m.Frames, m.From)
	a, b, c := core.AckParts(&l.Msg)
	seq := strconv.FormatUint(m.Seq+uint64(len(m.Frames))-1, 10)
	enc := a + strconv.Itoa(len(m.From)) + ":" + m.From + b + strconv.Itoa(len(seq)) + ":" + seq + c
	ack, ok := core.DecodeMsg(enc)
	if !ok || ack.T != core.MsgAck || ack.To != m.From || ack.Seq != m.Seq+uint64(len(m.Frames))-1 {
		w.violation("%s: the page's own MsgAck does not decode: %q", t.id, enc)
		return true
	}
	w.bc.post(t, l.Reason, ack)
	t.step(core.GroupEvent{Kind: core.EvWritten, Conn: l.Conn, Code: len(m.Frames)})
	return true
}

// sendFast is the loader's per-frame path on a following tab whose Group
// set a rule (FxFast): the page encodes and posts the frames itself, as
// many messages as the rule's batch allows, then tells Go. It reports
// false (the app's sends take the client's way) without a rule.
func (t *simTab) sendFast(frames [][]byte) bool {
	f := t.fast
	if f == nil || len(frames) == 0 {
		return false
	}
	first := f.Msg.Seq
	t.w.logf("%s: the page posts %d to %s itself, from seq %d", t.id, len(frames), f.Name, first)
	head, tail := core.SendParts(&f.Msg)
	for rest := frames; len(rest) > 0; {
		n := min(len(rest), int(f.Req))
		enc := head + encodeFast(t.w.wall(), f.Msg.Seq, rest[:n]) + tail
		m, ok := core.DecodeMsg(enc)
		if !ok || m.T != core.MsgSend || m.Seq != f.Msg.Seq || len(m.Frames) != n {
			t.w.violation("%s: the page's own MsgSend does not decode: %q", t.id, enc)
			return true
		}
		t.w.bc.post(t, f.Name, m)
		f.Msg.Seq += uint64(n)
		rest = rest[n:]
	}
	t.tab.Sent(f.Conn, first, frames)
	return true
}

// encodeFast is the loader's encoding of At, Seq and Frames between
// SendParts' head and tail (web/kiss-websocket-shared.js, sendParts):
// at, in ms, with six zeros for ns.
func encodeFast(at time.Duration, seq uint64, frames [][]byte) string {
	num := func(s string) string { return strconv.Itoa(len(s)) + ":" + s }
	b := num(strconv.FormatInt(at.Milliseconds(), 10)+"000000") + num(strconv.FormatUint(seq, 10)) + num(strconv.Itoa(len(frames)))
	for _, f := range frames {
		b += strconv.Itoa(len(f)) + ":" + string(f)
	}
	return b
}
