//go:build js && wasm

package main

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The loader may come before KissJS's script or after it: either way
// KissJS's own start-up (kiss.app.init -> kiss.session.restore ->
// kiss.websocket.init) must reach our client, on KissJS's kiss.

// loaderVersion is the VERSION the dev server's loader declares.
func loaderVersion(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(serverURL + "/kiss-websocket.js")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`var VERSION = "([^"]+)";`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no VERSION in the served loader")
	}
	return string(m[1])
}

// consoleHas reports whether a line the page printed contains s.
func (p *page) consoleHas(s string) bool {
	for _, line := range stringsOf(p.win.Get("T").Get("console")) {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// tooLate is a phrase of the loader's console error when KissJS's own client
// got there first.
const tooLate = "Load kiss-websocket.js before the script that calls kiss.app.init()"

// usesOurs checks, once the app has started, that KissJS's kiss carries our
// client, that KissJS's own client never ran, that KissJS's start-up opened
// a socket through ours and that messages go both ways through KissJS's
// pubsub.
func usesOurs(t *testing.T, p *page, version string) {
	t.Helper()
	if got := p.eval("String(T.kiss.websocket.version)").String(); got != version {
		t.Fatalf("kiss.websocket.version = %s, want ours (%s)", got, version)
	}
	if got := p.eval("typeof window.kiss").String(); got != "undefined" {
		t.Errorf("window.kiss is %s on a KissJS page, want undefined", got)
	}
	if _, err := p.await("T.started"); err != nil {
		t.Fatal(err)
	}
	if got := p.eval("String(T.restored)").String(); got != "true" {
		t.Fatalf("KissJS's restore(): init resolved %s, want true", got)
	}
	if n := p.eval("T.kissjsClient || 0").Int(); n != 0 {
		t.Fatalf("KissJS's own client ran %d times", n)
	}
	p.waitEvent("EVT_CONNECTED", 1, 5*time.Second)
	open := 0
	for _, c := range state(t, p.user).Conns {
		if c.Open {
			open++
		}
	}
	if open != 1 {
		t.Fatalf("the server holds %d open sockets for the page, want 1", open)
	}
	p.eval(`kiss.websocket.send({channel: "order-echo", n: 1})`)
	p.waitEvent("order-echo", 1, 5*time.Second) // echoed, published on KissJS's pubsub
	if p.consoleHas(tooLate) {
		t.Error("the loader said it came too late")
	}
}

func TestLoaderBeforeOrAfterKissJS(t *testing.T) {
	version := loaderVersion(t)
	start := `T.started = kiss.app.init();` // the app's script, right after
	for _, c := range []struct {
		name string
		o    pageOpts
	}{
		{"after KissJS", pageOpts{kissjs: true, before: start}},
		{"before inline KissJS", pageOpts{kissjs: true, kissjsAfter: true, before: start}},
		{"before external KissJS", pageOpts{kissjs: true, kissjsAfter: true, kissjsSrc: "src", before: start}},
		{"before deferred KissJS", pageOpts{kissjs: true, kissjsAfter: true, kissjsSrc: "defer", before: start}},
	} {
		t.Run(c.name, func(t *testing.T) {
			usesOurs(t, newPage(t, c.o), version)
		})
	}
}

// KissJS added by code after the wasm is ready: the Go side, which started
// on the provisional kiss, must reach KissJS's kiss.session too (here
// logout() after a revoked token).
func TestLoaderFindsKissJSAddedLater(t *testing.T) {
	version := loaderVersion(t)
	p := newPage(t, pageOpts{}) // the loader alone: kiss is window.kiss
	fixture := strings.ReplaceAll(kissFixture, "%HOST%", jsString(serverHost()))
	if _, err := p.await(`new Promise(function (resolve, reject) {
		var s = document.createElement("script");
		s.src = ` + jsString(dataURL(fixture)) + `;
		s.onload = resolve;
		s.onerror = function () { reject(new Error("the fixture did not load")); };
		document.head.appendChild(s);
	})`); err != nil {
		t.Fatal(err)
	}
	p.eval(`T.started = kiss.app.init();`)
	usesOurs(t, p, version)
	control(t, "/test/revoke", url.Values{"token": {p.token}})
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_UNUSABLE_TOKEN", 1, 5*time.Second)
	if n := p.eval("T.loggedOut || 0").Int(); n != 1 {
		t.Fatalf("KissJS's kiss.session.logout() called %d times, want 1", n)
	}
}

// A bundle that declares kiss and starts the app in one script leaves no
// moment in between, wherever the loader is: KissJS's own client is then
// left in charge (replacing it would strand its socket), and the console
// says so at once, with the fix.
func TestLoaderTooLateForKissJSSaysSo(t *testing.T) {
	for _, c := range []struct {
		name string
		o    pageOpts
	}{
		{"before the bundle", pageOpts{kissjs: true, kissjsAfter: true, kissjsStart: true, noWait: true}},
		{"after the bundle", pageOpts{kissjs: true, kissjsStart: true, noWait: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPage(t, c.o)
			if !p.consoleHas(tooLate) {
				t.Fatalf("no console error saying the loader came too late; console: %q", stringsOf(p.eval("T.console")))
			}
			if n := p.eval("T.kissjsClient || 0").Int(); n != 1 {
				t.Fatalf("KissJS's own client ran %d times, want 1", n)
			}
			if got := p.eval("typeof T.kiss.websocket.version").String(); got != "undefined" {
				t.Fatalf("kiss.websocket.version is %s: ours replaced a client that had a socket", got)
			}
			if got := p.eval("typeof window.kiss").String(); got != "undefined" {
				t.Errorf("window.kiss is %s on a KissJS page, want undefined", got)
			}
		})
	}
}
