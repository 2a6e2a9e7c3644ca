package core

import (
	"math"
	"strings"
	"time"
)

// fieldKind is how init(config) gives a field, in JavaScript terms.
type fieldKind int

const (
	kindString fieldKind = iota
	kindBool
	kindMs    // a number of ms, as a time.Duration
	kindFloat // a finite number
	kindInt   // a whole number
	kindCount // a whole number, or Infinity (math.MaxInt)
	kindHook  // a function: the browser calls it, core only checks it is one
)

// field is one key of init(config). The table below is the one source of
// truth for them: the keys the browser reads (ConfigKeys), the defaults
// (Defaults), decoding (Decode) and range checks (Validate).
type field struct {
	name string // "reconnection.delay": section, then key
	kind fieldKind
	ptr  func(c *Config) any // the field in c; nil for hooks
	def  any                 // KissJS's default, or ours where KissJS has none
	ok   func(c Config) bool // the range check, on the whole config
	msg  string              // what ok wants, for the error
}

func between[T int | float64 | time.Duration](v, lo, hi T) bool { return v >= lo && v <= hi }

// maxTimer is the longest delay a browser timer honours (2^31-1 ms); a longer
// setTimeout fires at once, so we refuse it instead.
const maxTimer = 2147483647 * time.Millisecond

const (
	msgMs   = "must be a number of ms from 0 to 2147483647"
	msgPort = "must be an integer from 1 to 65535"
)

var fields = []field{
	{"socketUrl", kindString, func(c *Config) any { return &c.SocketURL }, "",
		func(c Config) bool { return validSocketURL(c.SocketURL) }, "must be a ws:, wss:, http: or https: URL"},
	{"port", kindInt, func(c *Config) any { return &c.Port }, 80,
		func(c Config) bool { return between(c.Port, 1, 65535) }, msgPort},
	{"sslPort", kindInt, func(c *Config) any { return &c.SSLPort }, 443,
		func(c Config) bool { return between(c.SSLPort, 1, 65535) }, msgPort},
	{"connectTimeout", kindMs, func(c *Config) any { return &c.ConnectTimeout }, 20 * time.Second,
		func(c Config) bool { return between(c.ConnectTimeout, 0, maxTimer) }, "must be a number of ms from 0 (none) to 2147483647"},
	{"shared", kindBool, func(c *Config) any { return &c.Shared }, false, nil, "must be true or false"},
	{"onopen", kindHook, nil, nil, nil, "must be a function"},
	{"onmessage", kindHook, nil, nil, nil, "must be a function"},
	{"onclose", kindHook, nil, nil, nil, "must be a function"},

	{"reconnection.enabled", kindBool, func(c *Config) any { return &c.Reconnection.Enabled }, true, nil, "must be true or false"},
	{"reconnection.delay", kindMs, func(c *Config) any { return &c.Reconnection.Delay }, 5 * time.Second,
		func(c Config) bool { return between(c.Reconnection.Delay, 0, maxTimer) }, msgMs},
	{"reconnection.delta", kindFloat, func(c *Config) any { return &c.Reconnection.Delta }, 2.0,
		func(c Config) bool { return between(c.Reconnection.Delta, 0, 1e6) }, "must be a finite number >= 0"},
	{"reconnection.maxAttempts", kindCount, func(c *Config) any { return &c.Reconnection.MaxAttempts }, 10,
		func(c Config) bool { return c.Reconnection.MaxAttempts >= 0 }, "must be an integer >= 0 or Infinity"},
	{"reconnection.factor", kindFloat, func(c *Config) any { return &c.Reconnection.Factor }, 1.0,
		func(c Config) bool { return between(c.Reconnection.Factor, 1, 1e6) }, "must be a finite number >= 1"},
	{"reconnection.maxDelay", kindMs, func(c *Config) any { return &c.Reconnection.MaxDelay }, time.Duration(0),
		func(c Config) bool { return between(c.Reconnection.MaxDelay, 0, maxTimer) }, "must be a number of ms from 0 (no cap) to 2147483647"},

	{"heartbeat.enabled", kindBool, func(c *Config) any { return &c.Heartbeat.Enabled }, true, nil, "must be true or false"},
	{"heartbeat.delay", kindMs, func(c *Config) any { return &c.Heartbeat.Delay }, 10 * time.Second,
		func(c Config) bool { return c.Heartbeat.Delay > 0 && c.Heartbeat.Delay <= maxTimer }, "must be a number of ms above 0, at most 2147483647"},
	{"heartbeat.timeout", kindMs, func(c *Config) any { return &c.Heartbeat.Timeout }, 35 * time.Second,
		func(c Config) bool {
			h := c.Heartbeat
			return !h.Enabled || (h.Timeout > h.Delay && h.Timeout <= maxTimer)
		}, "must be larger than heartbeat.delay and at most 2147483647 ms"},

	{"outbox.maxMessages", kindInt, func(c *Config) any { return &c.Outbox.MaxMessages }, 1000,
		func(c Config) bool { return c.Outbox.MaxMessages >= 0 }, "must be an integer >= 0"},
	{"outbox.maxBytes", kindInt, func(c *Config) any { return &c.Outbox.MaxBytes }, 1 << 20,
		func(c Config) bool { return c.Outbox.MaxBytes >= 0 }, "must be an integer >= 0"},
}

// sectionKey splits "reconnection.delay" into "reconnection" and "delay";
// a top-level field has section "".
func (f field) sectionKey() (section, key string) {
	if s, k, ok := strings.Cut(f.name, "."); ok {
		return s, k
	}
	return "", f.name
}

// ConfigKeys lists, by section ("" for the top level), the keys of
// init(config) that Decode reads: the browser reads exactly these from the
// page's object (no Object.keys: getters and prototype noise stay out).
func ConfigKeys() map[string][]string {
	keys := map[string][]string{}
	for _, f := range fields {
		s, k := f.sectionKey()
		keys[s] = append(keys[s], k)
	}
	return keys
}

// Defaults returns KissJS's configuration plus our safe additions.
func Defaults() Config {
	var c Config
	for _, f := range fields {
		if f.ptr == nil {
			continue
		}
		switch p := f.ptr(&c).(type) {
		case *string:
			*p = f.def.(string)
		case *bool:
			*p = f.def.(bool)
		case *int:
			*p = f.def.(int)
		case *float64:
			*p = f.def.(float64)
		case *time.Duration:
			*p = f.def.(time.Duration)
		}
	}
	return c
}

// Validate reports the first field that cannot work, as a *ConfigError.
func (c Config) Validate() error {
	for _, f := range fields {
		if f.ok != nil && !f.ok(c) {
			return &ConfigError{Field: f.name, Msg: f.msg}
		}
	}
	return nil
}

// Decode reads a config shaped like a JavaScript object (float64, bool,
// string, nil for null/undefined, map[string]any, Opaque) over Defaults(),
// then validates it. Missing, null and undefined fields keep their default,
// as KissJS's destructuring defaults do; unknown fields are ignored. An error
// names the field and what it got (never a string's content).
func Decode(raw map[string]any) (Config, error) {
	c := Defaults()
	for _, f := range fields {
		section, key := f.sectionKey()
		m := raw
		if section != "" {
			switch v := raw[section].(type) {
			case nil:
				continue
			case map[string]any:
				m = v
			default:
				return c, &ConfigError{Field: section, Msg: "must be an object (got " + describe(v) + ")"}
			}
		}
		v := m[key]
		if v == nil {
			continue
		}
		if !f.set(&c, v) || (f.ok != nil && !f.ok(c)) {
			return c, &ConfigError{Field: f.name, Msg: f.msg + " (got " + describe(v) + ")"}
		}
	}
	c.NamedPorts = raw["port"] != nil || raw["sslPort"] != nil
	return c, c.Validate()
}

// set stores v in c's field when v is of the field's kind and representable
// there; the range is ok's matter.
func (f field) set(c *Config, v any) bool {
	if f.kind == kindHook {
		return v == Opaque("function")
	}
	switch p := f.ptr(c).(type) {
	case *string:
		s, ok := v.(string)
		*p = s
		return ok
	case *bool:
		b, ok := v.(bool)
		*p = b
		return ok
	}
	n, ok := v.(float64)
	if !ok || math.IsNaN(n) {
		return false
	}
	switch p := f.ptr(c).(type) {
	case *float64:
		*p = n
		return !math.IsInf(n, 0)
	case *time.Duration:
		if n < 0 || n > float64(maxTimer/time.Millisecond) {
			return false // also keeps the conversion below from overflowing
		}
		*p = time.Duration(n * float64(time.Millisecond))
		return true
	case *int:
		if f.kind == kindCount && math.IsInf(n, 1) {
			*p = math.MaxInt
			return true
		}
		if n != math.Trunc(n) || n < 0 || n > 1<<53 {
			return false
		}
		*p = int(n)
		return true
	}
	return false
}
