//go:build !js

package core_test

import (
	"strconv"

	"github.com/kissjs/kiss-websocket/core"
)

// simLedger records both ends of every stream and checks the invariants as
// things happen:
//
//   - a message the app's send accepted reaches the server at most once,
//     and each tab's in the order they were sent; at a settled point every
//     one has, but those the client discarded for a session switch (counted
//     in its Stats) and those the server itself dropped after it closed the
//     socket (it reads nothing after its close frame, as any server).
//     A leader that crashed may have written a follower's frames and lost
//     the ack on the way: those may arrive twice; and a leader whose socket
//     failed unseen as it went away (crashed, closed, froze) takes with it
//     the frames it had acknowledged and that socket never sent: both are
//     counted apart. So are frames a stuck leader acknowledged and its
//     failed socket gave back, once it ran again, after the tab had sent
//     later ones through the tab that took the lead: they come late (on
//     another socket), not lost.
//   - a message reaches the server only on a socket of the session it was
//     sent in;
//   - each server frame (push or echo) reaches each tab at most once and in
//     the server's order (but one sent while two leaders' sockets were open,
//     a stuck leader's and its thief's, counted apart); at a settled point,
//     a probe reaches every tab.
type simLedger struct {
	w         *simWorld
	msgs      []simMsg // by id-1
	exempt    map[int]uint8
	accepted  int
	recv      int
	dups      int // crashed leaders' unconfirmed frames that arrived twice
	lostSrv   int // read by no one: the server had closed the socket
	crashLost int // acknowledged, never sent by a failed socket of a leader that went away
	open      int // sockets open at the server
	maxOpen   int
	overlap   map[int]bool // server frames sent while the user had two sockets open
	twice     int          // such frames a tab got twice or out of order
	reordered int          // given back by a stuck leader's failed socket after later ones were read
}

type simMsg struct {
	tab     *simTab
	n       int    // the tab's own order
	session string // the session of the socket (or outbox) it was sent to
	recv    uint8  // times the server received it
}

const (
	exemptServerClose = 1 << iota // lost: the server had closed the socket
	exemptCrash                   // written by a leader that crashed before its ack came
	exemptCrashLost               // died unsent in the failed socket of a leader that went away
	exemptGivenBack               // acknowledged, then given back by its leader's failed socket
)

// accept records a message the app's send accepted.
func (l *simLedger) accept(t *simTab, session string) int {
	l.accepted++
	t.nextN++
	l.msgs = append(l.msgs, simMsg{tab: t, n: t.nextN, session: session})
	id := len(l.msgs)
	t.sent = append(t.sent, id)
	return id
}

func (l *simLedger) msg(data []byte) (int, *simMsg) {
	id := frameID(data)
	if id <= 0 || id > len(l.msgs) {
		return 0, nil
	}
	return id, &l.msgs[id-1]
}

// received: the server read a message on socket k.
func (l *simLedger) received(k *simSock, data []byte) {
	id, m := l.msg(data)
	if m == nil {
		l.w.violation("server: unknown frame %q", data)
		return
	}
	l.recv++
	m.recv++
	if m.session != k.session {
		l.w.violation("message %d of %s sent in %q reached a socket of %q", id, m.tab.id, m.session, k.session)
	}
	t := m.tab
	switch {
	case m.recv > 1 && l.exempt[id]&exemptCrash != 0:
		l.dups++
	case m.recv > 1:
		l.w.violation("message %d (n %d) of %s reached the server twice", id, m.n, t.id)
	case m.n < t.serverN && l.exempt[id]&exemptGivenBack != 0 && k.id != t.serverSock:
		// A stuck leader acknowledged it, its socket died unseen, and the
		// tab sent later messages through the tab that took the lead,
		// which the server read first (on another socket: on the same one
		// it would be the tab's own order, and a violation); the frame came
		// back when the stuck leader saw its socket's end. Sent late rather
		// than lost: counted.
		l.reordered++
	case m.n < t.serverN:
		l.w.violation("message %d (n %d) of %s reached the server after n %d", id, m.n, t.id, t.serverN)
	default:
		t.serverN, t.serverSock = m.n, k.id
	}
}

// givenBack: a leader's close or bye gives to the frames its failed socket
// never sent, which it may have acknowledged.
func (l *simLedger) givenBack(to *simTab, m *core.GroupMsg) {
	for i, o := range m.Owners {
		if o == to.id {
			for _, f := range m.Resend[i] {
				if id, sm := l.msg(f); sm != nil {
					l.exempt[id] |= exemptGivenBack
				}
			}
		}
	}
}

// lostAtServerClose: a frame arrived after the server closed the socket.
func (l *simLedger) lostAtServerClose(data []byte) {
	if id, m := l.msg(data); m != nil {
		l.exempt[id] |= exemptServerClose
		l.lostSrv++
	}
}

// lostWithLeader: a frame a leader acknowledged died unsent in its
// socket, which had failed unseen as the leader went away (it crashed,
// closed or froze before it saw the failure).
func (l *simLedger) lostWithLeader(data []byte) {
	if id, m := l.msg(data); m != nil && !m.tab.dead {
		l.exempt[id] |= exemptCrashLost
		l.crashLost++
	}
}

// written: a leader wrote a follower's frames on its socket.
func (l *simLedger) written(t *simTab, from string, frames [][]byte) {
	for _, f := range frames {
		if id, m := l.msg(f); m != nil && m.tab.id == from {
			t.wroteFor = append(t.wroteFor, id)
		}
	}
}

// lostWithCrash: a message from a crashed tab was lost. If it gave a
// follower back frames its socket never sent (a close or a bye), those
// are lost with it; if it was an ack, what it wrote for that follower may
// be sent again.
func (l *simLedger) lostWithCrash(from, to *simTab, m *core.GroupMsg) {
	for i, o := range m.Owners {
		if o == to.id {
			for _, f := range m.Resend[i] {
				l.lostWithLeader(f)
			}
		}
	}
	if m.T != core.MsgAck {
		return
	}
	for _, id := range from.wroteFor {
		if l.msgs[id-1].tab == to {
			l.exempt[id] |= exemptCrash
		}
	}
}

// delivered: the app of tab t got server frame seq.
func (l *simLedger) delivered(t *simTab, seq int) {
	if t.dead {
		return
	}
	if seq <= t.lastSeq {
		if l.overlap[seq] || l.overlap[t.lastSeq] {
			// two leaders' sockets at once (a stuck one's and its thief's)
			// both get every frame: a tab that moves between them may see
			// one twice, and cannot tell (frames carry no id)
			l.twice++
			return
		}
		l.w.violation("%s got server frame %d after %d: twice or out of order", t.id, seq, t.lastSeq)
		return
	}
	t.lastSeq = seq
	if seq == l.w.probe {
		t.gotProbe = true
	}
}

func (l *simLedger) socketOpened(*simSock) {
	l.w.churn++
	l.open++
	l.maxOpen = max(l.maxOpen, l.open)
}

func (l *simLedger) socketEnded(*simSock) {
	l.w.churn++
	l.open--
}

// complete checks, at a settled point, that every message an open tab's
// app sent reached the server, but those the rules above excuse.
func (l *simLedger) complete(t *simTab) {
	missing, first := 0, 0
	for _, id := range t.sent[t.checked:] {
		if l.msgs[id-1].recv == 0 && l.exempt[id]&(exemptServerClose|exemptCrashLost) == 0 {
			missing++
			if first == 0 {
				first = id
			}
		}
	}
	discarded := int(t.client.Stats().Discarded)
	if missing != discarded-t.discardedSeen {
		l.w.violation("%s: %d accepted messages never reached the server (first %d, n %d), %d discarded for a session switch",
			t.id, missing, first, l.msgs[max(first, 1)-1].n, discarded-t.discardedSeen)
	}
	t.checked, t.discardedSeen = len(t.sent), discarded
}

func itoa(n int) string { return strconv.Itoa(n) }
