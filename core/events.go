package core

import "time"

// EventKind names what the client reports; the browser build publishes each
// kind under its KissJS pubsub name (String).
type EventKind int

const (
	EventConnected EventKind = iota
	EventReconnected
	EventDisconnected
	EventReconnecting
	EventConnectionLost
	EventConnectionClosed
	EventUnusableToken
	EventServerGone
	// EventMessage carries one JSON message from the server.
	EventMessage
	// EventClose is every socket close, for the onclose hook; the EVT_ event
	// that follows says what the client does about it.
	EventClose
)

var eventNames = [...]string{
	"EVT_CONNECTED", "EVT_RECONNECTED", "EVT_DISCONNECTED", "EVT_RECONNECTING",
	"EVT_CONNECTION_LOST", "EVT_CONNECTION_CLOSED", "EVT_UNUSABLE_TOKEN", "EVT_SERVER_GONE",
	"message", "close",
}

func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one report of the client.
type Event struct {
	Kind EventKind
	// Close is the close that caused Close, Disconnected, ServerGone,
	// ConnectionLost, ConnectionClosed and UnusableToken (nil if none).
	Close *CloseError
	// Attempt and Delay describe a Reconnecting event: the count of failed
	// attempts so far and the wait that preceded this attempt.
	Attempt int
	Delay   time.Duration
	// Result tells how the attempt of a Reconnecting event ends.
	Result <-chan Result
	// Channel (the top-level "channel" string, unescaped as JSON.parse reads
	// it; nil when there is none) and Data (the frame as it came) describe a
	// Message; both are only valid during the callback.
	Channel []byte
	Data    []byte
}

// Result is how one connection attempt ended, as KissJS's init() resolves.
type Result int

const (
	ResultIgnored Result = iota // undefined: a socket was already there
	ResultOpened                // true
	ResultFailed                // false: closed before it opened
)

var resultNames = [...]string{"ignored", "opened", "failed"}

func (r Result) String() string {
	if r >= 0 && int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// TokenStatus is the answer of a token check.
type TokenStatus int

const (
	// TokenUnknown: the check itself failed (network error); keep trying.
	TokenUnknown TokenStatus = iota
	// TokenValid: the token is fine; the outage is the network's.
	TokenValid
	// TokenRefreshed: it had expired and the checker got a new one.
	TokenRefreshed
	// TokenUnusable: an explicit 401; stop and report EVT_UNUSABLE_TOKEN.
	TokenUnusable
)
