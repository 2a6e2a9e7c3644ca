package core

import (
	"errors"
	"sync"
	"time"
)

// GroupTab is the executor between one tab's Client and its Group, the part
// of it that is the same on every platform: it is the client's Opener in
// shared mode, and each connection it opens is a Conn whose calls (dial,
// serve, send, ping, close, abort) become the Group's events, while the
// Group's effects for the client (FxOpened, FxDeliver, FxPong, FxClosed,
// FxHandover, FxReclaim, FxHurry) become the Conn's and the Client's calls.
// Every other effect is the world's (GroupWorld): channels, locks, timers,
// the real socket.
//
// The client calls its Conn with its lock held, so a call only queues: the
// world runs Run soon after (Wake), as a task of the page, and everything
// that steps the Group runs there or in Step, one at a time.
type GroupTab struct {
	g      *Group
	w      GroupWorld
	direct bool
	now    func() time.Duration
	trace  func(*GroupEffect)
	fault  func(string)
	woke   func()

	step    sync.Mutex // one Step at a time
	mu      sync.Mutex // guards inq, tmp, running, next, stopped
	inq     []tabCall
	tmp     []tabCall
	running bool // a Run is carrying calls out (it may be waiting on the world)
	next    ConnID
	stopped bool

	client  *Client
	conns   map[ConnID]*groupConn
	session string // of the connection that opened last
	evs     []GroupEvent
	buf     [][]byte
}

// GroupWorld is what a platform does for a GroupTab.
type GroupWorld interface {
	// Wake: the client queued a call; run GroupTab.Run soon, as a task of
	// the page (never from inside the call: the client's lock is held).
	Wake()
	// Do carries out an effect that is not the client's: post, listen,
	// lock, query, timers, open, write or close the real socket, relay,
	// and the diagnostics FxUnsent and FxLost.
	Do(fx *GroupEffect)
	// Write writes a frame of this tab's own client on the real socket of
	// conn while the tab leads: the per-frame path, which the Group does
	// not see. ping: it is the heartbeat's "ping".
	Write(conn ConnID, data []byte, ping bool) error
	// Serve: the client's open sequence is done on conn (before the Group
	// hears it): the frames the real socket received meanwhile go to the
	// client now (GroupTab.Frame), and so do the next ones.
	Serve(conn ConnID)
}

// GroupCloser is a GroupWorld told, inside the client's call, that the
// client closes conn: the page's direct sends on it stop before the close
// is queued (those made before it are queued first, GroupTab.Send).
type GroupCloser interface {
	Closing(conn ConnID)
}

// GroupTabOptions configure a GroupTab.
type GroupTabOptions struct {
	Group *Group
	World GroupWorld
	// Now is the wall clock the tabs share (Date.now()), for Group.Step.
	Now func() time.Duration
	// Direct: Write may run inside the client's call (the browser, whose
	// loader writes at once). Otherwise writes are queued with the other
	// calls and made in order by Run.
	Direct bool
	// Trace, when set, sees every effect before it is carried out.
	Trace func(*GroupEffect)
	// Fault reports a broken contract (a connection ended twice).
	Fault func(string)
	// Woke, when set, runs whenever the tab may have woken one of the
	// client's goroutines (a Wait returned, a handler or Hurry ran).
	Woke func()
}

// NewGroupTab returns the executor of o.Group; Attach gives it its client.
func NewGroupTab(o GroupTabOptions) *GroupTab {
	t := &GroupTab{g: o.Group, w: o.World, direct: o.Direct, now: o.Now, trace: o.Trace,
		fault: o.Fault, woke: o.Woke, conns: map[ConnID]*groupConn{}}
	if t.woke == nil {
		t.woke = func() {}
	}
	if t.fault == nil {
		t.fault = func(string) {}
	}
	return t
}

// Attach names the client the tab reclaims frames for and hurries.
func (t *GroupTab) Attach(c *Client) { t.client = c }

// Group is the state machine the tab executes.
func (t *GroupTab) Group() *Group { return t.g }

// Opened is the session of the connection that opened last.
func (t *GroupTab) Opened() string { return t.session }

type tabCallKind uint8

const (
	callDial tabCallKind = iota + 1
	callServe
	callSend
	callPing
	callClose
	callAbort
	callFunc
	callSent
)

// tabCall is one call of the client, queued for Run.
type tabCall struct {
	kind    tabCallKind
	conn    *groupConn
	data    []byte
	code    int
	reason  string
	url     string
	session string
	fn      func()
	seq     uint64   // callSent: the first frame's number
	frames  [][]byte // callSent
}

func (t *GroupTab) queue(c tabCall) {
	t.mu.Lock()
	t.inq = append(t.inq, c)
	t.mu.Unlock()
	t.w.Wake()
}

// Queue runs fn in Run, in order with the client's calls: what the
// platform learns from the client (its events) must not overtake them.
func (t *GroupTab) Queue(fn func()) { t.queue(tabCall{kind: callFunc, fn: fn}) }

// Sent queues frames the page wrote on the stand-in conn and posted to
// its leader by itself (FxFast's rule), numbered from first, in order with
// the client's calls.
func (t *GroupTab) Sent(conn ConnID, first uint64, frames [][]byte) {
	t.mu.Lock()
	c := t.conns[conn]
	if c != nil {
		t.inq = append(t.inq, tabCall{kind: callSent, conn: c, seq: first, frames: frames})
	}
	t.mu.Unlock()
	if c != nil {
		t.w.Wake()
	}
}

// Send queues frames the page wrote on the stand-in conn by itself (the
// per-frame path), in order with the client's calls.
func (t *GroupTab) Send(conn ConnID, frames [][]byte) {
	t.mu.Lock()
	c := t.conns[conn]
	if c == nil {
		t.mu.Unlock()
		return
	}
	for _, f := range frames {
		t.inq = append(t.inq, tabCall{kind: callSend, conn: c, data: f})
	}
	t.mu.Unlock()
	t.w.Wake()
}

// Close queues the page's own close of the stand-in conn (its
// connection's close()), in order with the client's calls: the client
// hears it end as a socket's close.
func (t *GroupTab) Close(conn ConnID, code int, reason string) {
	t.mu.Lock()
	c := t.conns[conn]
	t.mu.Unlock()
	if c != nil {
		t.queue(tabCall{kind: callClose, conn: c, code: code, reason: reason})
	}
}

// Stop: the tab is gone (closed or crashed). Run drops the client's calls
// from now on (but runs Queue's functions), and Step does nothing.
func (t *GroupTab) Stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
}

func (t *GroupTab) isStopped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped
}

var (
	_ Opener    = (*GroupTab)(nil)
	_ Opening   = (*groupConn)(nil)
	_ Conn      = (*groupConn)(nil)
	_ Reclaimer = (*groupConn)(nil)
)

// Open is the client's Opener: the Group decides what the socket is.
func (t *GroupTab) Open(url, session string) (Opening, error) {
	t.mu.Lock()
	t.next++
	id := t.next
	t.mu.Unlock()
	c := &groupConn{t: t, id: id, session: session, opened: make(chan struct{}), failed: make(chan error, 1)}
	t.queue(tabCall{kind: callDial, conn: c, url: url, session: session})
	return c, nil
}

// Dial is Open and Wait, for a client that dials.
func (t *GroupTab) Dial(ctx Context, url string) (Conn, error) {
	op, err := t.Open(url, "")
	if err != nil {
		return nil, err
	}
	return op.Wait(ctx)
}

// Run takes the client's calls queued so far and carries them out, until
// none is left: a stand-in's sends of one batch go to the Group as one
// EvSend. One Run at a time: a call's effects reach the world, which may
// come back in (in the browser a page handler runs inside the call, and
// Go runs the goroutines it woke before that call returns); a Run that
// finds another under way leaves its calls to it, which takes them next,
// in order. (Two Runs at once each swapped the queue's buffers: the inner
// one's new calls went into the array the outer one was still carrying
// out, which the outer one then cleared: they were lost.)
func (t *GroupTab) Run() {
	t.mu.Lock()
	if t.running {
		t.mu.Unlock()
		return
	}
	t.running = true
	for len(t.inq) > 0 {
		t.tmp, t.inq = t.inq, t.tmp[:0]
		in := t.tmp
		t.mu.Unlock()
		for i := 0; i < len(in); i++ {
			if in[i].kind == callFunc {
				in[i].fn() // it may Step
				continue
			}
			i = t.call(in, i)
		}
		clear(in)
		t.mu.Lock()
	}
	t.running = false
	t.mu.Unlock()
}

// call carries out in[i], and the sends that follow it on the same
// stand-in; it returns the index of the last call it took.
func (t *GroupTab) call(in []tabCall, i int) int {
	t.step.Lock()
	defer t.step.Unlock()
	if t.isStopped() {
		return i
	}
	x := &in[i]
	c := x.conn
	switch x.kind {
	case callDial:
		t.mu.Lock()
		t.conns[c.id] = c
		t.mu.Unlock()
		t.stepLocked(GroupEvent{Kind: EvDial, Conn: c.id, URL: x.url, Session: x.session})
	case callServe:
		t.w.Serve(c.id)
		t.stepLocked(GroupEvent{Kind: EvServe, Conn: c.id})
	case callSend:
		if c.isOwn() {
			_ = t.w.Write(c.id, x.data, false)
			return i
		}
		frames := append(t.buf[:0], x.data)
		for i+1 < len(in) && in[i+1].kind == callSend && in[i+1].conn == c {
			i++
			frames = append(frames, in[i].data)
		}
		t.buf = frames[:0]
		t.stepLocked(GroupEvent{Kind: EvSend, Conn: c.id, Frames: append([][]byte(nil), frames...)})
	case callPing:
		if c.isOwn() {
			_ = t.w.Write(c.id, pingFrame, true)
			return i
		}
		t.stepLocked(GroupEvent{Kind: EvPing, Conn: c.id})
	case callSent:
		t.stepLocked(GroupEvent{Kind: EvSent, Conn: c.id, Req: x.seq, Frames: x.frames})
	case callClose:
		t.stepLocked(GroupEvent{Kind: EvClose, Conn: c.id, Code: x.code, Reason: x.reason})
	case callAbort:
		t.stepLocked(GroupEvent{Kind: EvAbort, Conn: c.id})
	}
	return i
}

// Step feeds the Group what happened in the world (lock answers, messages,
// timers, the real socket's open and close, the page's life) and carries
// out its effects.
func (t *GroupTab) Step(evs ...GroupEvent) {
	t.step.Lock()
	defer t.step.Unlock()
	if t.isStopped() {
		return
	}
	t.stepLocked(evs...)
}

func (t *GroupTab) stepLocked(evs ...GroupEvent) {
	for _, fx := range t.g.Step(t.now(), evs) {
		t.effect(&fx)
	}
}

func (t *GroupTab) effect(fx *GroupEffect) {
	if t.trace != nil {
		t.trace(fx)
	}
	switch fx.Kind {
	case FxOpened, FxClosed, FxHandover:
		t.w.Do(fx) // the world first: what the page shows of the connection
	}
	switch fx.Kind {
	case FxOpened:
		c := t.conns[fx.Conn]
		t.session = c.session
		c.mu.Lock()
		c.state = connOpen
		c.info = fx.Info
		c.mu.Unlock()
		close(c.opened)
		t.woke()
	case FxDeliver:
		c := t.conns[fx.Conn]
		if d, ok := c.handler().(frameHandler); ok {
			for _, f := range fx.Frames {
				d.HandleFrame(true, f)
			}
		} else {
			t.w.Do(fx) // the page's loader publishes frames itself
		}
	case FxPong:
		if h := t.conns[fx.Conn].handler(); h != nil {
			h.HandlePong()
		}
	case FxClosed, FxHandover:
		t.ended(t.conns[fx.Conn], fx.Kind == FxHandover, fx.Close, fx.Frames)
	case FxReclaim:
		if t.client != nil {
			t.client.Reclaim(fx.Session, fx.Frames)
		}
	case FxHurry:
		t.woke()
		if t.client != nil {
			t.client.Hurry()
		}
	case FxOpenSocket:
		c := t.conns[fx.Conn]
		c.mu.Lock()
		c.own = true
		c.mu.Unlock()
		t.w.Do(fx)
	default:
		t.w.Do(fx)
	}
}

// frameHandler is a Handler that takes frames itself (natively); the
// browser's loader publishes them without Go.
type frameHandler interface {
	HandleFrame(text bool, data []byte)
}

// Frame hands a frame of the real socket conn (this tab leads) to its
// client; it reports false when the client's open sequence is not done
// (the world keeps the frame until Serve) or its handler cannot take
// frames. A "pong" answers the heartbeat.
func (t *GroupTab) Frame(conn ConnID, data []byte) bool {
	c := t.conns[conn]
	if c == nil {
		return false
	}
	c.mu.Lock()
	h, open := c.h, c.state == connOpen
	c.mu.Unlock()
	if h == nil || !open {
		return false
	}
	if string(data) == "pong" {
		h.HandlePong()
		return true
	}
	d, ok := h.(frameHandler)
	if ok {
		d.HandleFrame(true, data)
	}
	return ok
}

// Pong: the real socket conn received the answer to its heartbeat.
func (t *GroupTab) Pong(conn ConnID) {
	if c := t.conns[conn]; c != nil {
		if h := c.handler(); h != nil {
			h.HandlePong()
		}
	}
}

// Shutdown ends, as a 1006, every connection whose end nobody will report
// any more: the tab is gone.
func (t *GroupTab) Shutdown() {
	t.step.Lock()
	defer t.step.Unlock()
	for _, c := range t.conns {
		c.mu.Lock()
		done := c.state == connClosed
		c.mu.Unlock()
		if !done {
			t.ended(c, false, CloseError{Code: CodeAbnormal}, nil)
		}
	}
}

// ended tells the client its connection closed or moved.
func (t *GroupTab) ended(c *groupConn, handover bool, ce CloseError, unsent [][]byte) {
	t.woke() // the client may start an attempt (a goroutine)
	c.mu.Lock()
	c.state = connClosed
	c.unsent = unsent
	h := c.h
	if h == nil {
		c.early, c.earlyHandover = &ce, handover
	}
	c.mu.Unlock()
	switch {
	case h == nil:
		var err error = ErrHandover
		if !handover {
			err = &ce
		}
		select {
		case c.failed <- err:
		default:
			t.fault("conn ended twice")
		}
	case handover:
		h.HandleHandover()
	default:
		h.HandleClose(&ce)
	}
}

type connState uint8

const (
	connConnecting connState = iota
	connOpen
	connClosed
)

var errGroupNotOpen = errors.New("socket is not open")

// groupConn is what the client holds in shared mode: an Opening, a Conn
// and a Reclaimer over the Group's connection (a stand-in over the
// leader's socket, or this tab's own). Its calls only queue, but a
// leading tab's frames, which go straight to its socket when Direct.
type groupConn struct {
	t       *GroupTab
	id      ConnID
	session string
	opened  chan struct{}
	failed  chan error

	mu            sync.Mutex
	state         connState
	own           bool // the real socket: this tab leads
	info          SocketInfo
	h             Handler
	early         *CloseError // ended before Serve
	earlyHandover bool
	unsent        [][]byte
	aborted       bool
}

func (c *groupConn) handler() Handler {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

func (c *groupConn) isOwn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.own
}

func (c *groupConn) Wait(ctx Context) (Conn, error) {
	select {
	case <-c.opened:
		return c, nil
	case err := <-c.failed:
		select {
		case <-c.opened:
			return c, nil // opened, then ended at once: Serve reports it
		default:
			return nil, err
		}
	case <-ctx.Done():
		c.Abort()
		return nil, ctx.Err()
	}
}

func (c *groupConn) Serve(h Handler) {
	c.mu.Lock()
	c.h = h
	early, handover := c.early, c.earlyHandover
	c.mu.Unlock()
	if early != nil {
		if handover {
			h.HandleHandover()
		} else {
			h.HandleClose(early)
		}
		return
	}
	c.t.queue(tabCall{kind: callServe, conn: c})
}

func (c *groupConn) openOwn() (open, own bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == connOpen, c.own
}

func (c *groupConn) WriteText(data []byte) error {
	open, own := c.openOwn()
	switch {
	case !open:
		return errGroupNotOpen
	case own && c.t.direct:
		return c.t.w.Write(c.id, data, false)
	}
	c.t.queue(tabCall{kind: callSend, conn: c, data: data})
	return nil
}

func (c *groupConn) Ping() error {
	open, own := c.openOwn()
	switch {
	case !open:
		return errGroupNotOpen
	case own && c.t.direct:
		return c.t.w.Write(c.id, pingFrame, true)
	}
	c.t.queue(tabCall{kind: callPing, conn: c})
	return nil
}

func (c *groupConn) Close(code int, reason string) error {
	if w, ok := c.t.w.(GroupCloser); ok {
		w.Closing(c.id)
	}
	c.t.queue(tabCall{kind: callClose, conn: c, code: code, reason: reason})
	return nil
}

func (c *groupConn) Abort() {
	c.mu.Lock()
	done := c.aborted
	c.aborted = true
	c.mu.Unlock()
	if !done {
		c.t.queue(tabCall{kind: callAbort, conn: c})
	}
}

// Unsent is what the Group gave back when the connection ended.
func (c *groupConn) Unsent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unsent
}
