package core_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// secret marks strings the fuzzer puts where they do not belong: an error
// must never repeat one (a misplaced token must not reach a log).
const secret = "S3CR3T-"

// jsShaped builds a config as the browser bridge hands it over: numbers are
// float64, null/undefined nil, functions and other exotic values Opaque.
// shape chooses, two bits per field, between absent, null, a value of the
// right type and one of the wrong type; pick chooses which of the four
// numbers a numeric field gets.
func jsShaped(shape, pick uint64, nums [4]float64, s string, on bool) map[string]any {
	wrong := []any{secret + s, on, core.Opaque("function"), map[string]any{}, core.Opaque("array"), []any{}}
	field := 0
	value := func(right any) (any, bool) {
		mode := (shape >> (2 * (field % 32))) & 3
		w := wrong[(uint64(field)+pick)%uint64(len(wrong))]
		field++
		switch mode {
		case 0:
			return nil, false
		case 1:
			return nil, true
		case 2:
			return right, true
		}
		return w, true
	}
	num := func() float64 { return nums[(pick>>(2*(field%32)))&3] }
	put := func(m map[string]any, key string, right any) {
		if v, ok := value(right); ok {
			m[key] = v
		}
	}
	raw := map[string]any{}
	put(raw, "socketUrl", s)
	put(raw, "port", num())
	put(raw, "sslPort", num())
	put(raw, "connectTimeout", num())
	for _, hook := range []string{"onopen", "onmessage", "onclose"} {
		put(raw, hook, core.Opaque("function"))
	}
	rec, hb, box := map[string]any{}, map[string]any{}, map[string]any{}
	put(rec, "enabled", on)
	put(rec, "delay", num())
	put(rec, "delta", num())
	put(rec, "maxAttempts", num())
	put(rec, "factor", num())
	put(rec, "maxDelay", num())
	put(hb, "enabled", !on)
	put(hb, "delay", num())
	put(hb, "timeout", num())
	put(box, "maxMessages", num())
	put(box, "maxBytes", num())
	put(raw, "reconnection", rec)
	put(raw, "heartbeat", hb)
	put(raw, "outbox", box)
	return raw
}

// checkDecode is what holds for every input: no panic, a nil error means a
// valid config, any other error is a ConfigError naming a field and never
// repeating a string it was given.
func checkDecode(t *testing.T, raw map[string]any) {
	t.Helper()
	cfg, err := core.Decode(raw)
	if err == nil {
		if verr := cfg.Validate(); verr != nil {
			t.Fatalf("Decode accepted %v but Validate says %v", raw, verr)
		}
		return
	}
	var ce *core.ConfigError
	if !errors.As(err, &ce) || ce.Field == "" {
		t.Fatalf("Decode(%v): %v is not a ConfigError naming a field", raw, err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error repeats a string it was given: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	inf, nan := math.Inf(1), math.NaN()
	f.Add(uint64(0), uint64(0), 0.0, 0.0, 0.0, 0.0, "", false)
	f.Add(^uint64(0), uint64(0), 5000.0, 2.0, 10.0, 35000.0, "wss://a.test/?token=", true)
	f.Add(uint64(0xAAAAAAAAAAAAAAAA), uint64(0x1B1B1B1B1B1B1B1B), 5000.0, 2.0, inf, 35000.0, "ws://h/", true)
	f.Add(uint64(0xAAAAAAAAAAAAAAAA), uint64(0xE4E4E4E4E4E4E4E4), nan, -1.0, 1e300, 2147483648.0, "ftp://x/", false)
	f.Add(uint64(0x5555555555555555), uint64(0), 0.5, 443.0, math.Inf(-1), 2147483647.0, "://", true)
	f.Add(uint64(0xFFFFFFFF00000000), uint64(0x0123456789ABCDEF), 1.0, 0.0, 9007199254740993.0, 65536.0, "%zz", false)
	f.Fuzz(func(t *testing.T, shape, pick uint64, a, b, c, d float64, s string, on bool) {
		checkDecode(t, jsShaped(shape, pick, [4]float64{a, b, c, d}, s, on))
	})
}

// FuzzDecodeJSON feeds configs written as JSON, as a page would pass them.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"socketUrl":"wss://x/?token=","reconnection":{"delay":1000,"maxAttempts":3,"delta":0}}`,
		`{"heartbeat":{"enabled":true,"delay":10,"timeout":10}}`,
		`{"heartbeat":{"enabled":false,"delay":60000}}`,
		`{"port":8080.5,"sslPort":"443"}`,
		`{"reconnection":[],"outbox":{"maxMessages":1e20}}`,
		`{"onopen":null,"onclose":1,"connectTimeout":-0}`,
		`{"reconnection":{"factor":1e7,"maxDelay":2147483647}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		checkDecode(t, raw)
	})
}

func FuzzDecide(f *testing.F) {
	for _, c := range []struct {
		code   int
		reason string
	}{{4002, ""}, {4003, "DEFINITIVE_CLOSE"}, {1001, ""}, {1006, ""}, {1006, "CONNECT_TIMEOUT"}, {4000, "x"}, {-1, ""}} {
		f.Add(c.code, c.reason)
	}
	f.Fuzz(func(t *testing.T, code int, reason string) {
		a := core.Decide(code, reason)
		if a.String() == "unknown" {
			t.Fatalf("Decide(%d, %q) = %d, not an action", code, reason, a)
		}
		want := core.ActionReconnect
		switch {
		case code == 4002:
			want = core.ActionLost
		case code == 4003:
			want = core.ActionClosed
		case code == 1001:
			want = core.ActionServerGone
		case code == 1006 && reason == "":
			want = core.ActionCheckToken
		}
		if a != want {
			t.Fatalf("Decide(%d, %q) = %v, want %v", code, reason, a, want)
		}
	})
}

// FuzzNextDelay checks the reconnection delay of every valid policy: never
// negative, never past the browser's timer limit, never below the base
// delay (or its cap), without jitter when delta is 0, and never shorter for
// a later attempt.
func FuzzNextDelay(f *testing.F) {
	f.Add(5000.0, 2.0, 1.0, 0.0, 1, 0.5)
	f.Add(0.0, 0.0, 1.0, 0.0, 1, 0.0)
	f.Add(2147483647.0, 1e6, 1e6, 0.0, 1<<40, 0.999999)
	f.Add(1000.0, 0.5, 2.0, 30000.0, 64, 0.25)
	f.Add(1.0, 3.0, 1.5, 1.0, -3, math.NaN())
	f.Add(100.0, 2.0, 1.0, 0.0, 2, 1.0)
	f.Fuzz(func(t *testing.T, delayMs, delta, factor, maxDelayMs float64, attempt int, rnd float64) {
		ms := func(v float64) time.Duration {
			if math.IsNaN(v) || math.Abs(v) > 1e12 {
				return -1 // out of range: Validate rejects it
			}
			return time.Duration(v * float64(time.Millisecond))
		}
		cfg := core.Defaults()
		r := &cfg.Reconnection
		r.Delay, r.Delta, r.Factor, r.MaxDelay = ms(delayMs), delta, factor, ms(maxDelayMs)
		if cfg.Validate() != nil {
			return
		}
		const limit = 2147483647 * time.Millisecond
		d := r.NextDelay(attempt, rnd)
		if d < 0 || d > limit {
			t.Fatalf("%+v: NextDelay(%d, %v) = %v", *r, attempt, rnd, d)
		}
		floor := r.Delay
		if r.MaxDelay > 0 && r.MaxDelay < floor {
			floor = r.MaxDelay
		}
		if attempt >= 1 && d < floor.Truncate(time.Millisecond)-time.Millisecond {
			t.Fatalf("%+v: NextDelay(%d, %v) = %v, below %v", *r, attempt, rnd, d, floor)
		}
		if r.Delta == 0 && d != r.NextDelay(attempt, 0) {
			t.Fatalf("%+v: jitter without delta: %v vs %v", *r, d, r.NextDelay(attempt, 0))
		}
		if attempt >= 1 && attempt < math.MaxInt {
			if next := r.NextDelay(attempt+1, rnd); next < d {
				t.Fatalf("%+v, rnd %v: attempt %d waits %v, attempt %d only %v", *r, rnd, attempt, d, attempt+1, next)
			}
		}
	})
}
