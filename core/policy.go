package core

import (
	"math"
	"time"
)

// Close codes with a meaning in the KissJS protocol.
const (
	CodeNormal          = 1000
	CodeGoingAway       = 1001 // server restarting
	CodeAbnormal        = 1006 // no close frame: network loss or refused upgrade
	CodeNotResponding   = 4000 // heartbeat timeout (SERVER_NOT_RESPONDING)
	CodeTooManySockets  = 4002 // too many sockets for this user
	CodeDefinitiveClose = 4003 // close() or the server's definitive close
)

// action is what the client does after a socket closes.
type action int

const (
	// actionReconnect counts a failed attempt and schedules the next one.
	actionReconnect action = iota
	// actionCheckToken asks the token checker first (once per outage, again
	// each TokenRecheck it lasts), then
	// reconnects unless the token is unusable.
	actionCheckToken
	// actionServerGone publishes EVT_SERVER_GONE, then reconnects (KissJS
	// stopped for good, stranding users after every deploy).
	actionServerGone
	// actionLost publishes EVT_CONNECTION_LOST and stops (4002).
	actionLost
	// actionClosed publishes EVT_CONNECTION_CLOSED and stops (4003).
	actionClosed
	// actionHandover reconnects at once, spending no attempt: in shared
	// mode the socket moved to another tab's lead (or to this tab's), a
	// typed call (Handler.HandleHandover, ErrHandover), never a close code.
	actionHandover
)

var actionNames = [...]string{"reconnect", "check-token", "server-gone", "lost", "closed", "handover"}

func (a action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// decide maps a close code and reason to an action, as KissJS does. A 1006
// with an empty reason is how a browser reports a refused upgrade, which may
// mean a bad token.
func decide(code int, reason string) action {
	switch {
	case code == CodeTooManySockets:
		return actionLost
	case code == CodeDefinitiveClose:
		return actionClosed
	case code == CodeGoingAway:
		return actionServerGone
	case code == CodeAbnormal && reason == "":
		return actionCheckToken
	}
	return actionReconnect
}

// NextDelay is the wait before reconnection attempt number attempt (1-based),
// given a uniform random number rnd in [0,1). With Factor 1 and no MaxDelay it
// is KissJS's delay + floor(rnd * (delay*delta + 1)) in milliseconds, which we
// apply to every automatic reconnection, not only after a 1006. Factor grows
// the base exponentially and MaxDelay caps the base; the jitter comes on top.
func (r Reconnection) NextDelay(attempt int, rnd float64) time.Duration {
	base := float64(r.Delay) / float64(time.Millisecond)
	factor := r.Factor
	if factor < 1 {
		factor = 1
	}
	// base > 0: with a 0 delay, factor^(attempt-1) overflowing to +Inf would
	// make the delay NaN, i.e. negative once converted (found by FuzzNextDelay).
	if attempt > 1 && factor > 1 && base > 0 {
		base *= powInt(factor, attempt-1)
	}
	if limit := float64(r.MaxDelay) / float64(time.Millisecond); r.MaxDelay > 0 && base > limit {
		base = limit
	}
	if base > float64(maxTimer/time.Millisecond) || math.IsInf(base, 0) {
		base = float64(maxTimer / time.Millisecond)
	}
	if rnd < 0 || rnd >= 1 || math.IsNaN(rnd) {
		rnd = 0
	}
	ms := base + math.Floor(rnd*(base*r.Delta+1))
	if limit := float64(maxTimer / time.Millisecond); ms > limit {
		ms = limit
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// powInt is x^n for n >= 0 by squaring, instead of math.Pow, whose exp and
// log would be most of NextDelay in the wasm. It may overflow to +Inf, which
// NextDelay caps.
func powInt(x float64, n int) float64 {
	r := 1.0
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
	}
	return r
}
