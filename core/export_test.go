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

// StrictFields are the config fields only Go may accept or reject (ours),
// as paths: a section when every field of it is ours.
func StrictFields() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		if f.by != ours {
			continue
		}
		section, _ := f.sectionKey()
		name := f.name
		if section != "" && !sectionIsKissJS(section) {
			name = section
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
