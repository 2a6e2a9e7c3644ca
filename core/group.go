package core

import "time"

// Group is one tab's part in shared mode: the tabs of one origin that open
// the same socket URL (token left out) in the same session form a group and
// hold one socket. A Web Lock elects the tab that leads and holds the real
// socket (the browser releases it when that tab closes or crashes); every
// other tab's connection is a stand-in whose frames and sends go through the
// leader, over BroadcastChannels:
//
//   - the group's channel (Name) carries control messages every tab hears:
//     lead, bye, join/hello, open, part, vis, want;
//   - each leader's own channel (Name/TAB) carries the server frames it
//     relays, its acks and pongs, and its open, close and bye for the tabs
//     it serves: a stand-in listens to its leader's only, so a leader that
//     lost the lead unseen reaches no one, and what it says comes in order;
//   - each leader's inbox (Name/TAB/in) gets its followers' sends and pings.
//
// Group decides; it does nothing itself. Step takes what happened (lock
// answers, messages, timers, the real socket's events, the client's calls,
// the page's life) and returns what to do (post, lock, timers, the socket,
// what the client hears), so the same machine runs natively in tests and
// in the browser behind the loader. It is deterministic: its only inputs
// are the events, their time and the Rand given to NewGroup.
//
// The client (Client) sees a Conn per connection: the executor turns
// EvDial/EvServe/EvSend/EvPing/EvClose/EvAbort into events and FxOpened,
// FxDeliver, FxPong, FxClosed and FxHandover back into the Conn's calls.
//
// A Group is not safe for concurrent use: one executor drives it.
type Group struct {
	tab  string
	tm   GroupTiming
	rand func() float64
	rtt  func() time.Duration

	now time.Duration
	out []GroupEffect

	key     string
	name    string // the lock's and the group channel's
	data    string // this tab's own channel, as leader
	inbox   string // this tab's inbox, as leader
	role    groupRole
	hidden  bool
	gone    bool   // the page went for good (EvGone): it joins no group again
	ids     uint64 // the last id given to a lock request, query or timer
	queued  uint64 // a lock request waiting (not a steal), 0 if none
	steal   uint64 // a steal under way, 0 if none
	held    uint64 // the request that holds the lock, 0 if none
	client  string // the lock manager's id of this tab's hold (a query's answer)
	qLead   uint64 // the query that learns client
	qJoin   uint64 // the query of an unanswered join
	qStale  uint64 // the query that confirms the lead before stale batches
	qBye    uint64 // the query that asks whether a silent leader still leads
	timers  [timerCount]uint64
	leader  string // the tab that leads, as far as this one knows
	lHidden bool   // whether that leader's page is hidden

	// leading
	followers []follower
	sock      *realSock
	moving    ConnID // a socket handed over, until it closed
	yieldTo   string // the tab a yield waits on the moving socket for
	gen       uint64 // socket generations this tab led
	listening bool   // own channel and inbox open
	relaying  bool
	stale     []GroupMsg
	leaving   bool // the client closes its socket: no close to relay

	// following
	si      *standIn
	orphan  *standIn // a stand-in the client let go while frames waited
	linger  lingering
	seq     uint64   // this tab's sends, across stand-ins: acks name the tab
	fast    fastRule // what the page was last told it may post itself (FxFast)
	leadR   leadRule // what the page was last told it may write itself (FxLead)
	session string   // the session of the group (of its key)
	// what the leader's last socket never sent of its followers' frames,
	// for its next close or bye
	resendOwners []string
	resend       [][][]byte

	stats GroupStats
}

type groupRole uint8

const (
	roleNone groupRole = iota // in no group: before the first dial, after leaving
	roleFollower
	roleLeader
	roleYielding // leading, socket handed over, the lock kept until a visible tab takes it
)

var roleNames = [...]string{"none", "follower", "leader", "yielding"}

type follower struct {
	tab    string
	hidden bool
}

// realSock is the socket this tab holds while it leads.
type realSock struct {
	conn    ConnID
	info    SocketInfo
	open    bool // the browser opened it
	live    bool // the client's open sequence is done: followers may write
	waiting bool // open, but the client is told once the orphan settled
}

// GroupStats is what stats().shared reports.
type GroupStats struct {
	Role       string        // "leader", "follower" or "none"
	Tabs       int           // tabs served, this one included, while leading
	SocketRTT  time.Duration // the shared socket's heartbeat round trip, as the leader measured it
	RelayedIn  uint64        // frames from the server through another tab
	RelayedOut uint64        // followers' frames written on this tab's socket
	Takeovers  uint64        // times this tab took the lead
}

// GroupOptions configure a Group.
type GroupOptions struct {
	// Tab names this tab among the others of the profile, uniquely.
	Tab string
	// Timing defaults to DefaultGroupTiming.
	Timing *GroupTiming
	// Rand returns a uniform number in [0,1) for the join's jitter.
	Rand func() float64
	// RTT returns the leader's socket heartbeat round trip, for followers'
	// pongs; nil reports 0.
	RTT func() time.Duration
}

// NewGroup returns a tab in no group yet: its first EvDial joins one.
func NewGroup(o GroupOptions) *Group {
	g := &Group{tab: o.Tab, tm: DefaultGroupTiming(), rand: o.Rand, rtt: o.RTT}
	if o.Timing != nil {
		g.tm = *o.Timing
	}
	if g.tm.BatchFrames <= 0 {
		g.tm.BatchFrames = 1
	}
	if g.rand == nil {
		g.rand = func() float64 { return 0 }
	}
	return g
}

// Step applies events, in order, at wall-clock time now (Date.now(), since
// the Unix epoch: tabs compare the times they post), and returns the
// effects to carry out, in order. The slice is reused by the next Step.
func (g *Group) Step(now time.Duration, events []GroupEvent) []GroupEffect {
	g.now = now
	g.out = g.out[:0]
	for i := range events {
		g.event(&events[i])
	}
	g.fastSync()
	return g.out
}

// Key is the group this tab is in ("" when none).
func (g *Group) Key() string { return g.key }

// Leading reports whether this tab holds the lead (and its socket).
func (g *Group) Leading() bool { return g.role == roleLeader }

// StandIn is the client's stand-in connection and the channel of the
// leader it is bound to ("" before a leader answered): the server frames
// relayed there are that connection's.
func (g *Group) StandIn() (ConnID, string) {
	if g.si == nil {
		return 0, ""
	}
	return g.si.conn, g.si.data
}

// Pending is how many frames this tab sent through a leader that it has
// not yet acknowledged (its stand-in's bufferedAmount, in frames).
func (g *Group) Pending() int {
	n := 0
	if g.si != nil {
		n += len(g.si.pending)
	}
	if g.orphan != nil {
		n += len(g.orphan.pending)
	}
	return n
}

// Stats returns a snapshot of the group counters.
func (g *Group) Stats() GroupStats {
	s := g.stats
	s.Role = roleNames[g.role]
	if g.role == roleYielding {
		s.Role = "follower"
	}
	if g.role == roleLeader {
		s.Tabs = len(g.followers) + 1
		if g.rtt != nil {
			s.SocketRTT = g.rtt()
		}
	}
	return s
}

func (g *Group) event(e *GroupEvent) {
	switch e.Kind {
	case EvDial:
		g.dial(e.Conn, e.URL, e.Session)
	case EvServe:
		g.serve(e.Conn)
	case EvSend:
		g.send(e.Conn, e.Frames, 0)
	case EvPing:
		if s := g.si; s != nil && s.conn == e.Conn && s.state == siOpen && s.leader != "" {
			g.post(g.leaderInbox(s.leader), GroupMsg{T: MsgPing})
		}
	case EvClose:
		g.clientClose(e.Conn, e.Code, e.Reason)
	case EvAbort:
		g.abort(e.Conn)
	case EvSocketOpen:
		g.socketOpen(e.Conn, e.Info)
	case EvSocketClose:
		g.socketClose(e.Conn, e.Close, e.Frames, e.Owners)
	case EvLockGranted:
		g.granted(e.Req)
	case EvLockFailed:
		g.lockFailed(e.Req)
	case EvLockState:
		g.lockState(e.Req, e.Holder)
	case EvMessage:
		g.message(e.Name, &e.Msg)
	case EvTimer:
		if e.Timer < timerCount && g.timers[e.Timer] == e.Req && e.Req != 0 {
			g.timers[e.Timer] = 0
			g.fired(e.Timer)
		}
	case EvHidden, EvVisible:
		g.visibility(e.Kind == EvHidden)
	case EvFreeze:
		g.freeze()
	case EvResume:
		// Nothing: what waited meanwhile arrives as events of its own.
	case EvLeave:
		g.leave()
	case EvGone:
		g.gone = true
		g.leave()
	case EvSent:
		g.send(e.Conn, e.Frames, e.Req)
	case EvWritten:
		g.written(e.Conn, e.Code)
	}
}

// emit and post are kept out of line: inlined, each of their forty-odd
// call sites grew by a copy of the large effect into g.out (with its write
// barriers), tens of KB of wasm.
//
//go:noinline
func (g *Group) emit(fx GroupEffect) { g.out = append(g.out, fx) }

func (g *Group) nextID() uint64 { g.ids++; return g.ids }

//go:noinline
func (g *Group) post(channel string, m GroupMsg) {
	m.From = g.tab
	g.emit(GroupEffect{Kind: FxPost, Name: channel, Msg: m})
}

func (g *Group) startTimer(t GroupTimer, after time.Duration) {
	id := g.nextID()
	g.timers[t] = id
	g.emit(GroupEffect{Kind: FxStartTimer, Timer: t, Req: id, After: after})
}

func (g *Group) stopTimer(t GroupTimer) {
	if g.timers[t] != 0 {
		g.timers[t] = 0
		g.emit(GroupEffect{Kind: FxStopTimer, Timer: t})
	}
}

func (g *Group) fired(t GroupTimer) {
	switch t {
	case TimerJoin:
		g.joinUnanswered()
	case TimerWatch:
		g.unacknowledged()
	case TimerBye:
		g.byeMissed()
	case TimerYield:
		g.yieldNotTaken()
	}
}

// leaderData and leaderInbox name tab's channels in this group.
func (g *Group) leaderData(tab string) string  { return g.name + "/" + tab }
func (g *Group) leaderInbox(tab string) string { return g.name + "/" + tab + "/in" }
