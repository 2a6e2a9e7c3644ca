package core

import (
	"math"
	"strings"
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
	// NamedPorts is set by Decode when init(config) names port or sslPort:
	// the default URL is then built from them rather than taken from
	// kiss.session.getWebsocketHost().
	NamedPorts   bool
	Reconnection Reconnection
	Heartbeat    Heartbeat
	// ConnectTimeout abandons a handshake that hangs; 0 waits for the browser.
	ConnectTimeout time.Duration
	Outbox         OutboxLimits
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

// maxTimer is the longest delay a browser timer honours (2^31-1 ms); a longer
// setTimeout fires at once, so we refuse it instead.
const maxTimer = 2147483647 * time.Millisecond

// Defaults returns KissJS's configuration plus our safe additions.
func Defaults() Config {
	return Config{
		Port:    80,
		SSLPort: 443,
		Reconnection: Reconnection{
			Enabled: true, Delay: 5 * time.Second, Delta: 2, MaxAttempts: 10, Factor: 1,
		},
		Heartbeat:      Heartbeat{Enabled: true, Delay: 10 * time.Second, Timeout: 35 * time.Second},
		ConnectTimeout: 20 * time.Second,
		Outbox:         OutboxLimits{MaxMessages: 1000, MaxBytes: 1 << 20},
	}
}

// Validate reports the first field that cannot work, as a *ConfigError.
func (c Config) Validate() error {
	r, h := c.Reconnection, c.Heartbeat
	checks := []struct {
		ok    bool
		field string
		msg   string
	}{
		{validSocketURL(c.SocketURL), "socketUrl", "must be a ws:, wss:, http: or https: URL"},
		{c.Port >= 1 && c.Port <= 65535, "port", "must be an integer from 1 to 65535"},
		{c.SSLPort >= 1 && c.SSLPort <= 65535, "sslPort", "must be an integer from 1 to 65535"},
		{r.Delay >= 0 && r.Delay <= maxTimer, "reconnection.delay", "must be a number of ms from 0 to 2147483647"},
		{r.Delta >= 0 && r.Delta <= 1e6 && !math.IsNaN(r.Delta), "reconnection.delta", "must be a finite number >= 0"},
		{r.MaxAttempts >= 0, "reconnection.maxAttempts", "must be an integer >= 0 or Infinity"},
		{r.Factor >= 1 && r.Factor <= 1e6, "reconnection.factor", "must be a finite number >= 1"},
		{r.MaxDelay >= 0 && r.MaxDelay <= maxTimer, "reconnection.maxDelay", "must be a number of ms from 0 (no cap) to 2147483647"},
		{h.Delay > 0 && h.Delay <= maxTimer, "heartbeat.delay", "must be a number of ms from 1 to 2147483647"},
		{!h.Enabled || (h.Timeout > h.Delay && h.Timeout <= maxTimer), "heartbeat.timeout", "must be larger than heartbeat.delay and at most 2147483647 ms"},
		{c.ConnectTimeout >= 0 && c.ConnectTimeout <= maxTimer, "connectTimeout", "must be a number of ms from 0 (none) to 2147483647"},
		{c.Outbox.MaxMessages >= 0, "outbox.maxMessages", "must be an integer >= 0"},
		{c.Outbox.MaxBytes >= 0, "outbox.maxBytes", "must be an integer >= 0"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return &ConfigError{Field: ch.field, Msg: ch.msg}
		}
	}
	return nil
}

// validSocketURL accepts what new WebSocket() accepts with a host: ws:,
// wss:, http: and https: URLs (net/url is left out of the wasm build).
func validSocketURL(s string) bool {
	if s == "" {
		return true
	}
	_, _, ok := SplitURL(s)
	return ok && !strings.ContainsAny(s, " \t\r\n")
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
