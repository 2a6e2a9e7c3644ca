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

func TestDecodeNamesTheBadField(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	rec := func(k string, v any) map[string]any { return map[string]any{"reconnection": map[string]any{k: v}} }
	hb := func(k string, v any) map[string]any { return map[string]any{"heartbeat": map[string]any{k: v}} }
	cases := []struct {
		name  string
		raw   map[string]any
		field string
	}{
		{"delay NaN", rec("delay", nan), "reconnection.delay"},
		{"delay negative", rec("delay", -1.0), "reconnection.delay"},
		{"delay huge", rec("delay", 1e300), "reconnection.delay"},
		{"delay string", rec("delay", "5000"), "reconnection.delay"},
		{"delta Infinity", rec("delta", inf), "reconnection.delta"},
		{"delta negative", rec("delta", -0.5), "reconnection.delta"},
		{"maxAttempts fraction", rec("maxAttempts", 2.5), "reconnection.maxAttempts"},
		{"maxAttempts negative", rec("maxAttempts", -1.0), "reconnection.maxAttempts"},
		{"maxAttempts -Infinity", rec("maxAttempts", math.Inf(-1)), "reconnection.maxAttempts"},
		{"enabled string", rec("enabled", "yes"), "reconnection.enabled"},
		{"factor below 1", rec("factor", 0.5), "reconnection.factor"},
		{"maxDelay NaN", rec("maxDelay", nan), "reconnection.maxDelay"},
		{"reconnection not object", map[string]any{"reconnection": false}, "reconnection"},
		{"heartbeat timeout not above delay", hb("timeout", 10000.0), "heartbeat.timeout"},
		{"heartbeat delay zero", hb("delay", 0.0), "heartbeat.delay"},
		{"heartbeat delay Infinity", hb("delay", inf), "heartbeat.delay"},
		{"port fraction", map[string]any{"port": 80.5}, "port"},
		{"port zero", map[string]any{"port": 0.0}, "port"},
		{"sslPort too big", map[string]any{"sslPort": 70000.0}, "sslPort"},
		{"socketUrl number", map[string]any{"socketUrl": 12.0}, "socketUrl"},
		{"socketUrl ftp", map[string]any{"socketUrl": "ftp://x/"}, "socketUrl"},
		{"shared string", map[string]any{"shared": "yes"}, "shared"},
		{"connectTimeout negative", map[string]any{"connectTimeout": -5.0}, "connectTimeout"},
		{"outbox maxMessages fraction", map[string]any{"outbox": map[string]any{"maxMessages": 1.5}}, "outbox.maxMessages"},
		{"onopen not function", map[string]any{"onopen": "x"}, "onopen"},
		{"onmessage bigint", map[string]any{"onmessage": core.Opaque("bigint")}, "onmessage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := core.Decode(tc.raw)
			var ce *core.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want ConfigError, got %v", err)
			}
			if ce.Field != tc.field || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("field %q, error %q; want %q", ce.Field, err, tc.field)
			}
		})
	}
}

func TestDecodeNeverEchoesStrings(t *testing.T) {
	t.Parallel()
	_, err := core.Decode(map[string]any{"port": "secret-token-value"})
	if err == nil || strings.Contains(err.Error(), "secret-token-value") {
		t.Fatalf("error must not repeat the string: %v", err)
	}
}

func TestHeartbeatTimeoutOnlyCheckedWhenEnabled(t *testing.T) {
	t.Parallel()
	_, err := core.Decode(map[string]any{"heartbeat": map[string]any{"enabled": false, "delay": 60000.0}})
	if err != nil {
		t.Fatal(err)
	}
}
