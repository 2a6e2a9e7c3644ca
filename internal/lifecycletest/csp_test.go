//go:build !js

package lifecycletest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Under script-src 'self' 'wasm-unsafe-eval' the drop-in works: no eval, no
// inline script, nothing else to allow.
func TestStrictCSPPageWorks(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	user := "csp-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	run(t, ctx, "open the page", chromedp.Navigate(e.pageURL(t, "strict", user, map[string]any{})))
	var ready, init string
	eval(t, ctx, "T.ready", &ready)
	eval(t, ctx, "T.init", &init)
	if ready != "ready" || init != "true" {
		t.Fatalf("ready %q, init %q", ready, init)
	}
	var ignored any
	eval(t, ctx, `kiss.websocket.send({channel: "csp-echo"}); 1`, &ignored)
	waitTrue(t, ctx, hasEvent("msg:csp-echo", 1), 5*time.Second)
}

// Without 'wasm-unsafe-eval' the wasm cannot compile. The first socket,
// which opens before Go loads, was announced (init resolved true); it is then
// closed as close() closes it and its end published (EVT_CONNECTION_CLOSED),
// and ready and every later call say why, naming the CSP and the directive
// to add. Nothing is left pending or open.
func TestCSPWithoutWasmUnsafeEvalSaysWhatToAdd(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	run(t, ctx, "open the page", chromedp.Navigate(e.pageURL(t, "nowasm", "nocsp-"+strconv.FormatInt(time.Now().UnixNano(), 36), map[string]any{})))
	var ready, init, send, later string
	eval(t, ctx, "T.ready", &ready) // settles: a pending promise would time the test out
	eval(t, ctx, "T.init", &init)
	eval(t, ctx, `(function () { try { kiss.websocket.send({channel: "x"}); return "sent"; } catch (e) { return e.message; } })()`, &send)
	eval(t, ctx, `kiss.websocket.init().then(String, function (e) { return e.message; })`, &later)
	for what, msg := range map[string]string{"ready": ready, "send": send, "a later init": later} {
		if !strings.Contains(msg, "Content-Security-Policy") || !strings.Contains(msg, "'wasm-unsafe-eval'") || !strings.Contains(msg, "script-src") {
			t.Errorf("%s: %q, want the CSP and the directive to add named", what, msg)
		}
	}
	if init != "true" {
		t.Errorf("init: %q, want true (the first socket opened before Go loaded)", init)
	}
	waitTrue(t, ctx, hasEvent("EVT_CONNECTION_CLOSED", 1), 5*time.Second)
	var closed bool
	eval(t, ctx, `kiss.websocket.connection instanceof WebSocket && kiss.websocket.connection.readyState === WebSocket.CLOSED`, &closed)
	if !closed {
		t.Error("init's socket is left open although nothing will run it")
	}
}
