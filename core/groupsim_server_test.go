//go:build !js

package core_test

import (
	"strconv"
	"strings"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// simServer is the KissJS server and the network between it and the tabs'
// real sockets: it accepts an upgrade whose token is valid (a refused one is
// a 1006 with no reason, as browsers report it), answers "ping" with
// "pong", records every message and echoes it to each socket of the user
// (the sender's first), pushes, closes (4002, 4003, 1001) and drops sockets,
// checks and refreshes tokens. Each direction of a socket is in order; what
// the server never read when a socket dropped is what the browser would
// still buffer (the socket's Unsent).
type simServer struct {
	w        *simWorld
	tokens   map[string]*simToken
	refresh  string // the profile's refresh token (one use)
	token    string // the profile's token: what every tab reads
	user     string
	refusing bool
	socks    []*simSock // open at the server
	nextTok  int
	nextSock int
	frames   int // server frames sent (pushes and echoes), by id
}

type simToken struct {
	user  string
	state int // 0 valid, 1 expired, 2 revoked
}

const (
	tokValid = iota
	tokExpired
	tokRevoked
)

// simSock is one real socket, from the tab's side and the server's.
type simSock struct {
	id       int
	t        *simTab
	conn     core.ConnID
	session  string // the user it was opened as
	atServer bool   // open at the server (it reads and writes)
	gone     bool   // the server closed or dropped it: what it reads now is lost
	byServer bool   // the server closed it cleanly (4002, 4003, 1001)
	open     bool   // the tab saw it open
	closed   bool   // the tab saw it closed (or aborted it)
	closing  bool   // the tab closed it
	reported bool   // the tab heard its close
	upLast   time.Duration
	downLast time.Duration
	inflight []upFrame // written by the tab, not yet read by the server
	early    [][]byte  // received before the client's open sequence was done
}

type upFrame struct {
	data  []byte
	owner string // "" the tab's own client, else the follower it wrote for
}

func (s *simServer) init() {
	s.tokens = map[string]*simToken{}
	s.login("alice")
}

// login makes user the profile's session with a new token.
func (s *simServer) login(user string) {
	s.nextTok++
	s.token = "T" + strconv.Itoa(s.nextTok)
	s.refresh = "R" + strconv.Itoa(s.nextTok)
	s.user = user
	s.tokens[s.token] = &simToken{user: user}
}

func (s *simServer) session() string { return "user:" + s.user }

func (s *simServer) up(k *simSock) time.Duration {
	k.upLast = max(k.upLast, s.w.now+s.w.lat(100*time.Microsecond, 2*time.Millisecond))
	return k.upLast
}

func (s *simServer) down(k *simSock) time.Duration {
	k.downLast = max(k.downLast, s.w.now+s.w.lat(100*time.Microsecond, 2*time.Millisecond))
	return k.downLast
}

// connect starts the real socket conn of tab t to url.
func (s *simServer) connect(t *simTab, conn core.ConnID, url string) *simSock {
	s.nextSock++
	k := &simSock{id: s.nextSock, t: t, conn: conn}
	token := url[strings.LastIndex(url, "token=")+len("token="):]
	s.w.after(s.w.lat(500*time.Microsecond, 5*time.Millisecond), func() {
		if k.closed {
			return // aborted while connecting
		}
		tok := s.tokens[token]
		if s.refusing || tok == nil || tok.state != tokValid {
			s.w.logf("server: refused %s's socket %d", t.id, k.id)
			k.closed = true
			s.toTab(k, func() { t.socketClosed(k, core.CloseError{Code: core.CodeAbnormal}) })
			return
		}
		k.atServer, k.session = true, "user:"+tok.user
		s.socks = append(s.socks, k)
		s.w.led.socketOpened(k)
		s.w.logf("server: socket %d open for %s (%s)", k.id, t.id, k.session)
		at := s.down(k)
		s.w.push(simEv{at: at, fn: func() {
			if !k.closed {
				t.task(func() { t.socketOpen(k) })
			}
		}})
	})
	return k
}

// toTab delivers fn to the tab after the socket's frames before it.
func (s *simServer) toTab(k *simSock, fn func()) {
	at := s.down(k)
	s.w.push(simEv{at: at, fn: func() { k.t.task(fn) }})
}

// write is the tab writing frames on its socket.
func (s *simServer) write(k *simSock, frames [][]byte, owner string) {
	for _, f := range frames {
		k.inflight = append(k.inflight, upFrame{data: f, owner: owner})
		at := s.up(k)
		s.w.push(simEv{at: at, fn: func() { s.read(k) }})
	}
}

// read is the server reading the socket's oldest frame in flight.
func (s *simServer) read(k *simSock) {
	if !k.atServer || len(k.inflight) == 0 {
		if k.byServer && len(k.inflight) > 0 {
			// after its own close frame the server reads nothing more
			s.w.led.lostAtServerClose(k.inflight[0].data)
			k.inflight = k.inflight[1:]
		}
		return // dropped: it stays unsent, the tab reclaims it
	}
	f := k.inflight[0]
	k.inflight = k.inflight[1:]
	if string(f.data) == "ping" {
		s.send(k, []byte("pong"))
		return
	}
	s.w.led.received(k, f.data)
	// The echo carries the server's own order (KissJS's echoes the frame
	// as is: this double numbers it, so tabs can be checked).
	s.frames++
	s.w.led.overlap[s.frames] = s.openCount() > 1
	echo := append(append(f.data[:len(f.data)-1:len(f.data)-1], `,"s":`...), strconv.Itoa(s.frames)+"}"...)
	s.send(k, echo) // the sender's echo first, as KissJS's server
	for _, o := range s.socks {
		if o != k && o.session == k.session {
			s.send(o, echo)
		}
	}
}

// send writes a server frame to the socket's tab.
func (s *simServer) send(k *simSock, data []byte) {
	if k.atServer {
		s.toTab(k, func() { k.t.socketFrame(k, data) })
	}
}

// push writes a numbered frame to every socket of the profile's user and
// returns its number.
func (s *simServer) push() int {
	s.frames++
	s.w.led.overlap[s.frames] = s.openCount() > 1
	data := []byte(`{"channel":"p","s":` + strconv.Itoa(s.frames) + `}`)
	for _, k := range s.socks {
		if k.session == s.session() {
			s.send(k, data)
		}
	}
	return s.frames
}

// closeAll closes every socket of the user with code (4002, 4003, 1001):
// a clean close from the server, which reads nothing after it.
func (s *simServer) closeAll(code int, reason string) {
	for _, k := range s.socks {
		k.atServer, k.byServer = false, true
		s.w.led.socketEnded(k)
		ce := core.CloseError{Code: code, Reason: reason, WasClean: true}
		s.toTab(k, func() { k.t.socketClosed(k, ce) })
		// what it still had in flight is lost when it arrives
	}
	s.socks = s.socks[:0]
}

// dropAll drops every socket at once (the network or the server failed):
// the tabs see 1006, and what the server never read stays unsent.
func (s *simServer) dropAll() {
	for _, k := range s.socks {
		s.drop(k)
	}
	s.socks = s.socks[:0]
}

func (s *simServer) drop(k *simSock) {
	k.atServer = false
	s.w.led.socketEnded(k)
	s.toTab(k, func() { k.t.socketClosed(k, core.CloseError{Code: core.CodeAbnormal}) })
}

func (s *simServer) unregister(k *simSock) {
	for i, o := range s.socks {
		if o == k {
			s.socks = append(s.socks[:i], s.socks[i+1:]...)
			return
		}
	}
}

// clientClose is the tab closing its socket: what it wrote goes first,
// then the close frame, which the server echoes.
func (s *simServer) clientClose(k *simSock, code int, reason string) {
	if k.closed || k.closing {
		return
	}
	if !k.open && !k.atServer {
		// still connecting: the handshake is abandoned
		k.closed = true
		s.w.after(0, func() { k.t.task(func() { k.t.socketClosed(k, core.CloseError{Code: core.CodeAbnormal}) }) })
		return
	}
	k.closing = true
	at := s.up(k)
	s.w.push(simEv{at: at, fn: func() {
		if !k.atServer {
			return // the server had ended it first: that close reaches the tab
		}
		k.atServer = false
		s.unregister(k)
		s.w.led.socketEnded(k)
		ce := core.CloseError{Code: code, Reason: reason, WasClean: true}
		s.toTab(k, func() { k.t.socketClosed(k, ce) })
	}})
}

// crashed: the tab's renderer is gone; its socket ends with it, when the
// browser notices.
func (s *simServer) crashed(k *simSock) {
	if k.atServer {
		k.atServer = false
		s.unregister(k)
		s.w.led.socketEnded(k)
	}
	k.closed = true
}

// check is the token check (CheckToken): the profile's token as
// kiss.session.checkTokenValidity sends it; an expired one is refreshed
// with the profile's one-use refresh token.
func (s *simServer) check() core.TokenStatus {
	tok := s.tokens[s.token]
	switch {
	case tok == nil || tok.state == tokRevoked:
		return core.TokenUnusable
	case tok.state == tokValid:
		return core.TokenValid
	case s.refresh == "":
		return core.TokenUnusable // the refresh token was spent by another tab
	}
	s.refresh = ""
	user := tok.user
	s.nextTok++
	s.token = "T" + strconv.Itoa(s.nextTok)
	s.refresh = "R" + strconv.Itoa(s.nextTok)
	s.tokens[s.token] = &simToken{user: user}
	s.w.logf("server: token refreshed")
	return core.TokenRefreshed
}

// openCount is the sockets open at the server for the profile's user.
func (s *simServer) openCount() int {
	n := 0
	for _, k := range s.socks {
		if k.session == s.session() {
			n++
		}
	}
	return n
}
