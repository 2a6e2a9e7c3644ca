package core

import (
	"math"
	"strconv"
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

// origin says whose a field is. KissJS validates nothing and its own callers
// (kiss.session.restore, login, the token refresh) pass what localStorage
// gives back (strings, null) and swallow a rejected init: for KissJS's
// fields Decode takes what KissJS would run and falls back to the default,
// with a warning, where a value cannot mean anything. Only the fields we
// added, which no KissJS caller passes, reject.
type origin bool

const (
	kissJS origin = true  // lenient: never rejects
	ours   origin = false // strict: a bad value is a *ConfigError
)

// field is one key of init(config). The table below is the one source of
// truth for them: the keys the browser reads (ConfigKeys), the defaults
// (Defaults), decoding (Decode) and range checks (Validate).
type field struct {
	name string // "reconnection.delay": section, then key
	by   origin
	kind fieldKind
	ptr  func(c *Config) any // the field in c; nil for hooks
	def  any                 // KissJS's default, or ours where KissJS has none
	ok   func(c Config) bool // the range check of this field alone
	msg  string              // what ok wants, for the error or warning
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
	{"socketUrl", kissJS, kindString, func(c *Config) any { return &c.SocketURL }, "",
		func(c Config) bool { return validSocketURL(c.SocketURL) }, "must be a ws:, wss:, http: or https: URL"},
	{"port", kissJS, kindInt, func(c *Config) any { return &c.Port }, 80,
		func(c Config) bool { return between(c.Port, 1, 65535) }, msgPort},
	{"sslPort", kissJS, kindInt, func(c *Config) any { return &c.SSLPort }, 443,
		func(c Config) bool { return between(c.SSLPort, 1, 65535) }, msgPort},
	{"connectTimeout", ours, kindMs, func(c *Config) any { return &c.ConnectTimeout }, 20 * time.Second,
		func(c Config) bool { return between(c.ConnectTimeout, 0, maxTimer) }, "must be a number of ms from 0 (none) to 2147483647"},
	{"shared", ours, kindBool, func(c *Config) any { return &c.Shared }, false, nil, "must be true or false"},
	{"onopen", kissJS, kindHook, nil, nil, nil, "must be a function"},
	{"onmessage", kissJS, kindHook, nil, nil, nil, "must be a function"},
	{"onclose", kissJS, kindHook, nil, nil, nil, "must be a function"},

	{"reconnection.enabled", kissJS, kindBool, func(c *Config) any { return &c.Reconnection.Enabled }, true, nil, "must be true or false"},
	{"reconnection.delay", kissJS, kindMs, func(c *Config) any { return &c.Reconnection.Delay }, 5 * time.Second,
		func(c Config) bool { return between(c.Reconnection.Delay, 0, maxTimer) }, msgMs},
	{"reconnection.delta", kissJS, kindFloat, func(c *Config) any { return &c.Reconnection.Delta }, 2.0,
		func(c Config) bool { return between(c.Reconnection.Delta, 0, 1e6) }, "must be a number from 0 to 1000000"},
	{"reconnection.maxAttempts", kissJS, kindCount, func(c *Config) any { return &c.Reconnection.MaxAttempts }, 10,
		func(c Config) bool { return c.Reconnection.MaxAttempts >= 0 }, "must be a number >= 0 or Infinity"},
	{"reconnection.factor", ours, kindFloat, func(c *Config) any { return &c.Reconnection.Factor }, 1.0,
		func(c Config) bool { return between(c.Reconnection.Factor, 1, 1e6) }, "must be a finite number >= 1"},
	{"reconnection.maxDelay", ours, kindMs, func(c *Config) any { return &c.Reconnection.MaxDelay }, time.Duration(0),
		func(c Config) bool { return between(c.Reconnection.MaxDelay, 0, maxTimer) }, "must be a number of ms from 0 (no cap) to 2147483647"},

	{"heartbeat.enabled", kissJS, kindBool, func(c *Config) any { return &c.Heartbeat.Enabled }, true, nil, "must be true or false"},
	{"heartbeat.delay", kissJS, kindMs, func(c *Config) any { return &c.Heartbeat.Delay }, 10 * time.Second,
		func(c Config) bool { return c.Heartbeat.Delay > 0 && c.Heartbeat.Delay <= maxTimer }, "must be a number of ms above 0, at most 2147483647"},
	// No rule ties the timeout to the delay: KissJS runs a delay of 60000
	// with the default 35000 fine (a ping arms the timeout, its pong clears
	// it, and the next ping arms it again), and so does heartbeat.go.
	{"heartbeat.timeout", kissJS, kindMs, func(c *Config) any { return &c.Heartbeat.Timeout }, 35 * time.Second,
		func(c Config) bool { return c.Heartbeat.Timeout > 0 && c.Heartbeat.Timeout <= maxTimer }, "must be a number of ms above 0, at most 2147483647"},

	{"outbox.maxMessages", ours, kindInt, func(c *Config) any { return &c.Outbox.MaxMessages }, 1000,
		func(c Config) bool { return c.Outbox.MaxMessages >= 0 }, "must be an integer >= 0"},
	{"outbox.maxBytes", ours, kindInt, func(c *Config) any { return &c.Outbox.MaxBytes }, 1 << 20,
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
		f.reset(&c)
	}
	return c
}

// reset puts f's default in c.
func (f field) reset(c *Config) {
	if f.ptr == nil {
		return
	}
	switch p := f.ptr(c).(type) {
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

// Validate reports the first field that cannot work, as a *ConfigError. It
// checks a Config a Go program builds by hand; Decode never returns one that
// fails it.
func (c Config) Validate() error {
	for _, f := range fields {
		if f.ok != nil && !f.ok(c) {
			return &ConfigError{Field: f.name, Msg: f.msg}
		}
	}
	return nil
}

// Decode reads a config shaped like a JavaScript object (float64, bool,
// string, nil for null/undefined, map[string]any, Opaque) over Defaults().
// Missing, null and undefined fields keep their default, as KissJS's
// destructuring defaults do; unknown fields are ignored.
//
// KissJS's fields never fail: "" means the default too, a string of digits
// ("8080", " 5000 ") is that number, and a value that cannot mean anything
// (NaN, a negative delay, an object for a number, port 70000, a section that
// is not an object, a hook that is not a function, a bad socketUrl) keeps the
// default, with one line in Config.Warnings naming the field and the value.
// An enabled flag that is not a boolean counts as JavaScript counts it, as
// KissJS does: a number is true unless 0 or NaN, and any other value is true,
// with a warning. Our own fields (connectTimeout, shared, outbox.*,
// reconnection.factor and .maxDelay) reject a bad value with a *ConfigError.
// Neither ever prints a string's content: a misplaced token must not end up
// in a log.
func Decode(raw map[string]any) (Config, error) {
	c := Defaults()
	var warnings []string
	sections := map[string]map[string]any{"": raw}
	for _, f := range fields {
		section, key := f.sectionKey()
		m, seen := sections[section]
		if !seen {
			switch v := raw[section].(type) {
			case nil:
			case map[string]any:
				m = v
			default:
				if !sectionIsKissJS(section) {
					return c, &ConfigError{Field: section, Msg: "must be an object (got " + describe(v) + ")"}
				}
				if !blank(v) {
					warnings = append(warnings, "kiss.websocket: init: "+section+" should be an object (got "+describe(v)+"); using the defaults of "+section+".*")
				}
			}
			sections[section] = m
		}
		v := m[key]
		if v == nil {
			continue
		}
		if f.by == ours {
			if !f.set(&c, v) || (f.ok != nil && !f.ok(c)) {
				return c, &ConfigError{Field: f.name, Msg: f.msg + " (got " + describe(v) + ")"}
			}
			continue
		}
		if w := f.lenient(&c, v); w != "" {
			warnings = append(warnings, w)
		}
	}
	c.NamedPorts = given(raw, "port") || given(raw, "sslPort")
	c.Warnings = warnings
	return c, c.Validate()
}

// sectionIsKissJS reports whether a section holds any of KissJS's fields
// (reconnection, heartbeat), which makes a bad section a warning.
func sectionIsKissJS(section string) bool {
	for _, f := range fields {
		if s, _ := f.sectionKey(); s == section && f.by == kissJS {
			return true
		}
	}
	return false
}

// given reports whether raw names a port KissJS's rules keep: a port that
// fell back to its default does not count, nor does null or "".
func given(raw map[string]any, key string) bool {
	v := raw[key]
	if s, ok := v.(string); ok {
		v, _ = decimal(s)
	}
	n, ok := v.(float64)
	return ok && n == math.Trunc(n) && between(n, 1, 65535)
}

// blank is how a KissJS caller says "not set": "" (or only spaces), as
// well as null and undefined, which arrive as nil.
func blank(v any) bool {
	s, ok := v.(string)
	return v == nil || ok && trimSpace(s) == ""
}

// lenient sets one of KissJS's fields from v, or leaves its default there;
// it returns the warning to print, or "".
func (f field) lenient(c *Config, v any) string {
	if blank(v) {
		return ""
	}
	orig := v
	if s, ok := v.(string); ok && f.kind != kindString && f.kind != kindHook && f.kind != kindBool {
		if n, ok := decimal(s); ok {
			v = n // an enabled flag keeps "0": JavaScript counts it as true
		}
	}
	if n, ok := v.(float64); ok && f.kind == kindBool {
		*f.ptr(c).(*bool) = n != 0 && !math.IsNaN(n) // JavaScript's truthiness
		return ""
	}
	if n, ok := v.(float64); ok && f.kind == kindCount && n >= 0 && !math.IsInf(n, 0) {
		v = math.Floor(n) // KissJS compares attempt <= maxAttempts: 2.5 allows 2
	}
	if f.set(c, v) && (f.ok == nil || f.ok(*c)) {
		return ""
	}
	f.reset(c)
	got := describe(orig)
	if f.kind == kindString {
		got = describeSecret(orig) // a socketUrl may carry a token
	}
	want, _ := strings.CutPrefix(f.msg, "must be ")
	return "kiss.websocket: init: " + f.name + " should be " + want + " (got " + got + "); " + f.fallback()
}

// fallback says what a warned field does instead.
func (f field) fallback() string {
	switch f.kind {
	case kindHook:
		return "ignored"
	case kindString:
		return "using the default URL"
	case kindBool:
		if f.def == true {
			return "taken as true, as JavaScript (and so KissJS) takes it"
		}
		return "using the default, false"
	}
	var d string
	switch def := f.def.(type) {
	case int:
		d = strconv.Itoa(def)
	case float64:
		d = strconv.FormatFloat(def, 'g', -1, 64)
	case time.Duration:
		d = strconv.FormatInt(def.Milliseconds(), 10)
	}
	return "using the default, " + d
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
		if f.kind == kindCount && n >= 1<<53 { // Infinity, or as good as
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
