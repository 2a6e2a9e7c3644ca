//go:build js && wasm

package main

import (
	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// configKeys are the fields of init(config) we read, from core's one table
// of them; reading only these (not Object.keys) keeps getters and prototype
// noise out.
func configKeys() map[string][]string { return core.ConfigKeys() }

// readConfig turns the JavaScript config into the shape core.Decode takes.
// A config that is no object at all (init("x"), init(42)) is read as {},
// as KissJS's destructuring reads it, with a warning naming its type only.
func readConfig(js *loader, cfg safejs.Value) (raw map[string]any, warning string) {
	switch t := js.typeOf(cfg); t {
	case "undefined":
		return map[string]any{}, ""
	case "object":
		if cfg.IsNull() {
			return map[string]any{}, ""
		}
	default:
		if s, _ := cfg.String(); t == "string" && s == "" {
			return map[string]any{}, ""
		}
		a := "a "
		if t == "array" {
			a = "an "
		}
		return map[string]any{}, "kiss.websocket: init: config should be an object (got " + a + t + "); using the defaults"
	}
	keys := configKeys()
	raw = readFields(js, cfg, keys[""])
	for sub, sk := range keys {
		if sub == "" {
			continue
		}
		v, err := cfg.Get(sub)
		if err != nil {
			raw[sub] = core.Opaque("unreadable value") // a getter that throws
			continue
		}
		if js.typeOf(v) == "object" && !v.IsNull() {
			raw[sub] = readFields(js, v, sk)
		} else {
			raw[sub] = valueOf(js, v)
		}
	}
	return raw, ""
}

func readFields(js *loader, obj safejs.Value, keys []string) map[string]any {
	m := make(map[string]any, len(keys))
	for _, k := range keys {
		v, err := obj.Get(k)
		if err != nil {
			m[k] = core.Opaque("unreadable value")
			continue
		}
		if x := valueOf(js, v); x != nil {
			m[k] = x
		}
	}
	return m
}

// valueOf maps a JavaScript value to float64, string, bool, nil or Opaque.
// It asks JavaScript's typeof first: syscall/js's Type() panics on a BigInt.
func valueOf(js *loader, v safejs.Value) any {
	switch t := js.typeOf(v); t {
	case "undefined":
		return nil
	case "number":
		f, _ := v.Float()
		return f
	case "string":
		s, _ := v.String()
		return s
	case "boolean":
		b, _ := v.Bool()
		return b
	case "object":
		if v.IsNull() {
			return nil
		}
		return map[string]any{} // a nested object where a scalar belongs
	default:
		return core.Opaque(t)
	}
}
