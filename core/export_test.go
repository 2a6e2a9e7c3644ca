package core

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
