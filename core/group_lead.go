package core

// The leading tab's part: the lock granted, the real socket, followers'
// joins, their batches written and acknowledged, the lead handed over.

// lead takes the lead: the lock was granted.
func (g *Group) lead() {
	g.role, g.leader, g.client = roleLeader, g.tab, ""
	g.followers = g.followers[:0]
	g.stats.Takeovers++
	if !g.listening {
		g.listening = true
		g.emit(GroupEffect{Kind: FxListen, Name: g.inbox, On: true})
	}
	g.post(g.name, GroupMsg{T: MsgLead, Key: g.key, Hidden: g.hidden})
	g.qLead = g.nextID() // learn this hold's client id, to check it later
	g.emit(GroupEffect{Kind: FxQuery, Name: g.name, Req: g.qLead})
	g.stopTimer(TimerJoin)
	hadSI := g.si != nil
	g.moveWhenDone(g.tab, true) // the client reconnects, to this tab's own socket
	if !hadSI {
		g.emit(GroupEffect{Kind: FxHurry}) // every tab waits on this one's socket
	}
}

// leadHeard: another tab (or this one) says it leads.
func (g *Group) leadHeard(tab string, hidden bool) {
	g.leader, g.lHidden = tab, hidden
	// What is bound to another tab moves, unless the lock manager says
	// that one still leads (then this claim was stale); what is bound to
	// tab itself is bound to an earlier lead of it (a lead from a tab
	// always comes before its hellos) and moves too.
	g.moveWhenDone(tab, false)
	g.moveFrom(tab)
	if s := g.si; s != nil && s.leader == "" && s.state == siConnecting {
		g.sendJoin() // its join may have come before anyone led
	}
}

func (g *Group) addFollower(tab string, hidden bool) {
	known := false
	for i := range g.followers {
		if g.followers[i].tab == tab {
			g.followers[i].hidden, known = hidden, true
		}
	}
	if !known {
		g.followers = append(g.followers, follower{tab: tab, hidden: hidden})
	}
	g.relay()
	g.post(g.name, GroupMsg{T: MsgHello, To: tab, Key: g.key, Open: g.sock != nil && g.sock.live,
		Hidden: g.hidden, Info: g.info()})
	if g.hidden && !hidden {
		g.yield(tab)
	}
}

func (g *Group) removeFollower(tab string) {
	for i := range g.followers {
		if g.followers[i].tab == tab {
			g.followers = append(g.followers[:i], g.followers[i+1:]...)
			g.relay()
			return
		}
	}
}

// info is the socket as followers see it (never its URL: it carries the
// token, and each tab has the same address).
func (g *Group) info() SocketInfo {
	if g.sock == nil {
		return SocketInfo{Gen: g.gen, Lock: g.client}
	}
	i := g.sock.info
	i.Gen, i.Lock = g.gen, g.client
	return i
}

// relay turns the executor's per-frame copy to the followers on or off.
func (g *Group) relay() {
	on := g.role == roleLeader && g.sock != nil && g.sock.live && len(g.followers) > 0
	if on == g.relaying {
		return
	}
	g.relaying = on
	fx := GroupEffect{Kind: FxRelay, On: on, Name: g.data}
	if g.sock != nil {
		fx.Conn = g.sock.conn
	}
	g.emit(fx)
}

func (g *Group) onInbox(m *GroupMsg) {
	if g.role != roleLeader {
		return
	}
	switch m.T {
	case MsgPing: // answered here, with the shared socket's own round trip
		p := GroupMsg{T: MsgPong, To: m.From}
		if g.rtt != nil {
			p.RTT = g.rtt()
		}
		g.post(g.data, p)
	case MsgSend:
		// A batch that waited this long was sent while this tab was stuck:
		// another tab may have taken the lead since and been given it.
		// Write it only once the lock manager, answering in order, has said
		// that this tab still holds the lock.
		if g.qStale != 0 || g.now-m.At > g.tm.StaleBatch {
			g.stale = append(g.stale, *m)
			if g.qStale == 0 {
				g.qStale = g.nextID()
				g.emit(GroupEffect{Kind: FxQuery, Name: g.name, Req: g.qStale})
			}
			return
		}
		g.write(m)
	}
}

// write sends a follower's batch on the socket it was sent for; for any
// other socket, or none, it is not acknowledged, and the follower hands it
// to its next socket.
func (g *Group) write(m *GroupMsg) {
	s := g.sock
	if m.Gen < g.gen {
		// sent for a socket that is gone: the follower missed its close
		g.post(g.data, GroupMsg{T: MsgClose, To: m.From, Gen: m.Gen,
			Close: CloseError{Code: CodeAbnormal, Reason: "", Relayed: true}})
		return
	}
	if s == nil || !s.live || m.Gen != g.gen || len(m.Frames) == 0 {
		return
	}
	g.emit(GroupEffect{Kind: FxWrite, Conn: s.conn, Frames: m.Frames, From: m.From, Req: m.Seq})
	g.stats.RelayedOut += uint64(len(m.Frames))
	// At once: a tab stuck after writing must not leave the follower
	// thinking the batch unwritten (it would resend it elsewhere).
	g.post(g.data, GroupMsg{T: MsgAck, To: m.From, Seq: m.Seq + uint64(len(m.Frames)) - 1})
}

// leadRule is what a leading page may write by itself: followers'
// batches for the socket conn of generation gen. The zero value: none.
type leadRule struct {
	conn ConnID
	gen  uint64
}

// leadSync tells the page, after each Step, when its rule changed: it may
// write a fresh batch exactly when write would, at once: this tab leads,
// its socket is live, and no stale batch waits for the lock manager.
func (g *Group) leadSync() {
	var want leadRule
	if s := g.sock; g.role == roleLeader && g.listening && s != nil && s.live && g.qStale == 0 {
		want = leadRule{conn: s.conn, gen: g.gen}
	}
	if want == g.leadR {
		return
	}
	if g.leadR.conn != 0 && g.leadR.conn != want.conn {
		g.emit(GroupEffect{Kind: FxLead, Conn: g.leadR.conn})
	}
	g.leadR = want
	if want.conn != 0 {
		g.emit(GroupEffect{Kind: FxLead, Conn: want.conn, On: true, Name: g.inbox, Reason: g.data,
			Req: want.gen, After: g.tm.StaleBatch, Msg: GroupMsg{T: MsgAck, From: g.tab}})
	}
}

// written: the page wrote n frames of a follower's batch by the rule it
// was given (FxLead), and acknowledged them: nothing is left to decide.
func (g *Group) written(_ ConnID, n int) {
	g.stats.RelayedOut += uint64(n)
}

// socketOpen: the browser opened the real socket.
func (g *Group) socketOpen(conn ConnID, info SocketInfo) {
	if s := g.sock; s != nil && s.conn == conn {
		s.open, s.info = true, info
		if g.blocked() { // what it sent before goes first
			s.waiting = true
			return
		}
		g.emit(GroupEffect{Kind: FxOpened, Conn: conn, Info: info})
	}
}

// serveSock: the client's open sequence is done on the leader's socket:
// the followers' socket is open now, in a new generation.
func (g *Group) serveSock() {
	s := g.sock
	s.live = true
	g.gen++
	info := g.info()
	g.post(g.data, GroupMsg{T: MsgOpen, Info: info}) // ahead of the frames, for those bound
	g.post(g.name, GroupMsg{T: MsgOpen, Info: info}) // for a stand-in that bound before
	g.relay()
}

// socketClose: the real socket ended.
func (g *Group) socketClose(conn ConnID, ce CloseError, unsent [][]byte, owners []string) {
	if conn == g.moving {
		// handed over (the client heard so): a socket that failed before it
		// sent what it buffered gives it back, this tab's own to the
		// client, the followers' with the bye that follows (a yield's)
		g.moving = 0
		yielding := g.yieldTo != ""
		own, lost := g.splitUnsent(unsent, owners, yielding)
		if len(own) > 0 {
			g.emit(GroupEffect{Kind: FxReclaim, Session: g.session, Frames: own})
		}
		if len(lost) > 0 {
			// its followers moved on at its bye: their frames have no
			// place in their order any more
			g.emit(GroupEffect{Kind: FxLost, Frames: lost})
		}
		if yielding {
			g.yielded()
		}
		return
	}
	s := g.sock
	if s == nil || s.conn != conn {
		return
	}
	g.sock = nil
	g.relay()
	own, _ := g.splitUnsent(unsent, owners, true)
	if !g.leaving {
		g.announceClose(ce)
	}
	g.emit(GroupEffect{Kind: FxClosed, Conn: conn, Close: ce, Frames: own})
}

// splitUnsent sorts what a socket never sent by who wrote it: this tab's
// client's frames are returned; each follower's wait for the next close or
// bye on this tab's channel (either tells it the rest was never written),
// unless that is no more to come (keep false): then they are returned as
// lost.
func (g *Group) splitUnsent(unsent [][]byte, owners []string, keep bool) (own, lost [][]byte) {
	for i, f := range unsent {
		switch {
		case i >= len(owners) || owners[i] == "":
			own = append(own, f)
		case keep:
			g.keepResend(owners[i], f)
		default:
			lost = append(lost, f)
		}
	}
	return own, lost
}

func (g *Group) keepResend(owner string, f []byte) {
	for i, o := range g.resendOwners {
		if o == owner {
			g.resend[i] = append(g.resend[i], f)
			return
		}
	}
	g.resendOwners = append(g.resendOwners, owner)
	g.resend = append(g.resend, [][]byte{f})
}

// postData posts on this leader's own channel, with what its last socket
// never sent of the followers' frames.
func (g *Group) postData(m GroupMsg) {
	m.Owners, m.Resend = g.resendOwners, g.resend
	g.resendOwners, g.resend = nil, nil
	g.post(g.data, m)
}

// announceClose tells the followers the socket ended, behind the frames
// and acks before it. A 1006 is the leader's to check (the token): they
// see a network failure.
func (g *Group) announceClose(ce CloseError) {
	ce.Relayed = true
	g.postData(GroupMsg{T: MsgClose, Close: ce, Gen: g.gen})
}

// dropSock hands the leader's socket over: the client hears a handover
// and reconnects (to a stand-in), the socket closes cleanly (what it
// buffers goes first), and once it is closed a yield goes on.
func (g *Group) dropSock() {
	s := g.sock
	if s == nil {
		return
	}
	g.sock = nil
	g.relay()
	g.moving = s.conn
	g.emit(GroupEffect{Kind: FxCloseSocket, Conn: s.conn, Code: CodeNormal, Reason: "HANDOVER"})
	g.emit(GroupEffect{Kind: FxHandover, Conn: s.conn})
}

// yield hands the lead to the visible tab v: this tab's socket closes,
// then v steals the lock. Should v not take it, this tab leads again.
func (g *Group) yield(v string) {
	if g.role != roleLeader {
		return
	}
	g.role, g.yieldTo = roleYielding, v
	if g.sock == nil {
		g.yielded()
		return
	}
	g.dropSock()
}

// yielded: the socket is closed (the server saw it go): tell v to take over.
func (g *Group) yielded() {
	v := g.yieldTo
	g.yieldTo = ""
	if g.role != roleYielding {
		return // the lock was taken meanwhile
	}
	g.bye(v)
	g.startTimer(TimerYield, g.tm.YieldWait)
}

func (g *Group) yieldNotTaken() {
	if g.role != roleYielding {
		return
	}
	g.role = roleLeader
	g.post(g.name, GroupMsg{T: MsgLead, Key: g.key, Hidden: g.hidden})
	if g.si != nil {
		g.closeStandIn(CloseError{}, true, false, nil)
	}
}

// resign gives the lead up now (the page goes away or freezes, or the
// client ended): the socket closes without waiting, the lock goes next.
func (g *Group) resign() {
	if g.role != roleLeader && g.role != roleYielding {
		return
	}
	g.role = roleFollower // first: the client's next socket is a stand-in
	g.dropSock()
	g.bye("")
	g.closeLeaderChannels()
	if g.held != 0 {
		g.emit(GroupEffect{Kind: FxRelease, Req: g.held})
		g.held = 0
	}
}

// lostLead: another tab stole the lock (this one was frozen or stuck).
func (g *Group) lostLead() {
	g.held = 0
	if g.role == roleLeader || g.role == roleYielding {
		g.role = roleFollower
		g.dropSock()
		g.bye("")
	}
	g.closeLeaderChannels()
	g.stayQueued()
}

// bye tells the followers this tab stops leading (next: whom it hands the
// lead to): on its own channel, behind its acks and frames, for the tabs
// it serves; on the group's, for the rest.
func (g *Group) bye(next string) {
	g.stopTimer(TimerYield)
	g.yieldTo = ""
	if g.listening {
		g.postData(GroupMsg{T: MsgBye, Next: next})
	}
	g.post(g.name, GroupMsg{T: MsgBye, Next: next})
}

func (g *Group) closeLeaderChannels() {
	if !g.listening {
		return
	}
	g.listening = false
	g.emit(GroupEffect{Kind: FxListen, Name: g.inbox, On: false})
	g.emit(GroupEffect{Kind: FxListen, Name: g.data, On: false})
	g.stale, g.qStale = nil, 0
	g.followers = g.followers[:0]
	g.relay()
}
