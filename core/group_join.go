package core

// A tab's way in and out of a group, and what it hears on the group's
// channel: the client's dial picks the group (its URL and session), the
// page's life and visibility move the lead.

// dial is the client's Opener.Open: this tab's own socket while it leads,
// else a stand-in over the leader's.
func (g *Group) dial(conn ConnID, url, session string) {
	if g.gone {
		return // the page is unloading: nothing more reaches the others
	}
	if key := GroupKey(url, session); g.role == roleNone || key != g.key {
		if g.role != roleNone {
			g.leave()
		}
		g.join(key)
		g.session = session
	}
	if g.si != nil { // the client moved on without closing it
		g.abort(g.si.conn)
	}
	if g.sock != nil {
		g.abort(g.sock.conn)
	}
	if g.role == roleLeader {
		g.sock = &realSock{conn: conn}
		g.leaving = false
		g.emit(GroupEffect{Kind: FxOpenSocket, Conn: conn, URL: url})
		return
	}
	g.si = &standIn{conn: conn, key: g.key, session: session}
	g.sendJoin()
}

// join enters the group key as a follower and queues for the lead.
func (g *Group) join(key string) {
	g.key, g.name = key, GroupName(key)
	g.data, g.inbox = g.leaderData(g.tab), g.leaderInbox(g.tab)
	g.role, g.leader, g.lHidden, g.leaving = roleFollower, "", false, false
	g.emit(GroupEffect{Kind: FxListen, Name: g.name, On: true})
	g.request(false)
}

// leave is done with the group: a leader resigns, a follower says so.
func (g *Group) leave() {
	if g.role == roleNone {
		return
	}
	if g.role == roleLeader || g.role == roleYielding {
		g.resign()
	} else {
		g.post(g.name, GroupMsg{T: MsgPart})
	}
	if g.queued != 0 {
		g.emit(GroupEffect{Kind: FxAbortLock, Req: g.queued})
		g.queued = 0
	}
	// An orphan stays bound to its leader until that one answers for it:
	// the tab may come back to the group, and a stuck leader may still
	// write what it sent.
	if g.si != nil { // its client ended or the page goes: nothing to tell
		g.unbind(g.si, false)
		g.si = nil
	}
	for t := TimerJoin; t < timerCount; t++ {
		g.stopTimer(t)
	}
	g.steal, g.qLead, g.qJoin, g.qStale, g.qBye = 0, 0, 0, 0, 0
	g.role, g.key, g.leader = roleNone, "", ""
	g.emit(GroupEffect{Kind: FxListen, Name: g.name, On: false})
}

// visibility tells the others, and moves the lead to a visible tab.
func (g *Group) visibility(hidden bool) {
	g.hidden = hidden
	if g.role == roleNone {
		return
	}
	g.post(g.name, GroupMsg{T: MsgVis, Hidden: hidden})
	switch {
	case g.role == roleLeader && hidden:
		for _, f := range g.followers {
			if !f.hidden {
				g.yield(f.tab)
				return
			}
		}
	case g.role == roleFollower && !hidden && g.leader != "" && g.leader != g.tab && g.lHidden:
		g.post(g.name, GroupMsg{T: MsgWant})
	}
}

// freeze gives the lead up before the page stops running, and queues for
// it again.
func (g *Group) freeze() {
	if g.role == roleNone {
		return
	}
	g.resign()
	if g.role == roleFollower && g.queued == 0 && g.held == 0 {
		g.request(false)
	}
}

// message is one message on one of the channels this tab listens to.
func (g *Group) message(channel string, m *GroupMsg) {
	if o := g.orphan; o != nil && channel == o.data && (g.si == nil || g.si.data != channel) {
		g.onLeader(channel, m) // heard in a group or not
		return
	}
	if channel == g.linger.data && channel != "" && (g.si == nil || g.si.data != channel) {
		g.onLinger(m)
		return
	}
	if g.role == roleNone {
		return
	}
	switch {
	case channel == g.name:
		g.onGroup(m)
	case channel == g.inbox:
		g.onInbox(m)
	case g.si != nil && channel == g.si.data, g.orphan != nil && channel == g.orphan.data:
		g.onLeader(channel, m)
	}
}

func (g *Group) onGroup(m *GroupMsg) {
	leading := g.role == roleLeader
	switch m.T {
	case MsgJoin:
		if leading && m.Key == g.key {
			g.addFollower(m.From, m.Hidden)
		}
	case MsgPart:
		g.removeFollower(m.From)
	case MsgVis:
		for i := range g.followers {
			if g.followers[i].tab == m.From {
				g.followers[i].hidden = m.Hidden
			}
		}
		if m.From == g.leader {
			g.lHidden = m.Hidden
		}
		if leading && g.hidden && !m.Hidden {
			g.yield(m.From)
		}
	case MsgWant:
		if leading && g.hidden {
			g.yield(m.From)
		}
	case MsgLead:
		if m.Key == g.key {
			g.leadHeard(m.From, m.Hidden)
		}
	case MsgHello:
		if m.To == g.tab && m.Key == g.key {
			g.hello(m)
		}
	case MsgOpen:
		if s := g.si; s != nil && s.leader == m.From && s.state == siConnecting {
			g.openStandIn(m.Info)
		}
	case MsgBye:
		if g.leader == m.From {
			g.leader = ""
		}
		// Its bye on its own channel, behind its acks, moves what is bound
		// to it; this one (after its hellos on this channel) tells a tab
		// that bound too late to hear that one.
		g.moveFrom(m.From)
		if m.Next == g.tab && g.role == roleFollower {
			g.request(true)
		}
	}
}
