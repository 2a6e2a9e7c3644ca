package core

import "time"

// The internals the tests in package core_test reach, as coder/websocket
// does: the exported API stays what a Go program using the client needs.

type (
	Pulse  = heartbeat
	Outbox = outbox
	Action = action
)

var (
	StartPulse  = startHeartbeat
	NewOutbox   = newOutbox
	Decide      = decide
	EscapeQuery = escapeQuery
)

const (
	ActionReconnect  = actionReconnect
	ActionCheckToken = actionCheckToken
	ActionServerGone = actionServerGone
	ActionLost       = actionLost
	ActionClosed     = actionClosed
)

var PowInt = powInt

// FireLate makes p's pending tick look d late when it fires, as a frozen
// page's or a sleeping machine's would be (synctest's timers are never late).
func FireLate(p *heartbeat, d time.Duration) {
	p.mu.Lock()
	p.due -= d
	p.mu.Unlock()
}
