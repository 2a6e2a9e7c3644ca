//go:build js && wasm

package main

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests in this file pin down where our build must behave exactly as
// KissJS does (docs/kissjs-behaviour.md): the frames it publishes, the socket it exposes
// and when it creates it.

func TestEveryJSONValueIsPublishedAsKissJSDoes(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	p.eval(`T.star = []; T.hooked = [];`)
	if _, err := p.await(`kiss.websocket.init({heartbeat: {enabled: false}, onmessage: function (ev) { T.hooked.push(ev.data); }})`); err != nil {
		t.Fatal(err)
	}
	// "*" sees every publish; from here on only messages come.
	p.eval(`kiss.pubsub.subscribe("*", function (v) { T.star.push(JSON.stringify(v) + "|" + (v !== null && typeof v === "object" ? v.websocket : "-")); });`)
	p.eval(`T.before = kiss.websocket.stats().dropped; T.inBefore = kiss.websocket.stats().framesIn;`)
	frames := []string{`[1,{"channel":"in"}]`, `42`, `"pong"`, `"text"`, `true`, `{"a":1}`, `{"channel":"c","x":1}`}
	want := []string{`[1,{"channel":"in"}]|true`, `42|-`, `"pong"|-`, `"text"|-`, `true|-`, `{"a":1,"websocket":true}|true`, `{"channel":"c","x":1,"websocket":true}|true`}
	raw(t, p.user, "pong", false) // the heartbeat answer: swallowed
	for _, f := range frames {
		raw(t, p.user, f, false)
	}
	p.waitTrue("T.hooked.length === "+strconv.Itoa(len(frames)), 5*time.Second)
	if got := stringsOf(p.eval("T.star")); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("published to *:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := stringsOf(p.eval("T.hooked")); strings.Join(got, "\n") != strings.Join(frames, "\n") {
		t.Fatalf("onmessage got %q", got)
	}
	// Only the object with a channel is published on it; the rest on none.
	if n := p.count("c"); n != 1 {
		t.Fatalf("channel c published %d times; events %v", n, p.events())
	}
	if n := p.count("<none>"); n != len(frames)-1 {
		t.Fatalf("%d published without a channel, want %d; events %v", n, len(frames)-1, p.events())
	}
	if n := p.eval("kiss.websocket.stats().dropped - T.before").Int(); n != 0 {
		t.Fatalf("%d dropped", n)
	}
	// every frame counts, the swallowed pong too (as natively)
	if n := p.eval("kiss.websocket.stats().framesIn - T.inBefore").Int(); n != len(frames)+1 {
		t.Fatalf("framesIn +%d, want %d", n, len(frames)+1)
	}
}

func TestConnectionIsTheBrowserWebSocket(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	p.eval(`T.own = []; T.sock = kiss.websocket.connection;
		T.sock.addEventListener("message", function (e) { T.own.push(e.data); });`)
	checks := map[string]string{
		"kiss.websocket.connection instanceof WebSocket":                        "true",
		"kiss.websocket.connection.readyState === WebSocket.OPEN":               "true",
		"kiss.websocket.connection.url.indexOf('/?token=') > 0":                 "true",
		"kiss.websocket.connection.protocol":                                    "",
		"typeof kiss.websocket.connection.bufferedAmount":                       "number",
		"kiss.websocket.connection.url.indexOf(" + jsString(serverHost()) + ")": "5",
	}
	for expr, want := range checks {
		if got := p.eval("String(" + expr + ")").String(); got != want {
			t.Errorf("%s = %s, want %s", expr, got, want)
		}
	}
	// A frame the page sends on the socket itself goes out as in KissJS, and
	// the page's own listener sees every frame, the heartbeat's pong too.
	p.eval(`kiss.websocket.connection.send(JSON.stringify({channel: "direct", n: 1}));`)
	p.waitEvent("direct", 1, 5*time.Second)
	raw(t, p.user, "pong", false)
	p.waitTrue(`T.own.indexOf("pong") >= 0 && T.own.some(function (d) { return d.indexOf("direct") >= 0; })`, 5*time.Second)
	if got := state(t, p.user).Received; len(got) != 1 || !strings.Contains(got[0], "direct") {
		t.Fatalf("the server received %q", got)
	}

	// On a reconnection the new socket exists before EVT_RECONNECTING.
	p.eval(`T.seen = [];
		kiss.pubsub.subscribe("EVT_RECONNECTING", function () {
			var c = kiss.websocket.connection;
			T.seen.push((c !== T.sock) + ":" + (c instanceof WebSocket) + ":" + c.readyState);
		});`)
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	if got := p.eval(`T.seen.join(",")`).String(); !strings.HasPrefix(got, "true:true:0") {
		t.Fatalf("at EVT_RECONNECTING the socket was %q, want a new WebSocket at readyState 0", got)
	}
	if p.eval("kiss.websocket.connection === T.sock || T.sock.readyState !== WebSocket.CLOSED").Bool() {
		t.Fatal("connection still the old socket, or the old one not closed")
	}
}

// On a cold page init() creates the socket at once, while the wasm loads,
// and the wasm adopts it: one socket, the handshake overlapping the download.
func TestColdPageCreatesTheSocketInsideInit(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true, before: `
		T.cold = kiss.websocket.stats() === undefined;
		T.p = kiss.websocket.init(` + fast + `);
		T.sock = kiss.websocket.connection;
		T.isWS = T.sock instanceof WebSocket;
		T.rs = T.sock.readyState;
		T.again = kiss.websocket.init(` + fast + `);
		T.same = kiss.websocket.connection === T.sock;
	`})
	if !p.eval("T.cold").Bool() {
		t.Skip("the wasm was ready before the loader's next script ran")
	}
	if !p.eval("T.isWS && T.rs === 0 && T.same").Bool() {
		t.Fatalf("inside a cold init: WebSocket %v, readyState %v, same on a second init %v",
			p.eval("T.isWS"), p.eval("T.rs"), p.eval("T.same"))
	}
	if v, err := p.await("T.p"); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v", v, err)
	}
	if v, err := p.await("T.again"); err != nil || !v.IsUndefined() {
		t.Fatalf("second init: %v %v, want undefined (a socket was there)", v, err)
	}
	if !p.eval("kiss.websocket.connection === T.sock && T.sock.readyState === 1").Bool() {
		t.Fatal("the wasm did not adopt the socket init() made")
	}
	if s := state(t, p.user); s.Upgrades != 1 {
		t.Fatalf("%d upgrades, want 1", s.Upgrades)
	}
	p.eval(`kiss.websocket.send({channel: "adopted"})`)
	p.waitEvent("adopted", 1, 5*time.Second)
}

// An init() that names one of our own fields (which only Go may accept or
// reject) waits for Go before it opens anything: Go rejects this one, and
// no socket was ever made for it.
func TestColdInitOfOurOwnFieldsWaitsForGo(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true, before: `
		T.cold = kiss.websocket.stats() === undefined;
		T.p = kiss.websocket.init({connectTimeout: -1}).then(function () { return "resolved"; }, function (e) { return e.name + ": " + e.message; });
		T.sock = kiss.websocket.connection;
	`})
	if !p.eval("T.cold").Bool() {
		t.Skip("the wasm was ready before the loader's next script ran")
	}
	v, err := p.await("T.p")
	if err != nil || !strings.HasPrefix(v.String(), "TypeError") || !strings.Contains(v.String(), "connectTimeout") {
		t.Fatalf("init: %v %v, want a TypeError naming connectTimeout", v, err)
	}
	if p.eval("T.sock instanceof WebSocket || kiss.websocket.connection instanceof WebSocket").Bool() {
		t.Fatal("a socket was made for an init Go rejects")
	}
	if s := state(t, p.user); s.Upgrades != 0 {
		t.Fatalf("%d upgrades, want none", s.Upgrades)
	}
}

func eventuallyTrue(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A send made while the wasm loads belongs to the session it was made in:
// A sends, logs out (kiss.session.reset() closes the socket at once, as in
// KissJS) and B logs in, all before the wasm is ready. B's init() right
// then does nothing, as KissJS's while the socket closes; B's init() once
// the close is over connects, and A's message is not sent as B's.
func TestColdSendOfALoggedOutUserIsNotSentAsTheNext(t *testing.T) {
	userB := "cold-B-" + strconv.Itoa(pages)
	tokB := login(t, userB)
	p := newPage(t, pageOpts{kissjs: true, before: `
		T.cold = kiss.websocket.stats() === undefined;
		T.p1 = kiss.websocket.init(` + fast + `);
		T.sockA = kiss.websocket.connection;
		kiss.websocket.send({channel: "cold-A"});
		kiss.session.reset();
		T.closingAtOnce = T.sockA.readyState === WebSocket.CLOSING || T.sockA.readyState === WebSocket.CLOSED;
		T.token = ` + jsString(tokB) + `; T.userId = ` + jsString(userB) + `;
		T.early = kiss.websocket.init(` + fast + `);
	`})
	if !p.eval("T.cold").Bool() {
		t.Skip("the wasm was ready before the loader's next script ran")
	}
	if !p.eval("T.closingAtOnce").Bool() {
		t.Fatal("close() on a cold page left the socket open until the wasm was ready")
	}
	if v, err := p.await("T.early"); err != nil || !v.IsUndefined() {
		t.Fatalf("init() while A's socket closed: %v %v, want undefined", v, err)
	}
	p.waitTrue(`kiss.websocket.state === "closed"`, 5*time.Second)
	p.eval(`kiss.websocket.init(` + fast + `)`)
	onlyBsMessageWentOut(t, p, userB, 1) // A's cold send was discarded
}

// An invalid cold init and a valid one behind it: both wait for Go (only
// the first init() of a page may open its socket before Go), which rejects
// the first and connects the second, in that order.
func TestColdInvalidThenValidInit(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true, before: `
		T.cold = kiss.websocket.stats() === undefined;
		T.order = [];
		T.p1 = kiss.websocket.init({outbox: {maxBytes: "x"}}).then(function () { return "resolved"; }, function (e) { T.order.push(1); return e.name; });
		T.p2 = kiss.websocket.init(` + fast + `).then(function (v) { T.order.push(2); return v; });
	`})
	if !p.eval("T.cold").Bool() {
		t.Skip("the wasm was ready before the loader's next script ran")
	}
	if v, err := p.await("T.p1"); err != nil || v.String() != "TypeError" {
		t.Fatalf("invalid init: %v %v", v, err)
	}
	if v, err := p.await("T.p2"); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("valid init: %v %v, want true", v, err)
	}
	if got := p.eval("T.order.join()").String(); got != "1,2" {
		t.Fatalf("settled in the order %s, want 1,2", got)
	}
	if s := state(t, p.user); s.Upgrades != 1 {
		t.Fatalf("%d upgrades, want 1", s.Upgrades)
	}
}

// stats() counts bytes as UTF-8, whichever side (the loader's live path or
// Go's outbox) sent or received the frame.
func TestByteCountersAreUTF8(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({heartbeat: {enabled: false}, reconnection: {delay: 50, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	msg := `{"channel":"u","t":"é€😀"}` // 31 bytes, 26 UTF-16 units
	delta := func(f func()) (in, out int) {
		t.Helper()
		p.eval(`T.s0 = kiss.websocket.stats();`)
		f()
		p.eval(`T.s1 = kiss.websocket.stats();`)
		return p.eval("T.s1.bytesIn - T.s0.bytesIn").Int(), p.eval("T.s1.bytesOut - T.s0.bytesOut").Int()
	}
	in, out := delta(func() {
		p.eval(`kiss.websocket.send(` + msg + `);`)
		p.waitEvent("u", 1, 5*time.Second) // the echo
	})
	if in != len(msg) || out != len(msg) {
		t.Fatalf("live: %d bytes in, %d out; want %d each", in, out, len(msg))
	}
	control(t, "/test/refuse", url.Values{"status": {"503"}})
	t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	in, out = delta(func() {
		p.eval(`kiss.websocket.send(` + msg + `);`) // queued in Go's outbox
		control(t, "/test/refuse", url.Values{"status": {"0"}})
		p.waitEvent("u", 2, 5*time.Second)
	})
	if in != len(msg) || out != len(msg) {
		t.Fatalf("queued: %d bytes in, %d out; want %d each", in, out, len(msg))
	}
}
