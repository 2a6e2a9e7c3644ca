package core

import (
	"time"
)

// Config is what kiss.websocket.init(config) accepts. Defaults() returns
// KissJS's values field for field; the fields KissJS does not have are ours and
// default to behaviour that KissJS users would not notice (factor 1, no cap) or
// that only protects them (connect timeout, bounded outbox).
type Config struct {
	// SocketURL replaces the default URL. The token is appended, URL-encoded,
	// only when it ends with "token=" (KissJS glued it onto any URL).
	SocketURL string
	// Port and SSLPort are used for the default URL when the host names no
	// port (KissJS ignored both).
	Port, SSLPort int
	// NamedPorts is set by Decode when init(config) names port or sslPort
	// with a usable value (a number or a string of digits): the default URL
	// is then built from them rather than taken from
	// kiss.session.getWebsocketHost().
	NamedPorts bool
	// Warnings, set by Decode, say which of KissJS's fields held a value that
	// cannot mean anything and kept its default, one line per field. Start
	// logs each once through Options.Log (in the browser, the console);
	// Validate ignores them.
	Warnings     []string
	Reconnection Reconnection
	Heartbeat    Heartbeat
	// ConnectTimeout abandons a handshake that hangs; 0 waits for the browser.
	ConnectTimeout time.Duration
	Outbox         OutboxLimits
	// Shared asks for one socket for every tab of the browser profile (the
	// loader's data-shared attribute asks too). The browser acts on it; core
	// only validates it: each tab's client sees its tab's socket or stand-in.
	Shared bool
}

// Reconnection is the automatic reconnection policy.
type Reconnection struct {
	Enabled bool          // true
	Delay   time.Duration // 5s: the wait before each attempt
	Delta   float64       // 2: jitter is uniform in [0, Delay*Delta]
	// MaxAttempts failed attempts in a row end in EVT_CONNECTION_LOST (10).
	// Unlimited is math.MaxInt (Infinity from JavaScript).
	MaxAttempts int
	Factor      float64       // 1: the base delay is Delay*Factor^(attempt-1)
	MaxDelay    time.Duration // 0: no cap; otherwise caps the base delay
}

// Heartbeat sends the text frame "ping" every Delay and gives up on the socket
// when no "pong" came Timeout after the first unanswered ping.
type Heartbeat struct {
	Enabled bool          // true
	Delay   time.Duration // 10s
	Timeout time.Duration // 35s
}

// OutboxLimits bound what send() queues while the socket is not open.
type OutboxLimits struct {
	MaxMessages int // 1000
	MaxBytes    int // 1 MiB
}

// validSocketURL accepts what new WebSocket() accepts with a host: ws:,
// wss:, http: and https: URLs (net/url is left out of the wasm build).
func validSocketURL(s string) bool {
	if s == "" {
		return true
	}
	_, _, ok := SplitURL(s)
	for i := 0; i < len(s); i++ { // a loop: strings.ContainsAny links the Unicode path
		if c := s[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			return false
		}
	}
	return ok
}

// ConfigError names the config field that is wrong; the browser build throws
// it as a TypeError.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string {
	return "kiss.websocket.init: " + e.Field + " " + e.Msg
}
