package chaos

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Ledger records a chaos run from both ends, then judges it (Check) and
// sums it up (Summary). Every method is safe for concurrent use, and the
// order of the calls does not matter except where noted: a record says
// what happened and when, not when it was reported.
//
// Sockets are the client's, numbered by the driver from 1 in the order
// they opened. Server connections are the server's, by its own ID.
//
// The client → server stream is a numbered stream of messages given to
// Send. A message must reach the server exactly once and in order, or be
// refused by Send (outbox full), or be in flight: written to a socket that
// then ended abnormally, later than the last message the server got on that
// socket. There are no acknowledgements in the protocol, so nobody can
// tell whether those last bytes left; TCP guarantees that nothing before
// them is missing.
//
// The server → client stream is a numbered stream the server pushes. A
// push written on an open socket must reach the application exactly once
// and in order, unless the client had no socket open when it was pushed
// (it went to a socket the client had already dropped) or that socket
// ended abnormally afterwards.
type Ledger struct {
	mu sync.Mutex

	sends   map[int]bool  // seq -> accepted (false: refused)
	writes  map[int][]int // seq -> sockets it was written on
	sockets map[int]*socket
	conns   map[int64]*serverConn

	pushes map[int]push
	got    []int // pushes delivered to the application, in order

	faults    []injected
	restarts  int
	reclaimed int
	serverMax int
	lingerMax int
}

type socket struct {
	id       int
	opened   time.Time
	ended    time.Time
	isEnded  bool
	abnormal bool
}

type serverConn struct {
	id   int64
	sock int   // the client socket, 0 if unknown
	seqs []int // in arrival order
}

type push struct {
	at      time.Time
	reached int
}

type injected struct {
	f  Fault
	at time.Time
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{
		sends:   map[int]bool{},
		writes:  map[int][]int{},
		sockets: map[int]*socket{},
		conns:   map[int64]*serverConn{},
		pushes:  map[int]push{},
	}
}

// Sent records what Send did with message seq: accepted (queued or
// written) or refused because the outbox was full.
func (l *Ledger) Sent(seq int, accepted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sends[seq] = accepted
}

// Wrote records that message seq was written successfully on sock,
// directly by Send or by the flush of the outbox.
func (l *Ledger) Wrote(sock, seq int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes[seq] = append(l.writes[seq], sock)
}

// Reclaimed undoes Wrote: the socket gave message seq back unsent (the
// browser's bufferedAmount at an abnormal close), so the client will write
// it again on a later socket.
func (l *Ledger) Reclaimed(sock, seq int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unwriteLocked(sock, seq)
	l.reclaimed++
}

// Unwrote undoes Wrote for a write that failed. A test calls Wrote before
// the write, since the server may have the frame before the write returns,
// and Unwrote when it fails.
func (l *Ledger) Unwrote(sock, seq int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unwriteLocked(sock, seq)
}

func (l *Ledger) unwriteLocked(sock, seq int) {
	ws := l.writes[seq]
	if i := slices.Index(ws, sock); i >= 0 {
		l.writes[seq] = slices.Delete(slices.Clone(ws), i, i+1)
	}
	if len(l.writes[seq]) == 0 {
		delete(l.writes, seq)
	}
}

// Opened records that the client's socket sock opened at at.
func (l *Ledger) Opened(sock int, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sock(sock).opened = at
}

// Ended records that sock ended at at. Abnormal is any end the client did
// not start with its own close(): a reset, a heartbeat timeout, and a close
// frame from the server too, since a server that has sent its close frame
// discards the data frames that cross it.
func (l *Ledger) Ended(sock int, at time.Time, abnormal bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sock(sock)
	if !s.isEnded {
		s.ended, s.isEnded, s.abnormal = at, true, abnormal
	}
}

func (l *Ledger) sock(id int) *socket {
	s := l.sockets[id]
	if s == nil {
		s = &socket{id: id}
		l.sockets[id] = s
	}
	return s
}

// ServerConn records what the server received on its connection id, in
// order; a later call for the same id replaces the list (it only grows).
// sock is the client socket it belongs to, or 0 when unknown: the ledger
// then finds it from the messages (the socket that wrote the first one).
func (l *Ledger) ServerConn(id int64, sock int, seqs []int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[id]
	if c == nil {
		c = &serverConn{id: id}
		l.conns[id] = c
	}
	if sock != 0 {
		c.sock = sock
	}
	c.seqs = slices.Clone(seqs)
}

// Pushed records that the server pushed seq, starting at at, and wrote it
// successfully on reached sockets (0: it was not written anywhere).
func (l *Ledger) Pushed(seq int, at time.Time, reached int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pushes[seq] = push{at: at, reached: reached}
}

// Received records that the application got push seq; calls must come in
// the order the application got them.
func (l *Ledger) Received(seq int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, seq)
}

// Injected records that fault f began at at.
func (l *Ledger) Injected(f Fault, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = append(l.faults, injected{f: f, at: at})
}

// Restarted records that the driver called Start again after the client
// stopped by design (4002, 4003).
func (l *Ledger) Restarted() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.restarts++
}

// ServerSockets records one look at the server: open is the client's
// sockets the server has open, lingering those among them that the client
// had already dropped (half-open: the network has not told the server yet).
func (l *Ledger) ServerSockets(open, lingering int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.serverMax = max(l.serverMax, open)
	l.lingerMax = max(l.lingerMax, lingering)
}

// Violation is one broken invariant.
type Violation struct {
	What   string // duplicate, out-of-order, lost, unknown, refused-delivered, push-..., sockets
	Seq    int
	Detail string
}

func (v Violation) String() string {
	if v.Seq != 0 {
		return fmt.Sprintf("%s: seq %d: %s", v.What, v.Seq, v.Detail)
	}
	return v.What + ": " + v.Detail
}

// Check returns every violation, in a stable order; none means the run
// kept its promises.
func (l *Ledger) Check() []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.analyze(true).violations
}

// CheckSoFar is Check in the middle of a run: it leaves out what may still
// resolve itself (messages in the outbox or on their way on a socket that
// is still open, deliveries seen before the sender recorded them), and
// reports the rest: duplicates, reordering, gaps, two sockets at once.
func (l *Ledger) CheckSoFar() []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.analyze(false).violations
}

// tally is what analyze finds.
type tally struct {
	final      bool // the run is over: nothing is on its way any more
	violations []Violation

	sent, accepted, refused, delivered, inFlight, lost                                     int
	pushed, notWritten, pushDelivered, pushInFlight, pushOrphaned, pushLost, lateDelivered int

	inFlightBy, pushInFlightBy map[string]int // by the fault in progress when the socket ended
}

func (l *Ledger) analyze(final bool) tally {
	t := tally{final: final, inFlightBy: map[string]int{}, pushInFlightBy: map[string]int{}}
	bad := func(what string, seq int, format string, args ...any) {
		t.violations = append(t.violations, Violation{What: what, Seq: seq, Detail: fmt.Sprintf(format, args...)})
	}
	l.checkSockets(bad)
	l.checkSends(&t, bad)
	l.checkPushes(&t, bad)
	return t
}

// openOrder returns the sockets by opening time (then number).
func (l *Ledger) openOrder() []*socket {
	socks := make([]*socket, 0, len(l.sockets))
	for _, s := range l.sockets {
		socks = append(socks, s)
	}
	slices.SortFunc(socks, func(a, b *socket) int {
		if c := a.opened.Compare(b.opened); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return socks
}

// checkSockets: the client never had two sockets at once.
func (l *Ledger) checkSockets(bad func(string, int, string, ...any)) {
	socks := l.openOrder()
	for i := 1; i < len(socks); i++ {
		prev, s := socks[i-1], socks[i]
		if !prev.isEnded || s.opened.Before(prev.ended) {
			bad("sockets", 0, "socket %d opened while socket %d was still open", s.id, prev.id)
		}
	}
}

func (l *Ledger) checkSends(t *tally, bad func(string, int, string, ...any)) {
	wroteOn := func(seq, sock int) bool { return slices.Contains(l.writes[seq], sock) }

	// Which socket each server connection belongs to, and their order.
	conns := make([]serverConn, 0, len(l.conns))
	for _, c := range l.conns {
		c := *c
		if c.sock == 0 && len(c.seqs) > 0 && len(l.writes[c.seqs[0]]) > 0 {
			c.sock = l.writes[c.seqs[0]][0]
		}
		conns = append(conns, c)
	}
	slices.SortFunc(conns, func(a, b serverConn) int {
		if c := cmp.Compare(a.sock, b.sock); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})

	delivered := map[int][]int64{}
	lastOn := map[int]int{} // sock -> highest seq the server got on it
	highest, highestSock := 0, 0
	for _, c := range conns {
		for i, seq := range c.seqs {
			delivered[seq] = append(delivered[seq], c.id)
			accepted, known := l.sends[seq]
			switch {
			case !known:
				if t.final { // mid-run, Send may not have returned yet
					bad("unknown", seq, "the server got it on connection %d but it was never sent", c.id)
				}
			case !accepted:
				bad("refused-delivered", seq, "Send refused it, yet the server got it on connection %d", c.id)
			case c.sock != 0 && !wroteOn(seq, c.sock):
				bad("misrouted", seq, "the server got it on connection %d (socket %d), written on sockets %v", c.id, c.sock, l.writes[seq])
			}
			if i > 0 && seq <= c.seqs[i-1] {
				bad("out-of-order", seq, "connection %d got it after seq %d", c.id, c.seqs[i-1])
			} else if i == 0 && c.sock != 0 && seq <= highest {
				bad("out-of-order", seq, "first on connection %d (socket %d), after seq %d on earlier socket %d", c.id, c.sock, highest, highestSock)
			}
			if c.sock != 0 {
				lastOn[c.sock] = max(lastOn[c.sock], seq)
			}
		}
		// A connection not matched to a socket (yet) cannot be placed.
		if n := len(c.seqs); n > 0 && c.sock != 0 && c.seqs[n-1] > highest {
			highest, highestSock = c.seqs[n-1], c.sock
		}
	}

	for _, seq := range sortedKeys(delivered) {
		if ids := delivered[seq]; len(ids) > 1 {
			bad("duplicate", seq, "the server got it %d times (connections %v)", len(ids), ids)
		}
	}
	for _, seq := range sortedKeys(l.writes) {
		socks := l.writes[seq]
		if accepted, known := l.sends[seq]; known && !accepted {
			bad("refused-written", seq, "Send refused it, yet it was written on sockets %v", socks)
		}
		if len(socks) > 1 {
			bad("written-twice", seq, "written on sockets %v", socks)
		}
	}

	for _, seq := range sortedKeys(l.sends) {
		t.sent++
		if !l.sends[seq] {
			t.refused++
			continue
		}
		t.accepted++
		if len(delivered[seq]) > 0 {
			t.delivered++
			continue
		}
		ws := l.writes[seq]
		if len(ws) == 0 {
			if t.final {
				t.lost++
				bad("lost", seq, "accepted, never written (still in the outbox?)")
			}
			continue
		}
		sock := ws[len(ws)-1]
		s := l.sockets[sock]
		switch {
		case seq < lastOn[sock]:
			t.lost++
			bad("lost", seq, "written on socket %d, which delivered the later seq %d", sock, lastOn[sock])
		case !t.final && (s == nil || !s.isEnded):
			// on its way
		case s == nil || !s.isEnded:
			t.lost++
			bad("lost", seq, "written on socket %d, which is still open, and not received", sock)
		case !s.abnormal:
			t.lost++
			bad("lost", seq, "written on socket %d, which the client closed normally, and not received", sock)
		default:
			t.inFlight++
			t.inFlightBy[l.faultAt(s.ended)]++
		}
	}
}

// faultAt names the fault in progress at at: the last one injected at or
// before it ("none" before the first).
func (l *Ledger) faultAt(at time.Time) string {
	name, latest := "none", time.Time{}
	for _, f := range l.faults {
		if !f.at.After(at) && !f.at.Before(latest) {
			name, latest = f.f.Kind.String(), f.at
		}
	}
	return name
}

func (l *Ledger) checkPushes(t *tally, bad func(string, int, string, ...any)) {
	seen := map[int]bool{}
	last := 0
	for _, seq := range l.got {
		p, known := l.pushes[seq]
		switch {
		case seen[seq]:
			bad("push-duplicate", seq, "the application got it twice")
		case seq <= last:
			bad("push-out-of-order", seq, "the application got it after seq %d", last)
		}
		switch {
		case !known:
			if t.final { // mid-run, the push may not be recorded yet
				bad("push-unknown", seq, "the application got a push the server never sent")
			}
		case p.reached == 0 && !seen[seq]:
			t.lateDelivered++ // the server's write failed, yet the bytes left
		}
		seen[seq] = true
		last = max(last, seq)
	}

	socks := l.openOrder()
	for _, seq := range sortedKeys(l.pushes) {
		p := l.pushes[seq]
		if p.reached == 0 {
			t.notWritten++
			continue
		}
		t.pushed++
		if seen[seq] {
			t.pushDelivered++
			continue
		}
		// The client's socket open when the push began, if any.
		i, _ := slices.BinarySearchFunc(socks, p.at, func(s *socket, at time.Time) int {
			if s.opened.After(at) {
				return 1
			}
			return -1
		})
		var s *socket
		if i > 0 {
			s = socks[i-1]
		}
		switch {
		case s == nil || (s.isEnded && !s.ended.After(p.at)):
			t.pushOrphaned++ // no socket open: it went to one the client had dropped
		case s.isEnded && s.abnormal:
			t.pushInFlight++
			t.pushInFlightBy[l.faultAt(s.ended)]++
		case !t.final && !s.isEnded:
			// on its way
		default:
			t.pushLost++
			bad("push-lost", seq, "pushed while socket %d was open, which then stayed open or closed normally", s.id)
		}
	}
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
