package core

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Options connect a Client to its platform.
type Options struct {
	Dialer Dialer
	// URL returns the address for the next attempt of cfg, token included.
	// It is called at every attempt, so a refreshed token is picked up.
	URL func(cfg Config) (string, error)
	// CheckToken, if set, is asked after a 1006 with an empty reason (how
	// browsers report a refused upgrade): once per outage, and again once
	// TokenRecheck has passed since the last check of that outage (a token
	// can expire while the network is down), with the URL
	// of the attempt that failed; only when that URL carries the token (the
	// default URL, or a SocketURL ending in "token="): a third-party socket
	// URL's 1006 is a network failure, and the token is offered to no one.
	CheckToken func(ctx Context, url string) TokenStatus
	// OnEvent receives every event in order, never concurrently and never
	// with the client's lock held, so it may call back into the client.
	OnEvent func(Event)
	// Log receives diagnostics (malformed frames, the config's Warnings);
	// it never gets a token.
	Log func(msg string)
	// Session, if set, names the session (the user) a message is sent in.
	// A queued message goes out only on a socket of the session it was
	// queued in: when the session changes, the outbox is discarded, counted
	// in Stats.Discarded and logged once. It is called with the client's
	// lock held (at Send and at every attempt): it must not call the client.
	Session func() string
	// Rand returns a uniform number in [0,1) for the jitter; tests fix it.
	Rand func() float64
	// AfterFunc, if set, starts the client's timers (the reconnection
	// delay, the connect timeout, the token check's bound, the heartbeat)
	// instead of time.AfterFunc: f runs once, d from now, unless stop is
	// called first; reset starts it again. It may be called with the
	// client's lock held and from any goroutine, and f must not run before
	// it returns. A simulation of tabs gives one that runs a tab's timers
	// only while its page runs, as a browser does.
	AfterFunc func(d time.Duration, f func()) (stop func() bool, reset func(time.Duration) bool)
}

// Client is the one state machine behind kiss.websocket: at most one socket
// at a time, whatever the races between timers, Start, Close and Reconnect.
// Every callback of an old socket or timer carries the generation it belongs
// to and does nothing once the client has moved on.
type Client struct {
	opts Options
	cnt  counters

	mu           sync.Mutex
	cfg          Config
	state        State
	gen          uint64
	handler      *connHandler // the socket of this generation
	conn         Conn         // set while open
	live         bool         // outbox flushed: Send writes straight to conn
	cancel       func()       // stops the pending attempt or token check
	pending      chan Result  // result of the attempt in progress
	reconnecting bool         // the attempt in progress is automatic
	attempt      int
	attempts     uint64
	tokenChecked bool          // the token was checked in this outage, at checkedAt
	checkedAt    time.Duration // monotonic() (a time.Time field kept its methods for fmt: 16 KB of wasm)
	exhausted    bool          // stopped after maxAttempts: Reconnect tries another round
	offline      bool          // the device said it has no network: attempts wait for Reconnect
	suspended    bool          // the page is in the back/forward cache: Resume reconnects
	soon         bool          // the next automatic attempt goes without delay
	resumed      bool          // Probed: until resumedUntil (monotonic), or a pong, a drop reconnects at once
	resumedUntil time.Duration
	timer        *timer
	nextDelay    time.Duration
	beat         *heartbeat
	rtt          time.Duration
	last         CloseError
	refused      uint64
	outbox       outbox
	session      string // of the messages in the outbox
	discarded    uint64
	notes        []string // to log once c.mu is released
	opening      Opening  // the socket of the attempt in progress, until it opens or fails (Opener dialers)
	// sock is the connection of the moment, as kiss.websocket.connection
	// is: the latest socket made, kept after it ends (until the next one),
	// so that every close() of the page reaches it as KissJS's does.
	// sockEnded: its close was heard, so close() has nothing left to call.
	sock      closer
	sockEnded bool
	// handling counts the closes whose events are still being delivered.
	// Meanwhile Start is ignored, as KissJS's init returns early when called
	// inside onclose or an EVT_DISCONNECTED subscriber.
	handling int
	events   []Event
	draining bool
	quiet    *sync.Cond // on mu: broadcast when a delivery run ends (Wait)
	// dialed is closed once the latest socket is settled: its dial ended
	// (aborting its socket if superseded) or, after a heartbeat timeout, it
	// was dropped. The next dial waits for it, so never two sockets at once.
	dialed chan struct{}
	wg     sync.WaitGroup
}

// New returns an idle client.
func New(opts Options) *Client {
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.OnEvent == nil {
		opts.OnEvent = func(Event) {}
	}
	if opts.Log == nil {
		opts.Log = func(string) {}
	}
	c := &Client{opts: opts, cfg: Defaults()}
	c.quiet = sync.NewCond(&c.mu)
	return c
}

var pingFrame = []byte("ping")

// TokenRecheck is how long an outage goes on before a refused upgrade (1006,
// no reason) asks about the token again. KissJS asks at every such close
// (and logs the user out when its server is down); asking once per outage
// spares the server, and asking again every 30 s while it lasts still finds
// a token that expired after the first answer within KissJS's default 10
// attempts (5 to 15 s apart), instead of failing each of them.
const TokenRecheck = 30 * time.Second

// closer is what the page's close() calls: an Opening or a Conn.
type closer interface {
	Close(code int, reason string) error
}

// closeHandled is not an event: it marks, in the queue, the end of one
// close's events (see Client.handling). It is never delivered.
const closeHandled EventKind = -1

// Start is init(config): it connects unless a socket is connecting, open or
// closing, or a close is being handled, that is its events (EventClose and
// what follows it: EVT_DISCONNECTED, EVT_CONNECTION_CLOSED, ...) are still
// being delivered, as for a Start from inside OnEvent. Then started is
// false, nothing changed, and the result is ResultIgnored at once, as
// KissJS's init returns early (also inside onclose or an EVT_DISCONNECTED
// subscriber). In the browser every such Start comes from inside; natively
// one from another goroutine during the delivery is ignored too. Unlike
// KissJS it works once that close is over, also after a definitive close.
// The channel gets exactly one Result. When it starts, it logs
// cfg.Warnings through Options.Log; an ignored Start reads nothing of cfg.
func (c *Client) Start(cfg Config) (res <-chan Result, started bool, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.handling > 0 || c.state == StateConnecting || c.state == StateOpen || c.state == StateClosing {
		c.mu.Unlock()
		ch := make(chan Result, 1)
		ch <- ResultIgnored
		return ch, false, nil
	}
	c.cfg = cfg
	c.notes = append(c.notes, cfg.Warnings...) // logged once, before the first event
	c.outbox.SetLimits(cfg.Outbox)
	c.attempt, c.tokenChecked, c.exhausted, c.reconnecting = 0, false, false, false
	ch := c.connectLocked()
	c.flushEvents()
	return ch, true, nil
}

// Reconnect is reconnect(): it connects now when the client is waiting
// between attempts, or gives it one more round of attempts after it gave up
// (also the browser's online event, a tab visible again). Otherwise it does
// nothing.
func (c *Client) Reconnect() {
	c.mu.Lock()
	c.offline = false
	switch {
	case c.state == StateReconnecting:
	case c.state == StateClosed && c.exhausted:
		c.exhausted, c.attempt, c.tokenChecked = false, 0, false
	default:
		c.mu.Unlock()
		return
	}
	c.reconnectLocked(0)
	c.flushEvents()
}

// Suspend drops the socket of a page going into the back/forward cache
// (pagehide with persisted): it is closed now, cleanly (1000, "PAGE_HIDDEN"),
// reported as a drop (EventClose, EventDisconnected), and no attempt is made
// or spent until Resume. Messages sent meanwhile are queued. It does
// nothing unless the client is connecting, open or between attempts; an
// init() still connecting resolves false, and Resume reconnects it.
func (c *Client) Suspend() {
	c.mu.Lock()
	switch {
	case c.suspended:
		c.mu.Unlock()
		return
	case c.state == StateOpen, c.state == StateConnecting, c.state == StateReconnecting:
	default:
		c.mu.Unlock()
		return
	}
	conn, open := c.conn, c.state == StateOpen
	if c.opening != nil && !open { // an Opener's socket still connecting
		c.opening.Abort()
	}
	c.opening = nil
	c.resolveLocked(ResultFailed)
	c.advanceLocked() // the socket's own close, when it comes, is inert
	c.state, c.nextDelay, c.suspended, c.soon = StateReconnecting, 0, true, false
	if open {
		ce := &CloseError{Code: CodeNormal, Reason: "PAGE_HIDDEN", WasClean: true}
		c.last, c.attempt = *ce, 1 // as a drop: the next attempt is the first
		c.handling++
		c.events = append(c.events, Event{Kind: EventClose, Close: ce}, Event{Kind: EventDisconnected, Close: ce}, Event{Kind: closeHandled})
	}
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close(CodeNormal, "PAGE_HIDDEN")
	}
	c.mu.Lock()
	c.flushEvents()
}

// Resume reconnects a suspended client at once (pageshow with persisted):
// the page is back from the back/forward cache. Otherwise it does nothing.
func (c *Client) Resume() {
	c.mu.Lock()
	if !c.suspended || c.state != StateReconnecting {
		c.mu.Unlock()
		return
	}
	c.suspended = false
	c.attempt = max(c.attempt, 1)
	c.reconnectLocked(0)
	c.flushEvents()
}

// Probe is for a page resumed after being frozen: the user is back, and the
// socket may have died meanwhile. An open socket is checked at once, with a
// ping that must be answered within 5 s (or heartbeat.timeout if shorter;
// it needs the heartbeat enabled); until it answers, for those 5 s, a drop (a failed probe,
// or the close the browser delivers on resuming, as Chromium does for a
// socket it cut while the page was frozen) reconnects without the
// reconnection delay. A client waiting between attempts reconnects now,
// unless offline or suspended. Otherwise it does nothing.
func (c *Client) Probe() {
	c.mu.Lock()
	switch {
	case c.state == StateOpen:
		c.resumed, c.resumedUntil = true, monotonic()+probeTimeout
		beat := c.beat
		c.mu.Unlock()
		if beat != nil {
			beat.Probe()
		}
	case c.state == StateReconnecting && !c.offline && !c.suspended:
		c.reconnectLocked(0)
		c.flushEvents()
	default:
		c.mu.Unlock()
	}
}

// Reclaim takes back frames that a connection of session accepted and
// never sent, when the client learns it only after it dropped that
// connection: in shared mode, a stand-in the client gave up on may hear
// later that its leader never wrote them. They go back at the front of the
// outbox, in order, to go out first on the next socket (the group opens no
// connection before it knows); in another session than the outbox's they
// are discarded and counted, as any.
func (c *Client) Reclaim(session string, frames [][]byte) {
	c.mu.Lock()
	if session != c.session {
		c.discardLocked(len(frames))
	} else {
		for i := len(frames) - 1; i >= 0; i-- {
			c.outbox.Requeue(frames[i])
		}
	}
	c.unlockAndLog()
}

// Hurry starts the next attempt now when the client waits between
// attempts (unless offline or suspended); otherwise it does nothing. In
// shared mode the tab that takes the lead calls it: every tab waits on its
// socket, so its own reconnection delay should not hold them all.
func (c *Client) Hurry() {
	c.mu.Lock()
	if c.state != StateReconnecting || c.offline || c.suspended || c.timer == nil {
		c.mu.Unlock()
		return
	}
	c.reconnectLocked(0)
	c.flushEvents()
}

// Offline tells the client the device has no network (the browser's offline
// event). A reconnection due meanwhile waits for the next Reconnect (online)
// instead of failing at once and using up reconnection.maxAttempts.
func (c *Client) Offline() {
	c.mu.Lock()
	c.offline = true
	c.mu.Unlock()
}

// Send writes msg when the socket is open and queues it otherwise, to be
// sent once, in order, when a socket opens. It fails only before the first
// Start (ErrSendBeforeInit) and when the outbox is full (ErrOutboxFull).
func (c *Client) Send(msg []byte) error {
	c.mu.Lock()
	if c.state == StateIdle {
		c.mu.Unlock()
		return ErrSendBeforeInit
	}
	if c.live {
		conn, session := c.conn, c.handler.session
		c.mu.Unlock()
		if err := conn.WriteText(msg); err != nil {
			// The socket failed under us; its close is on the way. Keep the
			// message for the next socket of its session rather than lose
			// it, or send it on that socket if it opened meanwhile (its
			// outbox is flushed).
			c.mu.Lock()
			if c.live && c.conn != conn && c.handler.session == session {
				c.mu.Unlock()
				return c.Send(msg)
			}
			// Behind what is queued: anything there failed before it.
			c.sessionLocked(session)
			c.outbox.Append(msg)
			c.unlockAndLog()
			return nil
		}
		c.cnt.out(len(msg))
		return nil
	}
	return c.queueLocked(c.currentSession(), msg)
}

// SendIn is Send for a message the page sent in session, earlier (the
// browser queues sends made while the wasm loads): one whose session has
// ended since is discarded and counted, never sent in the new one.
func (c *Client) SendIn(session string, msg []byte) error {
	c.mu.Lock()
	if c.state == StateIdle {
		c.mu.Unlock()
		return ErrSendBeforeInit
	}
	if now := c.currentSession(); now != session {
		c.sessionLocked(now)
		c.discardLocked(1)
		c.unlockAndLog()
		return nil
	}
	c.mu.Unlock()
	return c.Send(msg)
}

func (c *Client) queueLocked(session string, msg []byte) error {
	c.sessionLocked(session)
	err := c.outbox.Push(msg)
	if err != nil {
		c.refused++
	}
	c.unlockAndLog()
	return err
}

func (c *Client) currentSession() string {
	if c.opts.Session == nil {
		return ""
	}
	return c.opts.Session()
}

// sessionLocked makes s the session of the outbox. Messages queued in
// another session are discarded: KissJS lost them, and sending user A's
// message on user B's socket would be worse.
func (c *Client) sessionLocked(s string) {
	if s == c.session {
		return
	}
	n := c.outbox.Len()
	for c.outbox.Len() > 0 {
		c.outbox.Pop()
	}
	c.discardLocked(n)
	c.session = s
}

// discardLocked counts n messages discarded for a session change and notes
// it for the log, without their content.
func (c *Client) discardLocked(n int) {
	if n == 0 {
		return
	}
	c.discarded += uint64(n)
	c.notes = append(c.notes, "kiss.websocket: the session changed: discarded "+strconv.Itoa(n)+" queued message(s) of the previous session")
}

// unlockAndLog releases c.mu, then logs what was noted under it: Log may
// reach page code (console.warn), which must not run with the lock held.
func (c *Client) unlockAndLog() {
	notes := c.notes
	c.notes = nil
	c.mu.Unlock()
	for _, n := range notes {
		c.opts.Log(n)
	}
}

// Close is close(): a definitive close (4003) with no reconnection. It does
// not wait for the closing handshake; EVT_CONNECTION_CLOSED reports the end.
//
// Each call reaches the connection of the moment with
// Close(4003, "DEFINITIVE_CLOSE"), as each of KissJS's does: also a second
// one while it is closing (kiss.session.logout() then reset() make two),
// one while it is still connecting (the attempt then ends with that
// socket's close), and one on the socket a heartbeat timeout gave up on.
// None reaches a socket whose close was heard.
func (c *Client) Close() error { return c.close(true) }

// CloseCalled is Close for a close() whose call on the socket was already
// made (the loader makes it while the wasm loads, so that the socket is
// closing at once, as KissJS's): the same decision, without a second call.
func (c *Client) CloseCalled() error { return c.close(false) }

func (c *Client) close(call bool) error {
	c.mu.Lock()
	if c.state == StateIdle {
		c.mu.Unlock()
		return ErrCloseBeforeInit
	}
	var sock closer
	if call && c.sock != nil && !c.sockEnded {
		sock = c.sock
	}
	ce := &CloseError{Code: CodeDefinitiveClose, Reason: "DEFINITIVE_CLOSE"}
	switch {
	case c.state == StateOpen:
		c.state, c.live = StateClosing, false
		c.stopHeartbeatLocked()
		conn, h := c.conn, c.handler
		c.mu.Unlock()
		if !call {
			return nil
		}
		if err := conn.Close(ce.Code, ce.Reason); err != nil {
			conn.Abort()
			h.HandleClose(ce)
		}
		return nil
	case c.state == StateConnecting && c.opening != nil:
		// The socket exists (an Opener's): it is closed as an open one is,
		// and its close ends the client. Until then init() finds it closing.
		c.state = StateClosing
		op := c.opening
		c.mu.Unlock()
		if call && op.Close(ce.Code, ce.Reason) != nil {
			op.Abort()
			c.mu.Lock()
			if c.state == StateClosing && c.opening == op {
				c.opening = nil
				c.handlingLocked(func() {
					c.last = *ce
					c.events = append(c.events, Event{Kind: EventClose, Close: ce})
					c.endLocked(ce, EventConnectionClosed)
				})
			}
			c.flushEvents()
		}
		return nil
	case c.state == StateConnecting, c.state == StateReconnecting:
		c.handlingLocked(func() {
			if c.state == StateConnecting {
				c.last = *ce
				c.events = append(c.events, Event{Kind: EventClose, Close: ce})
			}
			c.endLocked(ce, EventConnectionClosed)
		})
	}
	// Closing, or closed: the socket is asked again, as KissJS asks it.
	c.mu.Unlock()
	if sock != nil {
		_ = sock.Close(ce.Code, ce.Reason)
	}
	c.mu.Lock()
	c.flushEvents()
	return nil
}

// afterFunc starts one of the client's timers (Options.AfterFunc).
func (c *Client) afterFunc(d time.Duration, f func()) *timer {
	if c.opts.AfterFunc == nil {
		return afterFunc(d, f)
	}
	stop, reset := c.opts.AfterFunc(d, f)
	return &timer{Stop: stop, Reset: reset}
}

// handlingLocked runs decide, which settles what a close means and queues
// its events, and marks them as one close's handling: Start is ignored
// until the last of them has been delivered.
func (c *Client) handlingLocked(decide func()) {
	c.handling++
	decide()
	c.events = append(c.events, Event{Kind: closeHandled})
}

// Wait blocks until the client has stopped and every event it produced has
// been delivered: it is idle or closed (by Close, by the server, or after
// giving up), OnEvent has returned for its last event (after Close:
// EventConnectionClosed), and its own goroutines (dials, token checks) have
// ended. While the client is connecting, open or between attempts, Wait
// waits for it to stop. A program that ends after Close and Wait has had
// every event. It must not be called from OnEvent.
func (c *Client) Wait() {
	c.mu.Lock()
	for !c.quietLocked() {
		c.quiet.Wait()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// quietLocked: stopped, and no event waiting for or in delivery.
func (c *Client) quietLocked() bool {
	return (c.state == StateIdle || c.state == StateClosed) && !c.draining && len(c.events) == 0 && len(c.notes) == 0
}

// Stats returns a snapshot.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{
		State: c.state, Attempt: c.attempt, Attempts: c.attempts,
		LastCloseCode: c.last.Code, LastCloseReason: c.last.Reason, LastCloseClean: c.last.WasClean,
		RTT: c.rtt, Queued: c.outbox.Len(), QueuedBytes: c.outbox.Bytes(), Refused: c.refused, Discarded: c.discarded,
		FramesIn: c.cnt.framesIn.Load(), FramesOut: c.cnt.framesOut.Load(),
		BytesIn: c.cnt.bytesIn.Load(), BytesOut: c.cnt.bytesOut.Load(), Dropped: c.cnt.dropped.Load(),
	}
	if c.state == StateReconnecting {
		s.NextDelay = c.nextDelay
	}
	return s
}

// Resumable reports whether Reconnect would start another round of attempts
// after the client gave up (it stopped after maxAttempts).
func (c *Client) Resumable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == StateClosed && c.exhausted
}

// State is the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// advanceLocked starts a new generation: whatever belonged to the previous
// one (socket callbacks, timers, dials, token checks) becomes inert.
func (c *Client) advanceLocked() uint64 {
	c.gen++
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.stopHeartbeatLocked()
	c.handler, c.conn, c.live = nil, nil, false
	return c.gen
}

func (c *Client) stopHeartbeatLocked() {
	if c.beat != nil {
		c.beat.Stop()
		c.beat = nil
	}
}

func (c *Client) resolveLocked(r Result) {
	if c.pending != nil {
		c.pending <- r
		c.pending = nil
	}
}

// connectLocked starts an attempt and returns its result channel.
func (c *Client) connectLocked() <-chan Result {
	c.resolveLocked(ResultFailed) // an attempt superseded before it ended
	c.suspended = false           // whoever connects ends a suspension
	gen := c.advanceLocked()
	ctx := newStopper()
	h := &connHandler{c: c, gen: gen}
	res := make(chan Result, 1)
	c.state, c.handler, c.cancel, c.pending = StateConnecting, h, ctx.cancel, res
	c.attempts++
	c.wg.Add(1)
	prev, done := c.dialed, make(chan struct{})
	c.dialed = done
	connect := c.connectFunc(h)
	if _, ok := c.opts.Dialer.(Opener); ok {
		prev = nil // connectFunc dropped the previous socket already
	}
	go c.dial(ctx, h, c.cfg.ConnectTimeout, prev, done, connect)
	return res
}

// connectFunc returns what the attempt's goroutine runs to get its socket.
// With an Opener the socket is created here and now, the previous one
// dropped first (never two at once), and the session of the socket read
// at the same moment as its token.
func (c *Client) connectFunc(h *connHandler) func(Context) (Conn, string, error) {
	o, ok := c.opts.Dialer.(Opener)
	cfg := c.cfg
	if !ok {
		return func(ctx Context) (Conn, string, error) {
			c.mu.Lock()
			s := c.currentSession()
			c.mu.Unlock()
			url, err := c.opts.URL(cfg)
			if err != nil {
				return nil, s, err
			}
			c.mu.Lock()
			h.url = url
			c.mu.Unlock()
			conn, err := c.opts.Dialer.Dial(ctx, url)
			return conn, s, err
		}
	}
	if c.opening != nil {
		c.opening.Abort()
		c.opening = nil
	}
	s := c.currentSession()
	url, err := c.opts.URL(cfg)
	h.url = url
	var op Opening
	if err == nil {
		op, err = o.Open(url, s)
	}
	if err != nil {
		return func(Context) (Conn, string, error) { return nil, s, err }
	}
	if m, ok := op.(MadeIn); ok && m.MadeIn() != "" {
		s = m.MadeIn()
	}
	c.opening = op
	c.sock, c.sockEnded = op, false
	return func(ctx Context) (Conn, string, error) {
		conn, err := op.Wait(ctx)
		return conn, s, err
	}
}

// reconnectLocked starts an automatic attempt and reports it.
func (c *Client) reconnectLocked(delay time.Duration) {
	c.reconnecting = true
	res := c.connectLocked()
	c.events = append(c.events, Event{Kind: EventReconnecting, Attempt: c.attempt, Delay: delay, Result: res})
}

func (c *Client) dial(ctx *stopper, h *connHandler, timeout time.Duration, prev, done chan struct{},
	connect func(Context) (Conn, string, error)) {
	defer c.wg.Done()
	defer close(done)
	// A superseded dial may still hold a half-made socket; let it drop that
	// first, or the server briefly sees two sockets (and may answer 4002).
	if prev != nil {
		<-prev // it was cancelled, so it ends promptly
	}
	if timeout > 0 {
		defer ctx.cancel() // the handshake's bound ends with it, as before
		defer ctx.after(c.afterFunc, timeout, errConnectTimeout)()
	}
	conn, session, err := connect(ctx)
	c.mu.Lock()
	if h.gen != c.gen {
		c.mu.Unlock()
		if conn != nil {
			conn.Abort()
		}
		return
	}
	c.opening = nil // settled: nothing left to abort at the next attempt
	if err == ErrHandover {
		c.sockEnded = true
		c.endedLocked(h, handoverClose(), actionHandover)
		c.flushEvents()
		return
	}
	if err != nil {
		c.sockEnded = true
		c.closedLocked(h, asCloseError(ctx, err))
		c.flushEvents()
		return
	}
	if c.state == StateClosing {
		// close() came while it connected, and it opened all the same: the
		// close under way ends it, and the client with it.
		c.conn, c.sock = conn, conn
		c.mu.Unlock()
		conn.Serve(h)
		return
	}
	c.opened(h, conn, session)
}

// opened runs the open sequence with c.mu held and releases it: flush the
// outbox, resolve the attempt, report (unless the page was told already: an
// Announced socket), start the heartbeat, then let frames in.
func (c *Client) opened(h *connHandler, conn Conn, session string) {
	c.cancel()
	c.cancel = nil
	c.conn, c.state = conn, StateOpen
	c.sock, c.sockEnded = conn, false // an Opener's Opening was it until now
	h.session = session
	c.sessionLocked(session)
	// The lock is released around each write: a Send in another session
	// meanwhile (natively) ends the flush, and its messages wait for a
	// socket of their own session.
	for c.state == StateOpen && h.gen == c.gen && c.session == session {
		msg, ok := c.outbox.Pop()
		if !ok {
			c.live = true
			break
		}
		c.mu.Unlock()
		err := conn.WriteText(msg)
		c.mu.Lock()
		if err != nil {
			c.outbox.Requeue(msg)
			break
		}
		c.cnt.out(len(msg))
	}
	h.opened, h.conn = true, conn
	c.resolveLocked(ResultOpened)
	kind := EventConnected
	if c.reconnecting {
		kind = EventReconnected
	}
	c.attempt, c.reconnecting, c.tokenChecked = 0, false, false
	if a, ok := conn.(Announced); !ok || !a.Announced() {
		c.events = append(c.events, Event{Kind: kind})
	}
	if c.live && c.cfg.Heartbeat.Enabled {
		gen := c.gen
		c.beat = startHeartbeatOn(c.afterFunc, c.cfg.Heartbeat, func() { c.ping(gen) }, func(probe bool) { c.dead(gen, probe) })
	}
	c.flushEvents()
	conn.Serve(h)
}

func (c *Client) ping(gen uint64) {
	c.mu.Lock()
	if gen != c.gen || !c.live {
		c.mu.Unlock()
		return
	}
	conn := c.conn
	c.mu.Unlock()
	if conn.Ping() == nil {
		c.cnt.out(len(pingFrame))
	}
}

// dead handles a heartbeat timeout. KissJS closed with 4000 and then waited
// about 60 s for a handshake a hung server never completes; we detach the
// socket at once, report the disconnection and reconnect on schedule.
func (c *Client) dead(gen uint64, probe bool) {
	c.mu.Lock()
	if gen != c.gen || c.state != StateOpen {
		c.mu.Unlock()
		return
	}
	// A failed probe (the page was frozen, the machine slept) reconnects at
	// once: the user is back now, and the delay is for servers in trouble.
	c.soon = probe
	conn, h := c.conn, c.handler
	// The next dial waits until this socket is dropped: never two at once.
	dropped := make(chan struct{})
	c.dialed = dropped
	c.closedLocked(h, &CloseError{Code: CodeNotResponding, Reason: "SERVER_NOT_RESPONDING"})
	// Dropped before the events go out: a subscriber that calls init() on
	// EVT_DISCONNECTED must not get a second socket beside this one.
	c.mu.Unlock()
	conn.Abort()
	close(dropped)
	c.mu.Lock()
	c.flushEvents()
}

// closedLocked decides what a socket's end means, as KissJS does, with our
// fixes: 1001 reconnects, the token is checked once per outage (and once a
// TokenRecheck while it lasts), and only an
// explicit "unusable" answer stops. Until its events are delivered, the
// close is being handled (Start is ignored).
func (c *Client) closedLocked(h *connHandler, ce *CloseError) {
	c.endedLocked(h, ce, decide(ce.Code, ce.Reason))
}

// endedLocked acts on the end of h's socket: ce is how it ended and act
// what that means (decide's answer, or actionHandover for a typed handover).
func (c *Client) endedLocked(h *connHandler, ce *CloseError, act action) {
	c.handlingLocked(func() { c.decideLocked(h, ce, act) })
}

func (c *Client) decideLocked(h *connHandler, ce *CloseError, act action) {
	if c.state == StateClosing && !h.opened && ce.Code == CodeAbnormal {
		// close() came while it connected: a browser reports 1006 for a
		// socket closed before its handshake, but what ended it is close().
		ce = &CloseError{Code: CodeDefinitiveClose, Reason: "DEFINITIVE_CLOSE"}
	}
	if !h.opened && c.state != StateClosing && act == actionHandover {
		c.handoverLocked(h, ce) // the same attempt, in the tab that leads now: nothing to report
		return
	}
	c.last = *ce
	c.stopHeartbeatLocked()
	c.conn, c.live = nil, false
	c.events = append(c.events, Event{Kind: EventClose, Close: ce})
	if c.state == StateClosing {
		c.endLocked(ce, EventConnectionClosed)
		return
	}
	switch act {
	case actionLost:
		c.endLocked(ce, EventConnectionLost)
	case actionClosed:
		c.endLocked(ce, EventConnectionClosed)
	case actionServerGone:
		c.events = append(c.events, Event{Kind: EventServerGone, Close: ce})
		c.retryLocked(h, ce)
	case actionHandover:
		c.handoverLocked(h, ce)
	case actionCheckToken:
		// h.url is empty when Options.URL failed: nothing reached the network.
		// A relayed close is another tab's socket's: that tab checks.
		recent := c.tokenChecked && monotonic()-c.checkedAt < TokenRecheck
		if c.opts.CheckToken == nil || recent || ce.Relayed || !CarriesToken(c.cfg.SocketURL) || h.url == "" {
			c.retryLocked(h, ce)
			return
		}
		c.tokenChecked, c.checkedAt = true, monotonic()
		gen := c.advanceLocked()
		c.state = StateReconnecting
		ctx := newStopper()
		c.cancel = ctx.cancel
		c.wg.Add(1)
		go c.checkToken(ctx, gen, h, ce)
	default:
		c.retryLocked(h, ce)
	}
}

// checkToken asks the checker, bounded like a handshake (ConnectTimeout, or
// 20 s): a check that hangs (the server is half there) must not hold the
// reconnection forever. Past the bound the context ends and the checker
// answers TokenUnknown.
func (c *Client) checkToken(ctx *stopper, gen uint64, h *connHandler, ce *CloseError) {
	defer c.wg.Done()
	c.mu.Lock()
	bound := c.cfg.ConnectTimeout
	c.mu.Unlock()
	if bound <= 0 {
		bound = 20 * time.Second
	}
	defer ctx.cancel()
	defer ctx.after(c.afterFunc, bound, context.DeadlineExceeded)()
	c.mu.Lock()
	url := h.url
	c.mu.Unlock()
	status := c.opts.CheckToken(ctx, url)
	c.mu.Lock()
	if gen != c.gen {
		c.mu.Unlock()
		return
	}
	// The rest of the close's handling: an init() inside EVT_DISCONNECTED
	// that follows is ignored, as it is after a close with no check.
	c.handlingLocked(func() {
		if status == TokenUnusable {
			c.endLocked(ce, EventUnusableToken)
		} else {
			c.retryLocked(h, ce)
		}
	})
	c.flushEvents()
}

// retryLocked counts a failed attempt and schedules the next one, or gives up.
func (c *Client) retryLocked(h *connHandler, ce *CloseError) {
	c.attempt++
	if h.opened {
		c.events = append(c.events, Event{Kind: EventDisconnected, Close: ce})
	} else {
		c.resolveLocked(ResultFailed)
	}
	r := c.cfg.Reconnection
	switch {
	case !r.Enabled:
		c.advanceLocked()
		c.state = StateClosed
	case c.attempt > r.MaxAttempts:
		c.endLocked(ce, EventConnectionLost)
		c.exhausted = true
	default:
		delay := r.NextDelay(c.attempt, c.opts.Rand())
		if c.soon || (c.resumed && monotonic() < c.resumedUntil) {
			delay = 0
		}
		c.soon, c.resumed = false, false
		gen := c.advanceLocked()
		c.state, c.nextDelay = StateReconnecting, delay
		c.timer = c.afterFunc(delay, func() { c.retry(gen, delay) })
	}
}

// handoverLocked follows the shared socket to the tab that leads now. An
// open socket reports the drop and reconnects at once, whatever the
// reconnection settings (the server did not fail). One that never opened
// goes on as the same attempt: the pending promise gets its outcome, and
// nothing is reported.
func (c *Client) handoverLocked(h *connHandler, ce *CloseError) {
	if !h.opened {
		pending, reconnecting := c.pending, c.reconnecting
		c.pending = nil
		c.connectLocked()
		c.pending, c.reconnecting = pending, reconnecting
		c.attempts-- // counted once
		return
	}
	c.attempt++
	c.events = append(c.events, Event{Kind: EventDisconnected, Close: ce})
	gen := c.advanceLocked()
	c.state, c.nextDelay = StateReconnecting, 0
	c.timer = c.afterFunc(0, func() { c.retry(gen, 0) })
}

func (c *Client) retry(gen uint64, delay time.Duration) {
	c.mu.Lock()
	if gen != c.gen || c.state != StateReconnecting {
		c.mu.Unlock()
		return
	}
	if c.offline {
		c.timer, c.nextDelay = nil, 0 // Reconnect (online) starts the attempt
		c.mu.Unlock()
		return
	}
	c.reconnectLocked(delay)
	c.flushEvents()
}

// endLocked stops the client for good (until the next Start) and reports why.
func (c *Client) endLocked(ce *CloseError, kind EventKind) {
	c.resolveLocked(ResultFailed)
	c.advanceLocked()
	c.state, c.reconnecting, c.exhausted, c.suspended, c.soon, c.resumed = StateClosed, false, false, false, false, false
	c.events = append(c.events, Event{Kind: kind, Close: ce})
}

// flushEvents releases c.mu and delivers the queued events in order, unless
// another goroutine is already delivering (it will deliver these too).
func (c *Client) flushEvents() {
	if c.draining {
		c.mu.Unlock()
		return
	}
	c.draining = true
	c.deliverLocked()
}

func (c *Client) deliverLocked() {
	for len(c.events) > 0 || len(c.notes) > 0 {
		if len(c.notes) > 0 {
			c.unlockAndLog()
			c.mu.Lock()
			continue
		}
		e := c.events[0]
		c.events = append(c.events[:0], c.events[1:]...)
		if e.Kind == closeHandled {
			c.handling--
			continue
		}
		c.mu.Unlock()
		c.opts.OnEvent(e)
		c.mu.Lock()
	}
	c.draining = false
	c.quiet.Broadcast() // every state change that stops the client queues an event, so ends here
	c.mu.Unlock()
}

// message delivers one message straight from the read path, without a copy,
// unless other events are queued or being delivered (then it queues a copy
// behind them to keep the order).
func (c *Client) message(h *connHandler, channel, data []byte) {
	c.mu.Lock()
	if h.gen != c.gen {
		c.mu.Unlock()
		return
	}
	if c.draining || len(c.events) > 0 {
		buf := append([]byte(nil), data...)
		var ch []byte
		if channel != nil { // a sub-slice of data, or decoded from one
			ch = append(make([]byte, 0, len(channel)), channel...)
		}
		c.events = append(c.events, Event{Kind: EventMessage, Channel: ch, Data: buf})
		c.flushEvents()
		return
	}
	c.draining = true
	c.mu.Unlock()
	c.opts.OnEvent(Event{Kind: EventMessage, Channel: channel, Data: data})
	c.mu.Lock()
	c.deliverLocked()
}

func (h *connHandler) HandleClose(ce *CloseError) {
	c := h.c
	c.mu.Lock()
	if h.gen != c.gen {
		if ce.Relayed && !ce.WasClean {
			c.reclaimStaleLocked(h)
		}
		c.unlockAndLog()
		return
	}
	c.sockEnded = true
	// Only a socket that really ended gives its unsent frames back: one the
	// heartbeat gave up on may still flush them (then they would arrive twice).
	if !ce.WasClean {
		c.reclaimLocked(h)
	}
	c.closedLocked(h, ce)
	c.flushEvents()
}

// HandleHandover is a typed handover (shared mode): what the Conn reports
// unsent goes back to the outbox, and the client follows the socket to the
// tab that leads now at once. It reports EVT_DISCONNECTED as the close a
// leading tab's socket gets when it hands over (1000 HANDOVER).
func (h *connHandler) HandleHandover() {
	c := h.c
	c.mu.Lock()
	if h.gen != c.gen {
		c.reclaimStaleLocked(h)
		c.unlockAndLog()
		return
	}
	c.sockEnded = true
	c.reclaimLocked(h)
	c.endedLocked(h, handoverClose(), actionHandover)
	c.flushEvents()
}

// handoverClose is how a handover reads in the client's events and stats:
// the close the shared socket gets when its tab hands it over.
func handoverClose() *CloseError {
	return &CloseError{Code: CodeNormal, Reason: "HANDOVER", WasClean: true}
}

// reclaimStaleLocked takes back what a stand-in the client had already
// dropped (its heartbeat gave up, a newer attempt began) reports unsent
// when the group ends it: its leader never wrote those frames, and no
// later socket has opened since (the group opens none before it has
// answered for them), so the front of the outbox is still their place.
func (c *Client) reclaimStaleLocked(h *connHandler) {
	if h.conn != nil {
		c.reclaimFromLocked(h, h.conn)
	}
}

// reclaimLocked puts what h's socket reports unsent back at the front of
// the outbox, in order. They belong to that socket's session: in another,
// they are discarded.
func (c *Client) reclaimLocked(h *connHandler) { c.reclaimFromLocked(h, c.conn) }

func (c *Client) reclaimFromLocked(h *connHandler, conn Conn) {
	r, ok := conn.(Reclaimer)
	if !ok {
		return
	}
	unsent := r.Unsent()
	if c.session != h.session {
		c.discardLocked(len(unsent))
		unsent = nil
	}
	for i := len(unsent) - 1; i >= 0; i-- {
		c.outbox.Requeue(unsent[i]) // at the front, in their order
	}
}
