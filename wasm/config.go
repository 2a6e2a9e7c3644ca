//go:build js && wasm

package main

import (
	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// configKeys are the fields of init(config) we read; reading only these (not
// Object.keys) keeps getters and prototype noise out.
var configKeys = map[string][]string{
	"":             {"socketUrl", "port", "sslPort", "connectTimeout", "onopen", "onmessage", "onclose"},
	"reconnection": {"enabled", "delay", "delta", "maxAttempts", "factor", "maxDelay"},
	"heartbeat":    {"enabled", "delay", "timeout"},
	"outbox":       {"maxMessages", "maxBytes"},
}

// readConfig turns the JavaScript config into the shape core.Decode takes,
// and says whether it names port or sslPort.
func readConfig(rt, cfg safejs.Value) (raw map[string]any, ports bool, err error) {
	if cfg.IsUndefined() || cfg.IsNull() {
		return map[string]any{}, false, nil
	}
	if !isObject(cfg) {
		return nil, false, &core.ConfigError{Field: "config", Msg: "must be an object"}
	}
	raw = readFields(rt, cfg, configKeys[""])
	for _, sub := range []string{"reconnection", "heartbeat", "outbox"} {
		v, err := cfg.Get(sub)
		if err != nil {
			return nil, false, err
		}
		if isObject(v) && jsType(rt, v) == "object" {
			raw[sub] = readFields(rt, v, configKeys[sub])
		} else {
			raw[sub] = valueOf(rt, v)
		}
	}
	return raw, raw["port"] != nil || raw["sslPort"] != nil, nil
}

func readFields(rt, obj safejs.Value, keys []string) map[string]any {
	m := make(map[string]any, len(keys))
	for _, k := range keys {
		v, err := obj.Get(k)
		if err != nil {
			m[k] = core.Opaque("unreadable value")
			continue
		}
		if x := valueOf(rt, v); x != nil {
			m[k] = x
		}
	}
	return m
}

// valueOf maps a JavaScript value to float64, string, bool, nil or Opaque.
func valueOf(rt, v safejs.Value) any {
	switch v.Type() {
	case safejs.TypeUndefined, safejs.TypeNull:
		return nil
	case safejs.TypeNumber:
		f, _ := v.Float()
		return f
	case safejs.TypeString:
		s, _ := v.String()
		return s
	case safejs.TypeBoolean:
		b, _ := v.Bool()
		return b
	case safejs.TypeObject:
		if t := jsType(rt, v); t != "object" {
			return core.Opaque(t)
		}
		return map[string]any{} // a nested object where a scalar belongs
	}
	return core.Opaque(jsType(rt, v))
}

// jsType is typeof, with "array" for arrays.
func jsType(rt, v safejs.Value) string {
	t, err := rt.Call("typeOf", v)
	if err != nil {
		return "unknown"
	}
	s, _ := t.String()
	return s
}
