package core

import (
	"math"
	"strconv"
	"time"
)

// Opaque stands for a JavaScript value that is not a number, string, boolean,
// null/undefined or plain object; it holds its typeof ("function", "bigint",
// "symbol") or "array". The browser bridge passes hooks as Opaque("function").
type Opaque string

// Decode reads a config shaped like a JavaScript object (float64, bool,
// string, nil for null/undefined, map[string]any, Opaque) over Defaults(), then
// validates it. Missing, null and undefined fields keep their default, as
// KissJS's destructuring defaults do; unknown fields are ignored.
func Decode(raw map[string]any) (Config, error) {
	c := Defaults()
	d := decoder{}
	d.str(raw, "", "socketUrl", &c.SocketURL)
	d.integer(raw, "", "port", &c.Port, false)
	d.integer(raw, "", "sslPort", &c.SSLPort, false)
	c.NamedPorts = raw["port"] != nil || raw["sslPort"] != nil
	d.ms(raw, "", "connectTimeout", &c.ConnectTimeout)
	for _, hook := range []string{"onopen", "onmessage", "onclose"} {
		if v, ok := raw[hook]; ok && v != nil && v != Opaque("function") {
			d.fail(hook, "must be a function", v)
		}
	}
	if r := d.object(raw, "reconnection"); r != nil {
		rc := &c.Reconnection
		d.boolean(r, "reconnection.", "enabled", &rc.Enabled)
		d.ms(r, "reconnection.", "delay", &rc.Delay)
		d.float(r, "reconnection.", "delta", &rc.Delta)
		d.integer(r, "reconnection.", "maxAttempts", &rc.MaxAttempts, true)
		d.float(r, "reconnection.", "factor", &rc.Factor)
		d.ms(r, "reconnection.", "maxDelay", &rc.MaxDelay)
	}
	if h := d.object(raw, "heartbeat"); h != nil {
		d.boolean(h, "heartbeat.", "enabled", &c.Heartbeat.Enabled)
		d.ms(h, "heartbeat.", "delay", &c.Heartbeat.Delay)
		d.ms(h, "heartbeat.", "timeout", &c.Heartbeat.Timeout)
	}
	if o := d.object(raw, "outbox"); o != nil {
		d.integer(o, "outbox.", "maxMessages", &c.Outbox.MaxMessages, false)
		d.integer(o, "outbox.", "maxBytes", &c.Outbox.MaxBytes, false)
	}
	if d.err != nil {
		return c, d.err
	}
	return c, c.Validate()
}

// decoder keeps the first error so the field readers stay one line each.
type decoder struct{ err error }

func (d *decoder) fail(field, msg string, v any) {
	if d.err == nil {
		d.err = &ConfigError{Field: field, Msg: msg + " (got " + describe(v) + ")"}
	}
}

func (d *decoder) object(raw map[string]any, key string) map[string]any {
	switch v := raw[key].(type) {
	case nil:
		return nil
	case map[string]any:
		return v
	default:
		d.fail(key, "must be an object", v)
		return nil
	}
}

func (d *decoder) str(raw map[string]any, prefix, key string, dst *string) {
	switch v := raw[key].(type) {
	case nil:
	case string:
		*dst = v
	default:
		d.fail(prefix+key, "must be a string", v)
	}
}

func (d *decoder) boolean(raw map[string]any, prefix, key string, dst *bool) {
	switch v := raw[key].(type) {
	case nil:
	case bool:
		*dst = v
	default:
		d.fail(prefix+key, "must be true or false", v)
	}
}

// number returns a finite number, or ok=false after recording why not.
func (d *decoder) number(raw map[string]any, field string, key string) (f float64, present, ok bool) {
	v, present := raw[key]
	if !present || v == nil {
		return 0, false, false
	}
	f, isNum := v.(float64)
	if !isNum {
		d.fail(field, "must be a number", v)
		return 0, true, false
	}
	return f, true, true
}

func (d *decoder) float(raw map[string]any, prefix, key string, dst *float64) {
	f, _, ok := d.number(raw, prefix+key, key)
	if !ok {
		return
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		d.fail(prefix+key, "must be a finite number >= 0", f)
		return
	}
	*dst = f
}

func (d *decoder) ms(raw map[string]any, prefix, key string, dst *time.Duration) {
	f, _, ok := d.number(raw, prefix+key, key)
	if !ok {
		return
	}
	if math.IsNaN(f) || f < 0 || f > float64(maxTimer/time.Millisecond) {
		d.fail(prefix+key, "must be a number of ms from 0 to 2147483647", f)
		return
	}
	*dst = time.Duration(f * float64(time.Millisecond))
}

func (d *decoder) integer(raw map[string]any, prefix, key string, dst *int, infinite bool) {
	f, _, ok := d.number(raw, prefix+key, key)
	if !ok {
		return
	}
	switch {
	case infinite && math.IsInf(f, 1):
		*dst = math.MaxInt
	case math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || f < 0 || f > 1<<53:
		d.fail(prefix+key, "must be a whole number >= 0", f)
	default:
		*dst = int(f)
	}
}

// describe renders a rejected value for an error message. It never prints a
// string's content (a misplaced token must not end up in a log).
func describe(v any) string {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) {
			return "NaN"
		}
		if math.IsInf(v, 1) {
			return "Infinity"
		}
		if math.IsInf(v, -1) {
			return "-Infinity"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case string:
		return "a string"
	case Opaque:
		return "a " + string(v)
	case map[string]any:
		return "an object"
	default:
		return "an unsupported value"
	}
}
