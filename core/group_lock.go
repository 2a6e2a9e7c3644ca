package core

// The group's Web Lock: who holds it leads. A follower always waits in its
// queue (or steals it from a leader that does not answer); the lock
// manager's answers come back as events, each naming its request.

// request queues for the lock, or steals it from a leader that does not
// answer (aborting the queued request first).
func (g *Group) request(steal bool) {
	id := g.nextID()
	if steal {
		if g.queued != 0 {
			g.emit(GroupEffect{Kind: FxAbortLock, Req: g.queued})
			g.queued = 0
		}
		g.steal = id
	} else {
		g.queued = id
	}
	g.emit(GroupEffect{Kind: FxLock, Name: g.name, Req: id, Steal: steal})
}

func (g *Group) granted(req uint64) {
	mine := req == g.queued || req == g.steal
	if req == g.queued {
		g.queued = 0
	}
	if req == g.steal {
		g.steal = 0
	}
	if !mine || g.role == roleNone || g.held != 0 {
		g.emit(GroupEffect{Kind: FxRelease, Req: req}) // left meanwhile, or held already: let it go
		g.stayQueued()
		return
	}
	g.held = req
	g.lead()
}

func (g *Group) lockFailed(req uint64) {
	switch req {
	case g.queued:
		g.queued = 0
	case g.steal:
		g.steal = 0
		g.stayQueued() // another tab stole it first
	case g.held:
		g.lostLead()
	}
}

// stayQueued keeps a follower in the lock's queue: a steal aborted its
// request, and one that lost to another tab's steal would leave it out of
// the queue for good (nobody leads once the others are gone).
func (g *Group) stayQueued() {
	if g.role == roleFollower && g.queued == 0 && g.steal == 0 && g.held == 0 {
		g.request(false)
	}
}

func (g *Group) lockState(req uint64, holder string) {
	switch req {
	case 0:
	case g.qLead:
		g.qLead = 0
		if g.role == roleLeader {
			g.client = holder
			if s := g.sock; s != nil && s.live { // tell those on the socket
				g.post(g.data, GroupMsg{T: MsgOpen, Info: g.info()})
			}
		}
	case g.qBye:
		g.qBye = 0
		g.byeChecked(holder)
	case g.qJoin:
		g.qJoin = 0
		g.joinAnswered(holder)
	case g.qStale:
		g.qStale = 0
		q := g.stale
		g.stale = nil
		if g.role != roleLeader || g.held == 0 || g.client == "" || holder != g.client {
			return // not written, not acknowledged: the follower resends it elsewhere
		}
		for i := range q {
			g.write(&q[i])
		}
	}
}
