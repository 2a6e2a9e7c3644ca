//go:build js && wasm

package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Before Go arrives the loader runs the first socket by a fixed script:
// EVT_CONNECTED, frames in their own message events and sends straight to
// the socket, with no wasm on the page yet. These tests keep Go away with a
// gate of the dev server (internal/gate): the page's wasm comes through it,
// and only when the test opens it.

var gates int

// heldWasm returns the URL of the wasm behind a new closed gate, and the
// function that opens it (fail: the wasm then answers 404).
func heldWasm(t *testing.T) (string, func(fail bool)) {
	t.Helper()
	gates++
	id := strings.ReplaceAll(t.Name(), "/", "_") + "-" + strconv.Itoa(gates)
	opened := false
	open := func(fail bool) {
		if opened {
			return
		}
		opened = true
		q := url.Values{"id": {id}}
		if fail {
			q.Set("fail", "1")
		}
		control(t, "/test/gate", q)
	}
	t.Cleanup(func() { open(false) }) // a request left waiting ends
	return serverURL + "/test/gate/kiss-websocket.wasm?id=" + url.QueryEscape(id), open
}

// goAbsent fails the test if Go is there: the loader reports stats() only
// once the wasm runs.
func (p *page) goAbsent(when string) {
	p.t.Helper()
	if !p.eval("kiss.websocket.stats() === undefined").Bool() {
		p.t.Fatalf("%s: Go is there already; the gate did not hold the wasm", when)
	}
}

// waitOpen waits until the server holds n open sockets of user.
func waitOpen(t *testing.T, user string, n int) {
	t.Helper()
	eventuallyTrue(t, 5*time.Second, fmt.Sprintf("%d open sockets of %s", n, user), func() bool {
		open := 0
		for _, c := range state(t, user).Conns {
			if c.Open {
				open++
			}
		}
		return open == n
	})
}

// inOwnEvent records, for every published frame of channel push, whether
// it was published inside the message event that carried it: window.event
// is then that MessageEvent, with that frame's text. The test's own message
// listener, which runs after the loader's, marks each event as over.
const inOwnEvent = `
	T.frames = []; T.outside = 0; T.onopen = 0; T.connectedBeforeGo = null;
	kiss.pubsub.subscribe("push", function (v) {
		var ev = window.event;
		var own = !!ev && ev.type === "message" && typeof ev.data === "string" && !ev.seen && JSON.parse(ev.data).n === v.n;
		if (!own) T.outside++;
		T.frames.push(v.n);
	});
	kiss.pubsub.subscribe("EVT_CONNECTED", function () {
		T.connectedBeforeGo = kiss.websocket.stats() === undefined;
		kiss.websocket.connection.addEventListener("message", function (ev) { ev.seen = true; });
	});`

// The first socket opens, is announced and carries a burst of 300 frames
// at once, all before Go is there: EVT_CONNECTED comes first, then each
// frame inside its own message event. Go then adopts the socket as it is:
// no second EVT_CONNECTED or onopen, the counters go on, its heartbeat runs.
func TestBeforeGoTheFirstSocketConnectsAndPublishesInItsEvents(t *testing.T) {
	wasm, openGate := heldWasm(t)
	p := newPage(t, pageOpts{kissjs: true, noWait: true, wasm: wasm, before: inOwnEvent + `
		T.p = kiss.websocket.init({port: null, sslPort: null, heartbeat: {delay: 300},
			onopen: function () { T.onopen++; }}).then(function (v) { T.init = v; T.initAfter = T.events.length; return v; });
		T.sock = kiss.websocket.connection;
		T.stateAtOnce = kiss.websocket.state;`})
	waitOpen(t, p.user, 1)
	if n := rawReached(t, url.Values{"user": {p.user}}, `{"channel":"push","n":0}`); n != 1 {
		t.Fatalf("the first frame reached %d sockets", n)
	}
	control(t, "/test/push", url.Values{"user": {p.user}, "n": {"300"}})
	p.waitTrue("T.frames.length === 301", 5*time.Second)
	p.goAbsent("after the burst")
	if v, err := p.await("T.p"); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v, want true", v, err)
	}
	if ev := p.events(); len(ev) == 0 || ev[0] != "EVT_CONNECTED" {
		t.Fatalf("events %v: EVT_CONNECTED must come first", ev[:min(len(ev), 3)])
	}
	checks := map[string]string{
		"T.connectedBeforeGo": "true", "T.outside": "0", "T.onopen": "1", "T.stateAtOnce": "connecting",
		"kiss.websocket.state": "open", "T.initAfter": "1", // init's reactions run right after EVT_CONNECTED
		"T.frames.every(function (n, i) { return n === i; })": "true",
	}
	for expr, want := range checks {
		if got := p.eval("String(" + expr + ")").String(); got != want {
			t.Errorf("%s = %s, want %s", expr, got, want)
		}
	}
	// A send while Go is away goes straight to the open socket.
	p.eval(`kiss.websocket.send({channel: "early-echo"})`)
	p.waitEvent("early-echo", 1, 5*time.Second)
	p.goAbsent("after a send")

	openGate(false)
	if _, err := p.await("kiss.websocket.ready"); err != nil {
		t.Fatal(err)
	}
	p.waitTrue(`kiss.websocket.stats().rtt > 0`, 5*time.Second) // Go's heartbeat, from the adoption
	control(t, "/test/push", url.Values{"user": {p.user}, "n": {"5"}})
	p.waitTrue("T.frames.length === 306", 5*time.Second)
	st := p.eval(`JSON.stringify(kiss.websocket.stats())`).String()
	for expr, want := range map[string]string{
		"T.outside": "0", "T.onopen": "1", "kiss.websocket.connection === T.sock": "true",
		"kiss.websocket.stats().framesIn >= 308": "true", "kiss.websocket.stats().framesOut >= 2": "true",
	} {
		if got := p.eval("String(" + expr + ")").String(); got != want {
			t.Errorf("after Go: %s = %s, want %s (stats %s)", expr, got, want, st)
		}
	}
	if n := p.count("EVT_CONNECTED"); n != 1 {
		t.Fatalf("EVT_CONNECTED published %d times", n)
	}
	if s := state(t, p.user); s.Upgrades != 1 {
		t.Fatalf("%d upgrades, want 1: Go made its own socket", s.Upgrades)
	}
}

// Sends made while the first socket connects go out when it opens, in
// order, before one made inside EVT_CONNECTED and one made after it; then
// one made once Go is there. All on the one socket.
func TestBeforeGoSendsKeepTheirOrder(t *testing.T) {
	wasm, openGate := heldWasm(t)
	p := newPage(t, pageOpts{kissjs: true, noWait: true, wasm: wasm, before: `
		kiss.pubsub.subscribe("EVT_CONNECTED", function () { kiss.websocket.send({channel: "order", n: 3}); });
		kiss.websocket.init({heartbeat: {enabled: false}});
		kiss.websocket.send({channel: "order", n: 1});
		kiss.websocket.send({channel: "order", n: 2});`})
	p.waitEvent("EVT_CONNECTED", 1, 5*time.Second)
	p.eval(`kiss.websocket.send({channel: "order", n: 4})`)
	received := func(n int) string {
		var got string
		eventuallyTrue(t, 5*time.Second, fmt.Sprintf("%d messages at the server", n), func() bool {
			r := state(t, p.user).Received
			got = strings.Join(r, ",")
			return len(r) >= n
		})
		return got
	}
	want := `{"channel":"order","n":1},{"channel":"order","n":2},{"channel":"order","n":3},{"channel":"order","n":4}`
	if got := received(4); got != want {
		t.Fatalf("the server received %s, want %s", got, want)
	}
	p.goAbsent("after the sends")
	openGate(false)
	if _, err := p.await("kiss.websocket.ready"); err != nil {
		t.Fatal(err)
	}
	p.eval(`kiss.websocket.send({channel: "order", n: 5})`)
	if got := received(5); got != want+`,{"channel":"order","n":5}` {
		t.Fatalf("the server received %s", got)
	}
	if got := p.eval("kiss.websocket.stats().framesOut").Int(); got != 5 {
		t.Fatalf("stats().framesOut = %d, want 5", got)
	}
}

// A socket dropped while Go is away: nothing is published then (what a
// drop means is Go's to say); once Go is there it acts on the drop, in
// order, as KissJS would have: onclose, EVT_DISCONNECTED, then it
// reconnects.
func TestBeforeGoADropIsActedOnByGoInOrder(t *testing.T) {
	wasm, openGate := heldWasm(t)
	p := newPage(t, pageOpts{kissjs: true, noWait: true, wasm: wasm, before: `
		T.closes = 0;
		kiss.websocket.init({reconnection: {delay: 50, delta: 0}, onclose: function () { T.closes++; T.events.push(["onclose"]); }});
		T.sock = kiss.websocket.connection;`})
	p.waitEvent("EVT_CONNECTED", 1, 5*time.Second)
	control(t, "/test/drop", nil)
	p.waitTrue("T.sock.readyState === WebSocket.CLOSED", 5*time.Second)
	p.goAbsent("after the drop")
	if got := strings.Join(p.events(), ","); got != "EVT_CONNECTED" || p.eval("T.closes").Int() != 0 {
		t.Fatalf("before Go: events %s, %d onclose; want EVT_CONNECTED alone", got, p.eval("T.closes").Int())
	}
	openGate(false)
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	if got, want := strings.Join(p.events(), ","), "EVT_CONNECTED,onclose,EVT_DISCONNECTED,EVT_RECONNECTING,EVT_RECONNECTED"; got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
}

// A token refused while Go is away (the first socket never opens):
// nothing is published then; once Go is there it checks the token, as
// KissJS does after a 1006, and this one is unusable: EVT_UNUSABLE_TOKEN
// and KissJS's logout().
func TestBeforeGoARefusedTokenIsCheckedByGo(t *testing.T) {
	wasm, openGate := heldWasm(t)
	p := newPage(t, pageOpts{kissjs: true, noWait: true, wasm: wasm, head: `T.token = "no-such-token";`, before: `
		kiss.websocket.init();
		T.sock = kiss.websocket.connection;`})
	p.waitTrue("T.sock.readyState === WebSocket.CLOSED", 5*time.Second)
	p.goAbsent("after the refusal")
	if got := p.events(); len(got) != 0 {
		t.Fatalf("published before Go: %v", got)
	}
	openGate(false)
	p.waitEvent("EVT_UNUSABLE_TOKEN", 1, 5*time.Second)
	if got := strings.Join(p.events(), ","); got != "EVT_UNUSABLE_TOKEN" {
		t.Fatalf("events %s, want EVT_UNUSABLE_TOKEN alone", got)
	}
	if n := p.eval("T.loggedOut || 0").Int(); n != 1 {
		t.Fatalf("kiss.session.logout() called %d times, want 1", n)
	}
}

// close() and then, once its socket is CLOSED, init() (a logout and the
// next login), all while Go is away: Go acts on them in the order they
// came: the definitive close first (EVT_CONNECTION_CLOSED), then the new
// init, which connects.
func TestBeforeGoCloseThenInitConnectsInOrder(t *testing.T) {
	wasm, openGate := heldWasm(t)
	p := newPage(t, pageOpts{kissjs: true, noWait: true, wasm: wasm, before: `
		kiss.websocket.init();
		T.sock = kiss.websocket.connection;`})
	p.waitEvent("EVT_CONNECTED", 1, 5*time.Second)
	p.eval(`T.closed = kiss.websocket.close().then(function () { return "closed"; });`)
	p.waitTrue("T.sock.readyState === WebSocket.CLOSED", 5*time.Second)
	p.eval(`T.again = kiss.websocket.init();`)
	p.goAbsent("after close() and init()")
	openGate(false)
	if v, err := p.await("T.again"); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("the init() after the close: %v %v, want true", v, err)
	}
	if got, want := strings.Join(p.events(), ","), "EVT_CONNECTED,EVT_CONNECTION_CLOSED,EVT_CONNECTED"; got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
	if !p.eval("kiss.websocket.connection !== T.sock && kiss.websocket.connection.readyState === 1").Bool() {
		t.Fatal("the second init is not on a socket of its own")
	}
}

// The wasm cannot load while the first socket is open: ready rejects with
// the reason, and the socket does not linger with no one to run it: it is
// closed as close() closes it (4003), and its end is published as KissJS
// publishes a definitive close. A later call says why at once.
func TestBeforeGoTheWasmFailsWithTheFirstSocketOpen(t *testing.T) {
	wasm, openGate := heldWasm(t)
	p := newPage(t, pageOpts{kissjs: true, noWait: true, wasm: wasm, before: `
		T.closes = 0;
		T.p = kiss.websocket.init({onclose: function () { T.closes++; }});
		T.sock = kiss.websocket.connection;`})
	p.waitEvent("EVT_CONNECTED", 1, 5*time.Second)
	openGate(true)
	if _, err := p.await("kiss.websocket.ready"); err == nil || !strings.Contains(err.Error(), "kiss-websocket.wasm") {
		t.Fatalf("ready: %v; want a rejection naming the wasm", err)
	}
	p.waitEvent("EVT_CONNECTION_CLOSED", 1, 5*time.Second)
	if v, err := p.await("T.p"); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v, want true (it opened)", v, err)
	}
	for expr, want := range map[string]string{
		"T.closes": "1", "T.sock.readyState": "3", "kiss.websocket.connection === T.sock": "true",
		"kiss.websocket.state": "closed", "T.events.length": "2",
		"(function () { try { kiss.websocket.send({}); return 'sent'; } catch (e) { return /failed to load/.test(e.message); } })()": "true",
	} {
		if got := p.eval("String(" + expr + ")").String(); got != want {
			t.Errorf("%s = %s, want %s", expr, got, want)
		}
	}
	eventuallyTrue(t, 5*time.Second, "the server to see the socket closed", func() bool {
		for _, c := range state(t, p.user).Conns {
			if c.Open {
				return false
			}
		}
		return true
	})
	if v, err := p.await(`kiss.websocket.init().then(function () { return "resolved"; }, function (e) { return e.message; })`); err != nil ||
		!strings.Contains(v.String(), "failed to load") {
		t.Fatalf("a later init: %v %v", v, err)
	}
}
