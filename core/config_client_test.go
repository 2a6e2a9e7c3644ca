//go:build !js

package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// A config as kiss.session.restore() passes it, with two values that mean
// nothing: the client connects with the defaults there, and each warning
// reaches Options.Log once per Start that starts, never on an ignored Start
// or a reconnection.
func TestStartLogsConfigWarningsOnce(t *testing.T) {
	t.Parallel()
	cfg, err := core.Decode(map[string]any{
		"port": "abc", "sslPort": nil, "onopen": "x",
		"reconnection": map[string]any{"delay": "20", "delta": 0.0, "maxAttempts": "50"},
		"heartbeat":    map[string]any{"enabled": false},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Reconnection.Delay != 20*time.Millisecond || cfg.Reconnection.MaxAttempts != 50 || cfg.Port != 80 {
		t.Fatalf("decoded %+v", cfg)
	}
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec)
	warned := func(want int) {
		t.Helper()
		var port, onopen int
		for _, l := range rec.logLines() {
			switch {
			case strings.Contains(l, "init: port "):
				port++
			case strings.Contains(l, "init: onopen "):
				onopen++
			}
		}
		if port != want || onopen != want {
			t.Fatalf("port warned %d times, onopen %d, want %d each; log %q", port, onopen, want, rec.logLines())
		}
	}
	connected(t, c, rec, cfg)
	warned(1) // logged inside Start, before it returned

	if r := result(t, start(t, c, cfg), time.Second); r != core.ResultIgnored {
		t.Fatalf("Start while open: %v", r)
	}
	e.srv.DropAll()
	g := expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting, core.EventReconnected)
	if g[2].Delay != 20*time.Millisecond {
		t.Fatalf("reconnecting %v: the decoded delay is not used", g[2])
	}
	warned(1)

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	expect(t, rec, wait, core.EventClose, core.EventConnectionClosed)
	connected(t, c, rec, cfg)
	warned(2)
}
