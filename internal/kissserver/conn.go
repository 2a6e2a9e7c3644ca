//go:build !js

package kissserver

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// conn is one upgraded socket.
type conn struct {
	id   int64
	user string
	ws   *websocket.Conn

	// shutting elects the one goroutine that ends the socket; closing wakes
	// the reader (e.g. out of a stall) and shutDone tells the others the
	// socket is fully closed. This keeps a control's close code from racing
	// with the reader's own cleanup.
	shutting atomic.Bool
	closing  chan struct{}
	shutDone chan struct{}
	gone     chan struct{} // closed once unregistered

	// Guarded by Server.mu.
	received []string
	open     bool
	tooMany  bool // beyond the limit of sockets per user: closed with 4002, never open
	ended    time.Time
	pings    int
	ignored  int
}

// shut ends the socket with how, unless another goroutine already does; in
// both cases it returns once the socket is closed.
func (c *conn) shut(how func(ws *websocket.Conn)) {
	if !c.shutting.CompareAndSwap(false, true) {
		<-c.shutDone
		return
	}
	close(c.closing)
	how(c.ws)
	close(c.shutDone)
}

// beginUpgrade counts an upgrade of user in flight and returns its ticket;
// false once Close has begun. The client sees the 101 answer before
// websocket.Accept returns, so the readers of the socket list wait for
// in-flight upgrades (lockSettled): a test that dials and at once calls
// CloseAll or Push must find its socket.
func (s *Server) beginUpgrade(user string) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, false
	}
	s.wg.Add(1)
	s.lastTicket++
	s.upgrades[s.lastTicket] = user
	return s.lastTicket, true
}

// lockSettled locks s.mu once no upgrade is in flight.
func (s *Server) lockSettled() {
	s.mu.Lock()
	for len(s.upgrades) > 0 {
		s.settled.Wait()
	}
}

// earlierUpgrade reports whether an upgrade of user that began before
// ticket is still in flight.
func (s *Server) earlierUpgrade(ticket uint64, user string) bool {
	for t, u := range s.upgrades {
		if t < ticket && u == user {
			return true
		}
	}
	return false
}

// register ends the upgrade with ticket begun with beginUpgrade: it records
// ws (nil when the upgrade failed) and returns its conn, or nil when ws is
// nil or Close has begun (Close's snapshot of open sockets cannot include
// it). Under a socket limit, a user's sockets are judged in the order their
// upgrades began, which is the order their clients saw them open: one whose
// 101 went out first but whose handler ran late must not be taken for the
// extra one, so register waits for the user's earlier upgrades to end.
func (s *Server) register(ticket uint64, user string, ws *websocket.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.limit > 0 && s.earlierUpgrade(ticket, user) {
		s.settled.Wait()
	}
	delete(s.upgrades, ticket)
	s.settled.Broadcast()
	if ws == nil || s.closed {
		return nil
	}
	s.nextID++
	c := &conn{id: s.nextID, user: user, ws: ws, open: true,
		closing: make(chan struct{}), shutDone: make(chan struct{}), gone: make(chan struct{})}
	if s.limit > 0 && s.openLocked(user) >= s.limit {
		c.open, c.tooMany = false, true
		for _, st := range s.statsLocked(user) {
			st.tooMany++
		}
		return c
	}
	s.conns = append(s.conns, c)
	for _, st := range s.statsLocked(user) {
		st.upgrades++
		st.open++
		st.maxOpen = max(st.maxOpen, st.open)
	}
	return c
}

// unregister marks c closed and forgets the oldest closed sockets.
func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(c.gone)
	c.open, c.ended = false, time.Now()
	for _, st := range s.statsLocked(c.user) {
		st.open--
	}
	closed := 0
	for _, x := range s.conns {
		if !x.open {
			closed++
		}
	}
	if closed > maxClosedKept {
		drop := closed - maxClosedKept
		s.conns = slices.DeleteFunc(s.conns, func(x *conn) bool {
			if !x.open && drop > 0 {
				drop--
				return true
			}
			return false
		})
	}
}

// openLocked counts user's open sockets.
func (s *Server) openLocked(user string) int {
	n := 0
	for _, c := range s.conns {
		if c.open && c.user == user {
			n++
		}
	}
	return n
}

// SetSocketLimit sets how many sockets a user may have open at once; beyond
// it a new socket is closed with 4002. 0 lifts the limit.
func (s *Server) SetSocketLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = max(n, 0)
}

// openConns returns the open sockets of user ("" = every user).
func (s *Server) openConns(user string) []*conn {
	s.lockSettled()
	defer s.mu.Unlock()
	var out []*conn
	for _, c := range s.conns {
		if c.open && (user == "" || c.user == user) {
			out = append(out, c)
		}
	}
	return out
}
