//go:build !js

package kissserver

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// refusal is the state of RefuseUpgrades and GoAway.
type refusal struct {
	status int       // 0: upgrades accepted
	until  time.Time // zero: until cleared
}

// refusedWith returns the HTTP status to refuse an upgrade with, or 0.
func (s *Server) refusedWith() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return http.StatusServiceUnavailable
	case s.refusal.status == 0:
		return 0
	case !s.refusal.until.IsZero() && !time.Now().Before(s.refusal.until):
		s.refusal = refusal{}
		return 0
	default:
		return s.refusal.status
	}
}

// RefuseUpgrades refuses upgrades with status for d (d <= 0: until cleared
// with status 0). A status outside 200-599 other than 0 becomes 503, since
// net/http cannot send it as a final answer.
func (s *Server) RefuseUpgrades(status int, d time.Duration) {
	if status != 0 && (status < 200 || status > 599) {
		status = http.StatusServiceUnavailable
	}
	r := refusal{status: status}
	if status != 0 && d > 0 {
		r.until = time.Now().Add(d)
	}
	s.mu.Lock()
	s.refusal = r
	s.mu.Unlock()
}

// HoldUpgrades keeps upgrade requests that come while on waiting,
// unanswered, until it is turned off (or the client gives up): the client's
// socket stays CONNECTING for as long as a test needs. Released, they go
// on as usual (refusals and the token check included).
func (s *Server) HoldUpgrades(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.holdCh == nil:
		s.holdCh = make(chan struct{})
	case !on && s.holdCh != nil:
		close(s.holdCh)
		s.holdCh = nil
	}
}

// waitHold returns once upgrades are no longer held, or ctx ends.
func (s *Server) waitHold(ctx context.Context) {
	s.mu.Lock()
	ch := s.holdCh
	if ch != nil {
		s.held++
	}
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.held--
	s.mu.Unlock()
}

// HeldUpgrades is how many upgrade requests HoldUpgrades keeps waiting now.
func (s *Server) HeldUpgrades() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// GoAway plays a graceful restart: upgrades are refused with 503 for d
// (none when d <= 0), then every socket is closed with 1001 "going away".
// Refusing first keeps a fast reconnect from slipping in between.
func (s *Server) GoAway(d time.Duration) {
	if d > 0 {
		s.RefuseUpgrades(http.StatusServiceUnavailable, d)
	}
	s.CloseAll(int(websocket.StatusGoingAway), "going away")
}

// CloseAll closes every open socket with code and reason and returns when
// the close handshakes are done (each bounded by coder/websocket to 5 s per
// direction). An invalid code or a reason over 123 bytes makes
// coder/websocket send 1011 instead.
func (s *Server) CloseAll(code int, reason string) {
	s.shutAll("", func(ws *websocket.Conn) { _ = ws.Close(websocket.StatusCode(code), reason) })
}

// DropAll cuts every socket's TCP connection without a close frame, so the
// client sees 1006 as after a crash or a network cut.
func (s *Server) DropAll() {
	s.shutAll("", func(ws *websocket.Conn) { _ = ws.CloseNow() })
}

// shutAll ends user's open sockets ("" = all) in parallel.
func (s *Server) shutAll(user string, how func(*websocket.Conn)) {
	var wg sync.WaitGroup
	for _, c := range s.openConns(user) {
		wg.Go(func() {
			c.shut(how)
			<-c.gone // so Conns() shows it closed once we return
		})
	}
	wg.Wait()
}

// Stall makes every socket, existing and new, stop reading and stop
// answering "ping" while on: a half-open peer, which only the heartbeat can
// detect.
func (s *Server) Stall(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.stallCh == nil:
		s.stallCh = make(chan struct{})
	case !on && s.stallCh != nil:
		close(s.stallCh)
		s.stallCh = nil
	}
}

// waitStall blocks while stalled; false means c is being closed.
func (s *Server) waitStall(c *conn) bool {
	for {
		s.mu.Lock()
		ch := s.stallCh
		s.mu.Unlock()
		if ch == nil {
			select {
			case <-c.closing:
				return false
			default:
				return true
			}
		}
		select {
		case <-ch:
		case <-c.closing:
			return false
		}
	}
}

// pushMsg is a server-initiated channel message.
type pushMsg struct {
	Channel string `json:"channel"`
	N       int    `json:"n"`
	Data    string `json:"data"`
}

// Push sends n messages {"channel","n":1..n,"data"} to every open socket of
// user ("" = every user) and returns how many sockets got all n.
func (s *Server) Push(user string, n int, channel string) int {
	frames := make([][]byte, 0, max(n, 0))
	for i := 1; i <= n; i++ {
		b, err := json.Marshal(pushMsg{Channel: channel, N: i, Data: "push"})
		if err != nil { // cannot happen for these field types
			return 0
		}
		frames = append(frames, b)
	}
	var reached atomic.Int64
	var wg sync.WaitGroup
	for _, c := range s.openConns(user) {
		wg.Go(func() {
			for _, f := range frames {
				if !s.write(context.Background(), c, f) {
					return
				}
			}
			reached.Add(1)
		})
	}
	wg.Wait()
	return int(reached.Load())
}

// Reset clears the stall, the hold, the refusal, the counters and a limit set by
// SetSocketLimit (back to Options.MaxSocketsPerUser); open sockets stay and
// count as the new baseline for MaxSockets.
func (s *Server) Reset() {
	s.Stall(false)
	s.HoldUpgrades(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusal = refusal{}
	s.limit = max(s.opts.MaxSocketsPerUser, 0)
	s.stats = make(map[string]*userStats)
	kept := s.conns[:0]
	for _, c := range s.conns {
		if !c.open {
			continue
		}
		c.received, c.pings, c.ignored = nil, 0, 0
		for _, st := range s.statsLocked(c.user) {
			st.open++
			st.maxOpen = st.open
		}
		kept = append(kept, c)
	}
	clear(s.conns[len(kept):])
	s.conns = kept
}

// SendRaw writes one frame exactly as given (binary or text) to every open
// socket of user ("" = all), so tests can feed a client malformed frames.
// It returns the sockets reached.
func (s *Server) SendRaw(user string, frame []byte, binary bool) int {
	typ := websocket.MessageText
	if binary {
		typ = websocket.MessageBinary
	}
	reached := 0
	for _, c := range s.openConns(user) {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		if c.ws.Write(ctx, typ, frame) == nil {
			reached++
		}
		cancel()
	}
	return reached
}
