package core_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

func TestDecodeAcceptsWhatKissJSAccepts(t *testing.T) {
	t.Parallel()
	c, err := core.Decode(map[string]any{
		"socketUrl":    "wss://example.test/?token=",
		"reconnection": map[string]any{"delay": 1000.0, "maxAttempts": math.Inf(1), "enabled": nil},
		"heartbeat":    map[string]any{"enabled": false},
		"onopen":       core.Opaque("function"),
		"onclose":      nil,
		"unknown":      "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Reconnection.Delay != time.Second || c.Reconnection.MaxAttempts != math.MaxInt ||
		!c.Reconnection.Enabled || c.Heartbeat.Enabled || c.Reconnection.Delta != 2 {
		t.Fatalf("decoded %+v", c)
	}
	if _, err := core.Decode(nil); err != nil {
		t.Fatalf("init() with no config: %v", err)
	}
}

// raw builds {section: {key: v}} or {key: v} from a field's name.
func raw(name string, v any) map[string]any {
	if s, k, ok := strings.Cut(name, "."); ok {
		return map[string]any{s: map[string]any{k: v}}
	}
	return map[string]any{name: v}
}

// A shape of value a page may give a field, and what Decode must make of it.
type shape struct {
	in    any
	want  any // the field's value after Decode
	warns int // warnings Decode must give (0 or 1)
}

// Every field KissJS has takes what KissJS's callers pass (strings of
// digits, null, "") and never fails: a value that cannot mean anything
// keeps the default with exactly one warning naming the field.
func TestDecodeKissJSFieldsNeverReject(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	obj := map[string]any{}
	fn := core.Opaque("function")
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	get := map[string]func(c core.Config) any{
		"socketUrl":                func(c core.Config) any { return c.SocketURL },
		"port":                     func(c core.Config) any { return c.Port },
		"sslPort":                  func(c core.Config) any { return c.SSLPort },
		"reconnection.enabled":     func(c core.Config) any { return c.Reconnection.Enabled },
		"reconnection.delay":       func(c core.Config) any { return c.Reconnection.Delay },
		"reconnection.delta":       func(c core.Config) any { return c.Reconnection.Delta },
		"reconnection.maxAttempts": func(c core.Config) any { return c.Reconnection.MaxAttempts },
		"heartbeat.enabled":        func(c core.Config) any { return c.Heartbeat.Enabled },
		"heartbeat.delay":          func(c core.Config) any { return c.Heartbeat.Delay },
		"heartbeat.timeout":        func(c core.Config) any { return c.Heartbeat.Timeout },
		"onopen":                   nil, // hooks have no value in Config: only the warning counts
		"onmessage":                nil,
		"onclose":                  nil,
	}
	port := func(def int) []shape {
		return []shape{
			{8080.0, 8080, 0}, {"8080", 8080, 0}, {" 8080 ", 8080, 0}, {"80.0", 80, 0}, {"0080", 80, 0},
			{nil, def, 0}, {"", def, 0}, {"  ", def, 0},
			{nan, def, 1}, {-1.0, def, 1}, {0.0, def, 1}, {70000.0, def, 1}, {"70000", def, 1}, {80.5, def, 1},
			{inf, def, 1}, {"abc", def, 1}, {"-80", def, 1}, {"1e3", def, 1}, {"0x50", def, 1},
			{obj, def, 1}, {true, def, 1}, {fn, def, 1}, {core.Opaque("bigint"), def, 1},
		}
	}
	enabled := []shape{
		{true, true, 0}, {false, false, 0}, {nil, true, 0}, {"", true, 0},
		{0.0, false, 0}, {1.0, true, 0}, {nan, false, 0}, {inf, true, 0}, // JavaScript's truthiness, as KissJS
		{"false", true, 1}, {"0", true, 1}, {obj, true, 1}, {fn, true, 1}, // truthy: true, but say so
	}
	delay := func(def time.Duration, zeroOK bool) []shape {
		zero := shape{0.0, time.Duration(0), 0}
		if !zeroOK {
			zero = shape{0.0, def, 1}
		}
		return []shape{
			{1000.0, time.Second, 0}, {"1000", time.Second, 0}, {" 60000 ", time.Minute, 0}, {"250.5", ms(250.5), 0},
			{2147483647.0, ms(2147483647), 0}, zero,
			{nil, def, 0}, {"", def, 0},
			{nan, def, 1}, {-1.0, def, 1}, {"-1", def, 1}, {inf, def, 1}, {1e300, def, 1}, {2147483648.0, def, 1},
			{obj, def, 1}, {true, def, 1}, {"5s", def, 1}, {core.Opaque("symbol"), def, 1},
		}
	}
	hook := []shape{
		{fn, nil, 0}, {nil, nil, 0}, {"", nil, 0},
		{"x", nil, 1}, {42.0, nil, 1}, {obj, nil, 1}, {true, nil, 1}, {core.Opaque("bigint"), nil, 1},
	}
	cases := map[string][]shape{
		"socketUrl": {
			{"wss://example.test/?token=", "wss://example.test/?token=", 0}, {"WS://h:1/x", "WS://h:1/x", 0},
			{nil, "", 0}, {"", "", 0}, {"   ", "", 0},
			{"ftp://x/", "", 1}, {"example.test", "", 1}, {"ws:///x", "", 1}, {"ws://a b/", "", 1},
			{12.0, "", 1}, {nan, "", 1}, {obj, "", 1}, {fn, "", 1},
		},
		"port":                 port(80),
		"sslPort":              port(443),
		"reconnection.enabled": enabled,
		"reconnection.delay":   delay(5*time.Second, true),
		"reconnection.delta": {
			{3.0, 3.0, 0}, {"3", 3.0, 0}, {"0.5", 0.5, 0}, {0.0, 0.0, 0}, {nil, 2.0, 0}, {"", 2.0, 0},
			{nan, 2.0, 1}, {-1.0, 2.0, 1}, {inf, 2.0, 1}, {math.Inf(-1), 2.0, 1}, {2e6, 2.0, 1}, {obj, 2.0, 1}, {"two", 2.0, 1},
		},
		"reconnection.maxAttempts": {
			{3.0, 3, 0}, {"3", 3, 0}, {0.0, 0, 0}, {inf, math.MaxInt, 0}, {1e300, math.MaxInt, 0},
			{2.5, 2, 0}, {"2.5", 2, 0}, // KissJS compares attempt <= 2.5: two attempts
			{nil, 10, 0}, {"", 10, 0},
			{nan, 10, 1}, {-1.0, 10, 1}, {math.Inf(-1), 10, 1}, {"Infinity", 10, 1}, {obj, 10, 1}, {false, 10, 1},
		},
		"heartbeat.enabled": enabled,
		"heartbeat.delay":   delay(10*time.Second, false),
		"heartbeat.timeout": delay(35*time.Second, false),
		"onopen":            hook,
		"onmessage":         hook,
		"onclose":           hook,
	}
	if len(cases) != len(get) {
		t.Fatalf("%d fields with cases, %d known", len(cases), len(get))
	}
	for name, shapes := range cases {
		read, ok := get[name]
		if !ok {
			t.Fatalf("no reader for %s", name)
		}
		for _, sh := range shapes {
			c, err := core.Decode(raw(name, sh.in))
			if err != nil {
				t.Errorf("%s = %#v: rejected: %v", name, sh.in, err)
				continue
			}
			if read != nil {
				if got := read(c); got != sh.want {
					t.Errorf("%s = %#v: got %v, want %v", name, sh.in, got, sh.want)
				}
			}
			if len(c.Warnings) != sh.warns {
				t.Errorf("%s = %#v: %d warnings %q, want %d", name, sh.in, len(c.Warnings), c.Warnings, sh.warns)
				continue
			}
			for _, w := range c.Warnings {
				if !strings.Contains(w, " "+name+" ") {
					t.Errorf("%s = %#v: the warning %q does not name the field", name, sh.in, w)
				}
			}
			if err := c.Validate(); err != nil {
				t.Errorf("%s = %#v: Decode returned a config Validate refuses: %v", name, sh.in, err)
			}
		}
	}
}

// A section that is no object is read as KissJS's destructuring reads it:
// every field keeps its default, with one warning for the section.
func TestDecodeKissJSSectionNotAnObject(t *testing.T) {
	t.Parallel()
	for _, section := range []string{"reconnection", "heartbeat"} {
		for _, v := range []any{false, true, 0.0, "x", core.Opaque("array"), core.Opaque("function")} {
			c, err := core.Decode(map[string]any{section: v})
			if err != nil {
				t.Errorf("%s = %#v: rejected: %v", section, v, err)
				continue
			}
			d := core.Defaults()
			if c.Reconnection != d.Reconnection || c.Heartbeat != d.Heartbeat {
				t.Errorf("%s = %#v: decoded %+v", section, v, c)
			}
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], " "+section+" ") {
				t.Errorf("%s = %#v: warnings %q, want one naming it", section, v, c.Warnings)
			}
		}
		for _, v := range []any{nil, ""} {
			if c, err := core.Decode(map[string]any{section: v}); err != nil || len(c.Warnings) != 0 {
				t.Errorf("%s = %#v: %v %q, want the defaults silently", section, v, err, c.Warnings)
			}
		}
	}
}

// What kiss.session.restore(), login() and the token refresh pass.
func TestDecodeKissJSCallers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw          map[string]any
		port, ssl    int
		named        bool
		warns        int
		warnsAboutIt string
	}{
		{map[string]any{"port": "80", "sslPort": nil}, 80, 443, true, 0, ""},
		{map[string]any{"port": "8080", "sslPort": "8443"}, 8080, 8443, true, 0, ""},
		{map[string]any{"port": nil, "sslPort": nil}, 80, 443, false, 0, ""}, // nothing stored: getWebsocketHost decides
		{map[string]any{"port": "", "sslPort": ""}, 80, 443, false, 0, ""},
		{map[string]any{"port": "abc"}, 80, 443, false, 1, "port"},
		{map[string]any{"port": "abc", "sslPort": "8443"}, 80, 8443, true, 1, "port"},
	}
	for _, tc := range cases {
		c, err := core.Decode(tc.raw)
		if err != nil {
			t.Errorf("%v: %v", tc.raw, err)
			continue
		}
		if c.Port != tc.port || c.SSLPort != tc.ssl || c.NamedPorts != tc.named || len(c.Warnings) != tc.warns {
			t.Errorf("%v: port %d sslPort %d named %v warnings %q", tc.raw, c.Port, c.SSLPort, c.NamedPorts, c.Warnings)
		}
		if tc.warns == 1 && !strings.Contains(c.Warnings[0], " "+tc.warnsAboutIt+" ") {
			t.Errorf("%v: warning %q", tc.raw, c.Warnings[0])
		}
	}
}

// Several bad KissJS fields: one warning each, in the table's order.
func TestDecodeOneWarningPerField(t *testing.T) {
	t.Parallel()
	c, err := core.Decode(map[string]any{
		"port":         "abc",
		"onopen":       "x",
		"reconnection": map[string]any{"delay": math.NaN(), "delta": "3"},
		"heartbeat":    false,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"port", "onopen", "reconnection.delay", "heartbeat"}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings %q, want one for each of %v", c.Warnings, want)
	}
	for i, w := range c.Warnings {
		if !strings.HasPrefix(w, "kiss.websocket: init: "+want[i]+" ") {
			t.Errorf("warning %d: %q, want it about %s", i, w, want[i])
		}
	}
	if c.Reconnection.Delta != 3 {
		t.Errorf("delta %v", c.Reconnection.Delta)
	}
}

// The fields we added, which no KissJS caller passes, still reject.
func TestDecodeOurFieldsReject(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	cases := []struct {
		name string
		raw  map[string]any
	}{
		{"connectTimeout", raw("connectTimeout", nan)},
		{"connectTimeout", raw("connectTimeout", -5.0)},
		{"connectTimeout", raw("connectTimeout", "5000")},
		{"connectTimeout", raw("connectTimeout", "")},
		{"connectTimeout", raw("connectTimeout", map[string]any{})},
		{"shared", raw("shared", "yes")},
		{"shared", raw("shared", 1.0)},
		{"reconnection.factor", raw("reconnection.factor", 0.5)},
		{"reconnection.factor", raw("reconnection.factor", "2")},
		{"reconnection.maxDelay", raw("reconnection.maxDelay", nan)},
		{"reconnection.maxDelay", raw("reconnection.maxDelay", -1.0)},
		{"outbox", map[string]any{"outbox": core.Opaque("array")}},
		{"outbox", map[string]any{"outbox": 5.0}},
		{"outbox.maxMessages", raw("outbox.maxMessages", 1.5)},
		{"outbox.maxBytes", raw("outbox.maxBytes", 0.5)},
		{"outbox.maxBytes", raw("outbox.maxBytes", "1024")},
	}
	for _, tc := range cases {
		_, err := core.Decode(tc.raw)
		var ce *core.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.name || !strings.Contains(err.Error(), "kiss.websocket.init: "+tc.name+" ") {
			t.Errorf("%v: %v, want a ConfigError naming %s", tc.raw, err, tc.name)
		}
	}
}

// Neither an error nor a warning repeats a string that could be a token;
// a socketUrl, which may carry one, is never echoed at all.
func TestDecodeNeverEchoesStrings(t *testing.T) {
	t.Parallel()
	const secret = "secret-token-value"
	_, err := core.Decode(map[string]any{"connectTimeout": secret})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error must not repeat the string: %v", err)
	}
	c, err := core.Decode(map[string]any{
		"port": secret, "sslPort": "12345678901234567890", "socketUrl": "ws://h/?token=" + secret + " x",
		"reconnection": map[string]any{"enabled": secret},
		"heartbeat":    secret,
		"onclose":      secret,
	})
	if err != nil || len(c.Warnings) != 6 {
		t.Fatalf("%v, warnings %q", err, c.Warnings)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, secret) || strings.Contains(w, "1234567890") {
			t.Errorf("a warning repeats the string: %q", w)
		}
	}
	// a short number-like string is shown: it helps, and no token is one
	if c, _ := core.Decode(map[string]any{"port": "70000"}); len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], `"70000"`) {
		t.Errorf("warnings %q, want the value shown", c.Warnings)
	}
	if c, _ := core.Decode(map[string]any{"socketUrl": "12345"}); len(c.Warnings) != 1 || strings.Contains(c.Warnings[0], "12345") {
		t.Errorf("warnings %q: a socketUrl is never shown", c.Warnings)
	}
}

// KissJS runs a heartbeat whose delay is longer than its timeout (a ping
// arms the timeout, its pong clears it, the next ping arms it again):
// nothing ties the two.
func TestHeartbeatDelayAboveTimeoutIsAccepted(t *testing.T) {
	t.Parallel()
	for _, hb := range []map[string]any{
		{"delay": 60000.0},
		{"delay": 5000.0, "timeout": 1.0},
		{"enabled": false, "delay": 60000.0},
	} {
		c, err := core.Decode(map[string]any{"heartbeat": hb})
		if err != nil || len(c.Warnings) != 0 {
			t.Errorf("heartbeat %v: %v %q", hb, err, c.Warnings)
		}
	}
}
