package core

// What a following tab sent is its own until a leader answers for it. A
// stand-in the client closes or drops while frames wait becomes an orphan,
// bound to its leader until that one answers (an ack; a close or a bye,
// behind its acks, that says the rest was never written) or is taken to
// have crashed (another tab leads, and no bye came within ByeWait). While
// it waits, no new connection of its group opens, so what it gives back
// goes out first. And the last leader a tab left without hearing its close
// or bye is still listened to (lingering): its socket may give back what it
// never sent of the frames it acknowledged.

// lingering is the last leader a tab left without hearing its close or
// bye: what its socket never sent of the tab's frames comes with either.
type lingering struct {
	data    string // its channel, "" when none
	session string // of the frames the tab sent through it
}

func (g *Group) dropLinger() {
	if name := g.linger.data; name != "" {
		g.linger = lingering{}
		g.unlisten(name)
	}
}

// unlisten closes the channel name unless something still listens to it.
func (g *Group) unlisten(name string) {
	if s := g.si; s != nil && s.data == name || g.orphan != nil && g.orphan.data == name || g.linger.data == name {
		return
	}
	g.emit(GroupEffect{Kind: FxListen, Name: name, On: false})
}

// onLinger: the last leader left says it closed or stops: its socket
// gives back what it never sent.
func (g *Group) onLinger(m *GroupMsg) {
	if m.T != MsgClose && m.T != MsgBye || m.To != "" && m.To != g.tab {
		return
	}
	if resend := resendFor(m, g.tab); len(resend) > 0 {
		g.emit(GroupEffect{Kind: FxReclaim, Session: g.linger.session, Frames: resend})
	}
	name := g.linger.data
	g.linger = lingering{}
	g.unlisten(name)
}

// blocked: an orphan of this group still waits for its leader, so no new
// connection opens (what it gives back must go out first). One of another
// group (the session changed) blocks nothing: the client discards its
// frames if they come back.
func (g *Group) blocked() bool { return g.orphan != nil && g.orphan.key == g.key }

// orphan keeps s (the client closed or dropped it) until its leader has
// answered for the frames it sent.
func (g *Group) orphanize(s *standIn) {
	g.si = nil
	if s.leader != "" && g.role != roleNone {
		g.post(g.name, GroupMsg{T: MsgPart})
	}
	if o := g.orphan; o != nil { // of another group: no stand-in opens while one waits
		g.settleOrphan(false, false, nil)
	}
	g.orphan = s
	if g.leader != s.leader {
		g.moveWhenDone(g.leader, false)
	}
}

// settleOrphan: the orphan's leader wrote what it sent (written), or never
// will (then resend and its pending go back to the client); what waited
// for it opens.
func (g *Group) settleOrphan(written, heard bool, resend [][]byte) {
	o := g.orphan
	g.orphan = nil
	g.unbind(o, heard)
	unsent := resend
	if !written {
		unsent = append(unsent, framesOf(o.pending)...)
	}
	switch {
	case o.closing:
		g.emit(GroupEffect{Kind: FxClosed, Conn: o.conn, Frames: unsent,
			Close: CloseError{Code: o.code, Reason: o.reason, WasClean: len(unsent) == 0}})
	case len(unsent) > 0:
		g.emit(GroupEffect{Kind: FxReclaim, Session: o.session, Frames: unsent})
	}
	if s := g.si; s != nil && s.waiting {
		g.openStandIn(s.info)
	}
	if s := g.sock; s != nil && s.waiting {
		s.waiting = false
		g.emit(GroupEffect{Kind: FxOpened, Conn: s.conn, Info: s.info})
	}
	g.rewatch()
}

func framesOf(p []pendingFrame) [][]byte {
	if len(p) == 0 {
		return nil
	}
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i].data
	}
	return out
}
