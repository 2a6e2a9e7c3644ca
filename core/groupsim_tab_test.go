//go:build !js

package core_test

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// simTab is one browser tab: the real core.Client, the real core.Group, and
// the executor between them and the world (what the loader will be in the
// browser), plus the application that sends and the ledger of what it got.
type simTab struct {
	w        *simWorld
	i        int
	id       string
	clientID string // the lock manager's id for this tab
	client   *core.Client
	g        *core.Group
	cfg      core.Config

	dead     bool // closed or crashed: nothing reaches it any more
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
	conns     map[core.ConnID]*simConn
	nextConn  core.ConnID
	timers    [5]uint64 // the armed id of each group timer
	relayOn   bool
	relayName string
	relayConn core.ConnID
	evs       []core.GroupEvent // reused by step

	// the app's ledger
	nextN         int   // its sends so far
	sent          []int // the ids of its accepted messages, in order
	serverN       int   // the last of its n the server read
	checked       int   // sent[:checked] were judged complete
	discardedSeen int   // the client's Discarded at that point
	lastSeq       int   // the last server frame its app got
	gotProbe      bool
	wroteFor      []int // followers' messages this tab wrote as leader
	openSession   string

	mu      sync.Mutex // guards inq (the client's goroutines queue inputs)
	inq     []tabInput
	tmp     []tabInput
	sendBuf [][]byte
}

type inKind uint8

const (
	inDial inKind = iota + 1
	inServe
	inSend
	inPing
	inClose
	inAbort
	inEvent
	inCheck
	inTimer
)

// tabInput is one call of the client into the tab, queued for the loop.
type tabInput struct {
	kind    inKind
	conn    *simConn
	data    []byte
	code    int
	reason  string
	url     string
	session string
	ev      core.EventKind
	msgID   int // an EventMessage's id
	reply   chan core.TokenStatus
	timer   *simTimer
	gen     int64
	after   time.Duration
}

func newTab(w *simWorld, i int, cfg core.Config, seed uint64) *simTab {
	t := &simTab{w: w, i: i, id: "t" + strconv.Itoa(i), clientID: "c" + strconv.Itoa(i), cfg: cfg,
		conns: map[core.ConnID]*simConn{}}
	grng := rand.New(rand.NewPCG(seed, uint64(i)*2+1))
	crng := rand.New(rand.NewPCG(seed, uint64(i)*2+2))
	t.g = core.NewGroup(core.GroupOptions{Tab: t.id, Timing: w.timing, Rand: grng.Float64,
		RTT: func() time.Duration { return t.client.Stats().RTT }})
	t.client = core.New(core.Options{
		Dialer: t,
		URL: func(core.Config) (string, error) {
			return "ws://kiss.test/?token=" + w.srv.token, nil // read at every attempt (the loop is idle)
		},
		CheckToken: t.checkToken,
		Session:    func() string { return w.srv.session() },
		OnEvent:    t.onEvent,
		Rand:       crng.Float64,
		AfterFunc:  t.afterFunc,
	})
	return t
}

// queue is how the client's goroutines reach the loop.
func (t *simTab) queue(in tabInput) {
	t.mu.Lock()
	t.inq = append(t.inq, in)
	t.mu.Unlock()
	t.w.wake()
}

var (
	_ core.Opener  = (*simTab)(nil)
	_ core.Opening = (*simConn)(nil)
	_ core.Conn    = (*simConn)(nil)
)

// Open is the tab's core.Opener: the group decides what the socket is.
func (t *simTab) Open(url, session string) (core.Opening, error) {
	t.nextConn++
	c := &simConn{t: t, id: t.nextConn, opened: make(chan struct{}), failed: make(chan error, 1)}
	t.queue(tabInput{kind: inDial, conn: c, url: url, session: session})
	return c, nil
}

func (t *simTab) Dial(ctx core.Context, url string) (core.Conn, error) {
	op, err := t.Open(url, t.w.srv.session())
	if err != nil {
		return nil, err
	}
	return op.Wait(ctx)
}

func (t *simTab) checkToken(ctx core.Context, _ string) core.TokenStatus {
	reply := make(chan core.TokenStatus, 1)
	t.queue(tabInput{kind: inCheck, reply: reply})
	select {
	case st := <-reply:
		return st
	case <-ctx.Done():
		return core.TokenUnknown
	}
}

func (t *simTab) onEvent(e core.Event) {
	in := tabInput{kind: inEvent, ev: e.Kind}
	if e.Kind == core.EventMessage {
		in.msgID = frameID(e.Data)
	}
	t.queue(in)
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

// drain takes the client's inputs.
func (t *simTab) drain() {
	t.mu.Lock()
	t.tmp, t.inq = t.inq, t.tmp[:0]
	in := t.tmp
	t.mu.Unlock()
	if len(in) == 0 {
		return
	}
	// timers are armed now, whatever the page does; they fire as its tasks
	n := 0
	for _, x := range in {
		if x.kind == inTimer {
			if !t.dead {
				x.timer.schedule(x.gen, x.after)
			}
			continue
		}
		in[n] = x
		n++
	}
	in = in[:n]
	if len(in) == 0 {
		return
	}
	if t.dead {
		for _, x := range in {
			if x.kind == inCheck {
				x.reply <- core.TokenUnknown
				t.w.async = true
			}
		}
		return
	}
	// The client only acts in a task of its page (its timers are the
	// page's tasks, its goroutines wake on what a task did): what it calls
	// is that task's continuation, at once, as in a browser.
	t.inputs(in)
}

// inputs turns the client's calls into group events; a stand-in's sends of
// one turn go as one EvSend.
func (t *simTab) inputs(in []tabInput) {
	for i := 0; i < len(in); i++ {
		x := &in[i]
		c := x.conn
		switch x.kind {
		case inDial:
			t.conns[c.id] = c
			c.session = x.session
			t.step(core.GroupEvent{Kind: core.EvDial, Conn: c.id, URL: x.url, Session: x.session})
		case inServe:
			if c.sock != nil {
				t.serveSock(c)
			}
			t.step(core.GroupEvent{Kind: core.EvServe, Conn: c.id})
		case inSend:
			if c.sock != nil {
				t.writeOwn(c, x.data)
				continue
			}
			frames := append(t.sendBuf[:0], x.data)
			for i+1 < len(in) && in[i+1].kind == inSend && in[i+1].conn == c {
				i++
				frames = append(frames, in[i].data)
			}
			t.sendBuf = frames[:0]
			t.step(core.GroupEvent{Kind: core.EvSend, Conn: c.id, Frames: append([][]byte(nil), frames...)})
		case inPing:
			if c.sock != nil {
				t.writeOwn(c, []byte("ping"))
				continue
			}
			t.step(core.GroupEvent{Kind: core.EvPing, Conn: c.id})
		case inClose:
			t.step(core.GroupEvent{Kind: core.EvClose, Conn: c.id, Code: x.code, Reason: x.reason})
		case inAbort:
			t.step(core.GroupEvent{Kind: core.EvAbort, Conn: c.id})
		case inEvent:
			t.event(x)
		case inCheck:
			x.reply <- t.w.srv.check()
			t.w.async = true
		}
	}
}

// writeOwn is the loader's hot path: the leader's client writes straight to
// its socket.
func (t *simTab) writeOwn(c *simConn, data []byte) {
	k := c.sock
	if k.closed || k.closing {
		if string(data) != "ping" {
			t.w.violation("%s: its client wrote on its closed socket %d (the frame is lost)", t.id, k.id)
		}
		return
	}
	t.w.srv.write(k, [][]byte{data}, "")
}

func (t *simTab) event(x *tabInput) {
	w := t.w
	switch x.ev {
	case core.EventMessage:
		w.led.delivered(t, x.msgID)
	case core.EventConnectionClosed, core.EventConnectionLost, core.EventUnusableToken:
		t.terminal = x.ev
		w.logf("%s: %s", t.id, x.ev)
		t.step(core.GroupEvent{Kind: core.EvLeave})
	case core.EventConnected, core.EventReconnected, core.EventDisconnected:
		w.churn++
		w.logf("%s: %s", t.id, x.ev)
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
	if t.dead {
		return
	}
	for _, fx := range t.g.Step(t.w.wall(), evs) {
		t.effect(fx)
	}
}

func (t *simTab) effect(fx core.GroupEffect) {
	w := t.w
	if w.trace != nil && fx.Kind != core.FxDeliver {
		w.logf("%s: %s", t.id, describeFx(&fx))
	}
	switch fx.Kind {
	case core.FxOpened:
		c := t.conns[fx.Conn]
		t.openSession = c.session
		c.mu.Lock()
		c.state = connOpen
		c.mu.Unlock()
		close(c.opened)
		w.async = true
	case core.FxDeliver:
		c := t.conns[fx.Conn]
		for _, f := range fx.Frames {
			c.h.HandleFrame(true, f)
		}
	case core.FxPong:
		t.conns[fx.Conn].h.HandlePong()
	case core.FxClosed, core.FxHandover:
		t.connEnded(t.conns[fx.Conn], &fx)
	case core.FxUnsent:
		w.violation("%s: %d frames written on conn %d after it closed: lost", t.id, len(fx.Frames), fx.Conn)
	case core.FxLost:
		for _, f := range fx.Frames {
			w.led.lostWithLeader(f)
		}
	case core.FxReclaim:
		t.client.Reclaim(fx.Session, fx.Frames)
	case core.FxHurry:
		w.async = true
		t.client.Hurry()
	case core.FxOpenSocket:
		c := t.conns[fx.Conn]
		c.sock = w.srv.connect(t, c.id, fx.URL)
	case core.FxWrite:
		c := t.conns[fx.Conn]
		if k := c.sock; k != nil && !k.closed && !k.closing {
			w.led.written(t, fx.From, fx.Frames)
			w.srv.write(k, fx.Frames, fx.From)
		} else {
			w.violation("%s: group wrote on socket of conn %d, which is closed", t.id, fx.Conn)
		}
	case core.FxCloseSocket:
		if k := t.conns[fx.Conn].sock; k != nil {
			w.srv.clientClose(k, fx.Code, fx.Reason)
		}
	case core.FxRelay:
		t.relayOn, t.relayName, t.relayConn = fx.On, fx.Name, fx.Conn
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

// connEnded tells the client its connection closed or moved.
func (t *simTab) connEnded(c *simConn, fx *core.GroupEffect) {
	t.w.async = true // the client may start an attempt (a goroutine)
	c.mu.Lock()
	c.state = connClosed
	c.unsent = fx.Frames
	h := c.h
	if h == nil {
		c.early = fx
	}
	c.mu.Unlock()
	switch {
	case h == nil:
		var err error = core.ErrHandover
		if fx.Kind == core.FxClosed {
			ce := fx.Close
			err = &ce
		}
		select {
		case c.failed <- err:
		default:
			t.w.violation("%s: conn %d ended twice", t.id, c.id)
		}
	case fx.Kind == core.FxHandover:
		h.HandleHandover()
	default:
		ce := fx.Close
		h.HandleClose(&ce)
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
	c := t.conns[k.conn]
	if c.h == nil || c.state != connOpen {
		c.earlyFrames = append(c.earlyFrames, data)
		return
	}
	if string(data) == "pong" {
		c.h.HandlePong()
		return
	}
	c.h.HandleFrame(true, data)
	if t.relayOn && t.relayConn == k.conn {
		t.w.bc.post(t, t.relayName, core.GroupMsg{T: core.MsgFrames, From: t.id, Frames: [][]byte{data}})
	}
}

// serveSock delivers what the real socket received before the client's
// open sequence was done.
func (t *simTab) serveSock(c *simConn) {
	early := c.earlyFrames
	c.earlyFrames = nil
	for _, d := range early {
		if string(d) != "pong" {
			c.h.HandleFrame(true, d)
		}
	}
}

func (t *simTab) message(name string, m *core.GroupMsg) {
	t.step(core.GroupEvent{Kind: core.EvMessage, Name: name, Msg: *m})
}

const (
	connConnecting connState = iota
	connOpen
	connClosed
)
