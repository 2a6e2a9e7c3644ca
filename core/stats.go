package core

import (
	"sync/atomic"
	"time"
)

// State is where the client is in its life.
type State int

const (
	StateIdle         State = iota // Start never called
	StateConnecting                // a handshake is in progress
	StateOpen                      // the socket is open
	StateClosing                   // Close called, waiting for the handshake
	StateReconnecting              // between attempts (or checking the token)
	StateClosed                    // stopped; Start opens again
)

var stateNames = [...]string{"idle", "connecting", "open", "closing", "reconnecting", "closed"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// ReadyState is the WebSocket.readyState KissJS code compares against: 0
// CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED, and -1 before the first Start
// (undefined in JavaScript).
func (s State) ReadyState() int {
	switch s {
	case StateIdle:
		return -1
	case StateConnecting:
		return 0
	case StateOpen:
		return 1
	case StateClosing:
		return 2
	}
	return 3
}

// Stats is a snapshot of the client. It never holds the token.
type Stats struct {
	State           State
	Attempt         int    // failed attempts in a row
	Attempts        uint64 // connection attempts in total
	LastCloseCode   int
	LastCloseReason string
	LastCloseClean  bool
	RTT             time.Duration // latest heartbeat round trip
	NextDelay       time.Duration // the wait before the pending reconnection
	FramesIn        uint64
	FramesOut       uint64
	BytesIn         uint64
	BytesOut        uint64
	Queued          int    // messages in the outbox
	QueuedBytes     int    //
	Dropped         uint64 // malformed frames from the server
	Refused         uint64 // sends refused because the outbox was full
	Discarded       uint64 // queued messages discarded because the session changed
}

// counters are bumped on the frame path without the client's lock.
type counters struct {
	framesIn, framesOut, bytesIn, bytesOut, dropped atomic.Uint64
}

func (c *counters) out(n int) {
	c.framesOut.Add(1)
	c.bytesOut.Add(uint64(n))
}
