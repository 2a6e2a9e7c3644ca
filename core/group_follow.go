package core

// A following tab's part: its client's connection is a stand-in over the
// leader's socket. Its sends go to the leader in batches and wait for its
// ack (group_orphan.go: they outlive the stand-in); its frames and pongs
// come from the leader's own channel.

type siState uint8

const (
	siConnecting siState = iota
	siOpen
)

type standIn struct {
	conn    ConnID
	key     string // the group it belongs to
	session string
	state   siState
	leader  string // the leader it is bound to, "" before a hello
	data    string // that leader's channel
	gen     uint64 // the socket generation it opened on
	lock    string // its leader's hold, as the lock manager names it
	unsent  int    // the last pending frames, held back from a replaced leader
	served  bool   // the client's open sequence is done: deliver frames
	bye     bool   // its leader's bye came
	moving  bool   // its leader was replaced: it waits for that one's bye
	check   bool   // ... as another tab claimed the lead: is that claim stale?
	waiting bool   // open, but waits for the orphan to settle first
	info    SocketInfo
	early   [][]byte
	pending []pendingFrame
	// as an orphan: the client closed it (and waits for its end) with
	// code and reason, or dropped it
	closing bool
	code    int
	reason  string
}

type pendingFrame struct {
	seq  uint64
	data []byte
}

// sendJoin asks the leader for the socket. No answer within the join wait
// (counted from the first join since the tab was last answered, whatever
// the client's connect timeout) asks the lock manager, then steals.
func (g *Group) sendJoin() {
	g.post(g.name, GroupMsg{T: MsgJoin, Key: g.key, Hidden: g.hidden})
	if g.timers[TimerJoin] == 0 {
		g.startTimer(TimerJoin, g.tm.JoinWait+timeScale(g.tm.JoinJitter, g.rand()))
	}
}

// joinUnanswered: the join timer fired; if the tab still waits for a
// leader, check whether someone holds the lock without answering.
func (g *Group) joinUnanswered() {
	if g.role != roleFollower || g.si != nil && (g.si.state != siConnecting || g.si.leader != "") {
		return
	}
	g.qJoin = g.nextID()
	g.emit(GroupEffect{Kind: FxQuery, Name: g.name, Req: g.qJoin})
}

func (g *Group) joinAnswered(holder string) {
	s := g.si
	if holder != "" && g.role == roleFollower && (s == nil || s.state == siConnecting && s.leader == "") {
		g.request(true)
	}
}

// hello: the leader answered this tab's join.
func (g *Group) hello(m *GroupMsg) {
	s := g.si
	if s == nil || s.state != siConnecting || s.leader != "" {
		return
	}
	g.leader, g.lHidden = m.From, m.Hidden
	g.bind(s, m.From)
	g.stopTimer(TimerJoin)
	if o := g.orphan; o != nil && o.leader != m.From {
		g.moveWhenDone(m.From, false) // another leads: the orphan's may have crashed
	}
	if m.Open {
		g.openStandIn(m.Info)
	}
}

// bind listens to the leader's own channel (the orphan, or the last
// leader left, may already).
func (g *Group) bind(s *standIn, leader string) {
	s.leader, s.data = leader, g.leaderData(leader)
	if g.linger.data == s.data {
		g.linger = lingering{} // s listens for it now
		return
	}
	if o := g.other(s); o == nil || o.data != s.data {
		g.emit(GroupEffect{Kind: FxListen, Name: s.data, On: true})
	}
}

// unbind stops listening to s's leader. Unless that leader's close or
// bye was heard (heard), the tab goes on listening to it (lingering): the
// frames it acknowledged may still sit unsent in its socket, which gives
// them back with its close or its bye.
func (g *Group) unbind(s *standIn, heard bool) {
	if s.leader == "" {
		return
	}
	name := s.data
	s.leader, s.data = "", ""
	if !heard && g.linger.data != name {
		g.dropLinger()
		g.linger = lingering{data: name, session: s.session}
		return
	}
	if heard && g.linger.data == name {
		g.linger = lingering{}
	}
	g.unlisten(name)
}

// other is the stand-in or orphan that s is not.
func (g *Group) other(s *standIn) *standIn {
	if s == g.si {
		return g.orphan
	}
	return g.si
}

func (g *Group) openStandIn(info SocketInfo) {
	s := g.si
	if g.blocked() {
		s.waiting, s.info = true, info
		return
	}
	s.state, s.gen, s.waiting, s.lock = siOpen, info.Gen, false, info.Lock
	g.emit(GroupEffect{Kind: FxOpened, Conn: s.conn, Info: info})
}

// serve: the client's open sequence is done. A leader's followers may
// write now; a stand-in delivers what came meanwhile.
func (g *Group) serve(conn ConnID) {
	if s := g.sock; s != nil && s.conn == conn {
		if !s.live && !g.leaving { // not one the client already closes
			g.serveSock()
		}
		return
	}
	s := g.si
	if s == nil || s.conn != conn || s.state != siOpen || s.served {
		return
	}
	s.served = true
	if len(s.early) > 0 {
		g.emit(GroupEffect{Kind: FxDeliver, Conn: conn, Frames: s.early})
		s.early = nil
	}
}

// send keeps what the client sent on the stand-in conn until its leader
// acknowledges it, and posts it there in batches. With first, the page
// posted them itself by its rule (FxFast), numbered from first: under any
// other rule the executor broke its contract (FxUnsent), as for frames
// sent on a stand-in that is not open.
func (g *Group) send(conn ConnID, frames [][]byte, first uint64) {
	s := g.si
	if s == nil || s.conn != conn || s.state != siOpen || first != 0 && (g.fast.conn != conn || first != g.fast.seq) {
		if first != 0 {
			g.fast = fastRule{} // the page's count is not Go's: give it the rule again
		}
		g.emit(GroupEffect{Kind: FxUnsent, Conn: conn, Frames: frames})
		return
	}
	for len(frames) > 0 {
		n := len(frames)
		if first == 0 {
			n = min(n, g.tm.BatchFrames)
		}
		from := g.seq + 1
		for _, f := range frames[:n] {
			g.seq++
			s.pending = append(s.pending, pendingFrame{seq: g.seq, data: f})
		}
		// To a leader another tab replaced, nothing more: these go, with
		// the rest, to the next one (a batch it wrote late would arrive
		// twice).
		switch {
		case first != 0:
			g.fast.seq = g.seq + 1 // the page counted them too
		case s.moving:
			s.unsent += n
		default:
			g.post(g.leaderInbox(s.leader), GroupMsg{T: MsgSend, Gen: s.gen, At: g.now, Seq: from, Frames: frames[:n]})
		}
		frames = frames[n:]
	}
	g.expect()
}

// fastRule is a follower's sends as its page may post them itself: on the
// stand-in conn, to the leader's inbox, for the socket generation gen,
// the next numbered seq. The zero value: none.
type fastRule struct {
	conn     ConnID
	inbox    string
	gen, seq uint64
}

// fastSync tells the page, after each Step, when its rule changed. The
// page may post by itself exactly what send would post at once: the
// stand-in is open, bound, and its leader not replaced; anything else
// (nothing bound, a move under way, a stand-in closing) takes send's path.
func (g *Group) fastSync() {
	g.leadSync()
	var want fastRule
	if s := g.si; s != nil && s.state == siOpen && !s.moving && s.leader != "" {
		want = fastRule{conn: s.conn, inbox: g.leaderInbox(s.leader), gen: s.gen, seq: g.seq + 1}
	}
	if want == g.fast {
		return
	}
	if g.fast.conn != 0 && g.fast.conn != want.conn {
		g.emit(GroupEffect{Kind: FxFast, Conn: g.fast.conn})
	}
	g.fast = want
	if want.conn != 0 {
		g.emit(GroupEffect{Kind: FxFast, Conn: want.conn, On: true, Name: want.inbox, Req: uint64(g.tm.BatchFrames),
			Msg: GroupMsg{T: MsgSend, From: g.tab, Gen: want.gen, Seq: want.seq}})
	}
}

// sendHeld posts what s held back while its leader seemed replaced.
func (g *Group) sendHeld(s *standIn) {
	held := s.pending[len(s.pending)-s.unsent:]
	s.unsent = 0
	for len(held) > 0 {
		n := min(len(held), g.tm.BatchFrames)
		frames := make([][]byte, n)
		for i := range frames {
			frames[i] = held[i].data
		}
		g.post(g.leaderInbox(s.leader), GroupMsg{T: MsgSend, Gen: s.gen, At: g.now, Seq: held[0].seq, Frames: frames})
		held = held[n:]
	}
}

// expect watches for the leader's answer: none within StealAfter means it
// is stuck, and this tab takes the lock over.
func (g *Group) expect() {
	if g.timers[TimerWatch] == 0 {
		g.startTimer(TimerWatch, g.tm.StealAfter)
	}
}

// heard: a leader answered; watch again while frames wait.
func (g *Group) heard() {
	g.stopTimer(TimerWatch)
	if g.Pending() > 0 {
		g.expect()
	}
}

func (g *Group) unacknowledged() {
	if g.role != roleFollower {
		return
	}
	if s := g.si; s != nil && s.state == siOpen && s.leader != "" || g.orphan != nil && g.orphan.leader != "" {
		g.request(true)
	}
}

// onLeader is a message on a leader's own channel, for the stand-in or
// the orphan bound to it.
func (g *Group) onLeader(channel string, m *GroupMsg) {
	s, o := g.si, g.orphan
	if s != nil && s.data != channel {
		s = nil
	}
	if o != nil && o.data != channel {
		o = nil
	}
	switch m.T {
	case MsgFrames:
		if s == nil {
			return
		}
		if s.state == siConnecting || !s.served {
			s.early = append(s.early, m.Frames...)
			return
		}
		if g.timers[TimerWatch] != 0 {
			g.heard()
		}
		g.stats.RelayedIn += uint64(len(m.Frames))
		g.emit(GroupEffect{Kind: FxDeliver, Conn: s.conn, Frames: m.Frames})
	case MsgOpen:
		switch {
		case s == nil:
		case s.state == siConnecting:
			g.openStandIn(m.Info)
		case m.Info.Gen != s.gen:
			// a newer socket: the close of the one it opened on crossed
			// the hello it opened with
			g.closeStandIn(CloseError{Code: CodeAbnormal, Relayed: true}, false, true, nil)
		case m.Info.Lock != "":
			s.lock = m.Info.Lock // the leader learnt its hold's id
		}
	case MsgClose, MsgBye:
		if m.T == MsgClose && m.To != "" && m.To != g.tab {
			return // another's
		}
		if olderClose(m, s) {
			s = nil
		}
		if olderClose(m, o) {
			o = nil
		}
		// What is still pending was never written (acks come first); what
		// the socket never sent comes back with it.
		resend := resendFor(m, g.tab)
		if s != nil {
			s.waiting = false // it ends too: it must not open first
		}
		if o != nil {
			g.settleOrphan(false, true, resend)
			resend = nil
		}
		if s == nil {
			if len(resend) > 0 {
				g.emit(GroupEffect{Kind: FxReclaim, Session: g.session, Frames: resend})
			}
			return
		}
		if m.T == MsgBye {
			s.bye = true
			g.closeStandIn(CloseError{}, true, true, resend)
			return
		}
		ce := m.Close
		ce.WasClean = ce.WasClean && len(s.pending) == 0 && len(resend) == 0
		g.closeStandIn(ce, false, true, resend)
	case MsgAck:
		if m.To != g.tab {
			return
		}
		if o != nil {
			o.pending = acked(o.pending, m.Seq)
			if len(o.pending) == 0 {
				g.settleOrphan(true, false, nil)
			}
		}
		if s != nil {
			s.pending = acked(s.pending, m.Seq)
		}
		g.heard()
	case MsgPong:
		if s != nil && m.To == g.tab && s.state == siOpen {
			g.stats.SocketRTT = m.RTT
			g.heard()
			g.emit(GroupEffect{Kind: FxPong, Conn: s.conn})
		}
	}
}

// olderClose: m closes an older socket than the one s opened (or waits to
// open) on, which s need not care about.
func olderClose(m *GroupMsg, s *standIn) bool {
	switch {
	case s == nil || m.T != MsgClose:
		return false
	case s.waiting:
		return m.Gen < s.info.Gen
	}
	return s.state == siOpen && m.Gen < s.gen
}

func acked(p []pendingFrame, seq uint64) []pendingFrame {
	n := 0
	for n < len(p) && p[n].seq <= seq {
		n++
	}
	return p[n:]
}

// resendFor is what a closing leader's socket never sent of tab's frames.
func resendFor(m *GroupMsg, tab string) [][]byte {
	for i, o := range m.Owners {
		if o == tab {
			return m.Resend[i]
		}
	}
	return nil
}

// moveWhenDone moves what is bound to a replaced leader (any but
// newLeader) once that leader's bye has come (behind its acks: what it
// wrote is then confirmed and not resent), or after ByeWait for one that
// crashed. When this tab leads (self), an unbound stand-in moves at once.
// A claim of newLeader to the lead is checked with the lock manager first
// (unless this tab is the one that leads).
func (g *Group) moveWhenDone(newLeader string, self bool) {
	if s := g.si; s != nil {
		switch {
		case s.leader == "" && self, s.leader != "" && s.bye:
			g.closeStandIn(CloseError{}, true, s.bye, nil)
		case s.leader != "" && s.leader != newLeader:
			g.markMoving(s, !self)
		}
	}
	if o := g.orphan; o != nil && o.leader != "" && o.leader != newLeader {
		g.markMoving(o, !self)
	}
}

// moveFrom waits ByeWait at most for the bye of tab, for what is bound to
// it: tab said on the group's channel that it stops leading, or it leads
// again (its earlier lead's bye may have gone before this tab listened).
func (g *Group) moveFrom(tab string) {
	for _, s := range [2]*standIn{g.si, g.orphan} {
		if s != nil && s.leader == tab {
			g.markMoving(s, false)
		}
	}
}

// markMoving starts the wait for s's leader's bye. With check, what
// started it was another tab's claim to the lead, which may be stale.
func (g *Group) markMoving(s *standIn, check bool) {
	if !s.moving {
		s.moving, s.check = true, check
	} else {
		s.check = s.check && check
	}
	if g.timers[TimerBye] == 0 {
		g.startTimer(TimerBye, g.tm.ByeWait)
	}
}

// byeMissed: no bye came from the replaced leader: it crashed, or is stuck
// (then it writes nothing that old before the lock manager says it leads).
//
// A leader that still holds the lock was not replaced (the claim to the
// lead was stale: a tab that ran again after being frozen announced a
// grant already stolen from it), and a stuck one may still write what it
// was sent: so the lock manager is asked first, when the leader's hold is
// known.
func (g *Group) byeMissed() {
	for _, s := range [2]*standIn{g.si, g.orphan} {
		if s != nil && s.moving && s.check && s.lock != "" {
			if g.qBye == 0 {
				g.qBye = g.nextID()
				g.emit(GroupEffect{Kind: FxQuery, Name: g.name, Req: g.qBye})
			}
			return
		}
	}
	g.moveNow()
}

// byeChecked: holder holds the lock. What is bound to it stays.
func (g *Group) byeChecked(holder string) {
	for _, s := range [2]*standIn{g.si, g.orphan} {
		if s != nil && s.moving && s.check && holder != "" && s.lock == holder {
			s.moving = false
			if s.unsent > 0 {
				g.sendHeld(s)
			}
		}
	}
	g.moveNow()
}

func (g *Group) moveNow() {
	if o := g.orphan; o != nil && o.moving {
		g.settleOrphan(false, false, nil)
	}
	if s := g.si; s != nil && s.moving {
		g.closeStandIn(CloseError{}, true, false, nil)
	}
}

// closeStandIn ends the stand-in: a handover, or a close the client hears.
// Its unacknowledged frames, after resend, go back to the outbox.
func (g *Group) closeStandIn(ce CloseError, handover, heard bool, resend [][]byte) {
	s := g.si
	g.si = nil
	bound := s.leader != ""
	g.unbind(s, heard)
	if bound && !handover && g.role != roleNone {
		g.post(g.name, GroupMsg{T: MsgPart})
	}
	fx := GroupEffect{Kind: FxClosed, Conn: s.conn, Close: ce, Frames: append(resend, framesOf(s.pending)...)}
	if handover {
		fx.Kind = FxHandover
	}
	g.emit(fx)
	g.rewatch()
}

// rewatch stops the steal watch once nothing waits for an ack.
func (g *Group) rewatch() {
	if g.Pending() == 0 {
		g.stopTimer(TimerWatch)
	}
}

// clientClose: the client closes its connection (close(), or a page into
// the back/forward cache).
func (g *Group) clientClose(conn ConnID, code int, reason string) {
	if s := g.sock; s != nil && s.conn == conn {
		// this tab is done with the socket: the lead moves once the client
		// has ended, and nobody is told of this close meanwhile
		s.live, g.leaving = false, true
		g.emit(GroupEffect{Kind: FxCloseSocket, Conn: conn, Code: code, Reason: reason})
		return
	}
	s := g.si
	if s == nil || s.conn != conn {
		return
	}
	if code == 0 {
		code = 1005
	}
	if len(s.pending) == 0 {
		g.closeStandIn(CloseError{Code: code, Reason: reason, WasClean: true}, false, false, nil)
		return
	}
	// as a socket's close: what it buffers goes first
	s.closing, s.code, s.reason = true, code, reason
	g.orphanize(s)
}

// abort: the client dropped its connection and hears no more of it.
func (g *Group) abort(conn ConnID) {
	if s := g.sock; s != nil && s.conn == conn {
		g.sock = nil
		g.relay()
		if !g.leaving {
			ce := CloseError{Code: CodeAbnormal, Reason: "ABORTED"}
			if s.open {
				ce = CloseError{Code: CodeNotResponding, Reason: "SERVER_NOT_RESPONDING"}
			}
			g.announceClose(ce)
		}
		g.emit(GroupEffect{Kind: FxCloseSocket, Conn: conn, Code: CodeNotResponding, Reason: "SERVER_NOT_RESPONDING"})
		return
	}
	s := g.si
	if s == nil || s.conn != conn {
		return
	}
	if len(s.pending) > 0 {
		g.orphanize(s)
		return
	}
	g.si = nil
	if s.leader != "" && g.role != roleNone {
		g.post(g.name, GroupMsg{T: MsgPart})
	}
	g.unbind(s, false)
	g.rewatch()
}
