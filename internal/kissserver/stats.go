//go:build !js

package kissserver

import "time"

// Bounds on what the server remembers for tests, so a long benchmark or a
// forgotten dev server cannot grow without limit.
const (
	maxReceived   = 100000 // frames kept per socket and per user
	maxClosedKept = 1000   // closed sockets still listed by Conns
)

// ConnInfo describes one socket for tests.
type ConnInfo struct {
	ID       int64    `json:"id"`
	User     string   `json:"user"`
	Received []string `json:"received"` // text frames, excluding "ping"
	Open     bool     `json:"open"`
	Pings    int      `json:"pings"`   // text "ping" frames received
	Ignored  int      `json:"ignored"` // binary or non-channel frames dropped
	// Ended is when the server saw a closed socket end (zero while open):
	// tests time what follows from it.
	Ended time.Time `json:"ended,omitzero"`
}

// userStats are the per-user counters tests assert on.
type userStats struct {
	received []string
	open     int
	maxOpen  int
	upgrades int
	tooMany  int // sockets closed with 4002 by the limit
}

// appendBounded appends v and drops the oldest entries past maxReceived.
// Re-slicing from the front keeps appends amortised O(1).
func appendBounded(s []string, v string) []string {
	if len(s) >= maxReceived {
		s = s[len(s)-maxReceived+1:]
	}
	return append(s, v)
}

// statsLocked returns user's counters and, for a real user, the all-users
// ones too, creating them on first use.
func (s *Server) statsLocked(user string) []*userStats {
	users := []string{user}
	if user != "" {
		users = append(users, "")
	}
	out := make([]*userStats, 0, len(users))
	for _, u := range users {
		st := s.stats[u]
		if st == nil {
			st = &userStats{}
			s.stats[u] = st
		}
		out = append(out, st)
	}
	return out
}

// record keeps a received text frame for Conns and Received.
func (s *Server) record(c *conn, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.received = appendBounded(c.received, text)
	for _, st := range s.statsLocked(c.user) {
		st.received = appendBounded(st.received, text)
	}
}

// count bumps a per-socket counter under the lock.
func (s *Server) count(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Conns lists the open sockets and the most recent closed ones, by ID.
func (s *Server) Conns() []ConnInfo {
	s.lockSettled()
	defer s.mu.Unlock()
	out := make([]ConnInfo, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, ConnInfo{ID: c.id, User: c.user, Open: c.open,
			Received: append([]string{}, c.received...), Pings: c.pings, Ignored: c.ignored, Ended: c.ended})
	}
	return out
}

// Received returns every non-ping text frame received from user's sockets
// ("" = every user) in arrival order, across all sockets since the last
// Reset, bounded to the last 100000.
func (s *Server) Received(user string) []string {
	s.lockSettled()
	defer s.mu.Unlock()
	if st := s.stats[user]; st != nil {
		return append([]string{}, st.received...)
	}
	return []string{}
}

// MaxSockets is the most sockets user ("" = every user) had open at once
// since the last Reset.
func (s *Server) MaxSockets(user string) int {
	s.lockSettled()
	defer s.mu.Unlock()
	if st := s.stats[user]; st != nil {
		return st.maxOpen
	}
	return 0
}

// TooMany is the number of user's sockets ("" = every user) the limit of
// sockets per user closed with 4002 since the last Reset.
func (s *Server) TooMany(user string) int {
	s.lockSettled()
	defer s.mu.Unlock()
	if st := s.stats[user]; st != nil {
		return st.tooMany
	}
	return 0
}

// Upgrades is the number of accepted upgrades for user ("" = every user)
// since the last Reset.
func (s *Server) Upgrades(user string) int {
	s.lockSettled()
	defer s.mu.Unlock()
	if st := s.stats[user]; st != nil {
		return st.upgrades
	}
	return 0
}
