//go:build !js

package core_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// A program that ends after Close and Wait has had every event: Wait
// returns only once EVT_CONNECTION_CLOSED has been delivered, with nothing
// but Wait itself to synchronise on.
func TestWaitReturnsAfterTheLastEvent(t *testing.T) {
	t.Parallel()
	_, rec, c := openClient(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waited(t, c, wait)
	wantLast(t, rec, core.EventClose, core.EventConnectionClosed)
	if g := rec.all(); g[len(g)-2].Close.Code != core.CodeDefinitiveClose {
		t.Fatalf("events %v", g)
	}
}

// Wait called on an open client blocks until the client stops by itself
// (here it gives up after the server went down), through the reconnection
// wait and the token check, and returns once the last event is delivered.
func TestWaitBlocksUntilTheClientStops(t *testing.T) {
	t.Parallel()
	cfg := fast()
	cfg.Reconnection.MaxAttempts = 1
	e, rec, c := openClientCfg(t, cfg)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	e.goDown()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("Wait did not return within %v; events %v", wait, rec.all())
	}
	wantLast(t, rec, core.EventClose, core.EventConnectionLost)
	if s := c.State(); s != core.StateClosed {
		t.Fatalf("state %v after Wait", s)
	}
	if n := e.checks.Load(); n != 1 {
		t.Fatalf("%d token checks, want 1", n)
	}
}

// wantLast fails unless the last events recorded so far are kinds, in order.
func wantLast(t *testing.T, rec *recorder, kinds ...core.EventKind) {
	t.Helper()
	g := rec.all()
	if len(g) < len(kinds) {
		t.Fatalf("events %v, want them to end with %v", g, kinds)
	}
	for i, k := range kinds {
		if g[len(g)-len(kinds)+i].Kind != k {
			t.Fatalf("events %v, want them to end with %v", g, kinds)
		}
	}
}
