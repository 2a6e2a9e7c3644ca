//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestMalformedFramesAreCountedAndDropped(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	p.eval(`T.hooked = 0; kiss.websocket.init; T.before = kiss.websocket.stats().dropped;`)
	bad := []struct {
		frame  string
		binary bool
	}{
		{"\x00\x01binary", true},
		{"not json", false},
		{"null", false},
		{`{"channel":42}`, false},
		{" pong ", false},
		{"", false},
	}
	for _, b := range bad {
		raw(t, p.user, b.frame, b.binary)
	}
	raw(t, p.user, `{"channel":"good","n":1}`, false)
	p.waitEvent("good", 1, 5*time.Second)
	if n := p.eval("kiss.websocket.stats().dropped - T.before").Int(); n != len(bad) {
		t.Fatalf("dropped %d frames, want %d; events %v", n, len(bad), p.events())
	}
	if got := p.events(); len(got) != 2 || got[1] != "good" {
		t.Fatalf("a malformed frame was published: %v", got)
	}
	if !strings.Contains(strings.Join(stringsOf(p.eval("T.console")), "\n"), "dropped") {
		t.Fatal("malformed frames were not logged")
	}
	if st := p.eval("kiss.websocket.state").String(); st != "open" {
		t.Fatalf("state %s after malformed frames", st)
	}
}

func TestPageWithoutKissJS(t *testing.T) {
	p := newPage(t, pageOpts{})
	p.eval(`localStorage.setItem("session-token", T.token);`)
	t.Cleanup(func() { p.eval(`localStorage.removeItem("session-token")`) })
	if p.eval("T.kiss === window.kiss && typeof kiss.websocket.on").String() != "function" {
		t.Fatal("window.kiss.websocket.on missing on a page without KissJS")
	}
	v, err := p.await(`kiss.websocket.init({socketUrl: "ws://` + serverHost() + `/?token="})`)
	if err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v", v, err)
	}
	p.eval(`T.got = []; T.fn = function (m) { T.got.push(m.n); }; kiss.websocket.on("own", T.fn);
		kiss.websocket.send({channel: "own", n: 1});`)
	p.waitTrue("T.got.length === 1", 5*time.Second)
	p.eval(`kiss.websocket.off("own", T.fn); kiss.websocket.send({channel: "own", n: 2});`)
	p.waitEvent("own", 2, 5*time.Second) // still seen by the "*" recorder
	if n := p.eval("T.got.length").Int(); n != 1 {
		t.Fatalf("off() did not unsubscribe: %d", n)
	}
	if p.count("EVT_CONNECTED") != 1 {
		t.Fatalf("events: %v", p.events())
	}
}

// refreshPage is a page without KissJS whose token and refresh token are in
// localStorage, connected to the dev server; it returns the token.
func refreshPage(t *testing.T) (*page, string) {
	t.Helper()
	p := newPage(t, pageOpts{})
	tok, ref := loginPair(t, p.user)
	p.win.Get("T").Set("token", tok)
	p.token = tok
	p.eval(`localStorage.setItem("session-token", T.token); localStorage.setItem("session-refresh-token", ` + jsString(ref) + `);`)
	t.Cleanup(func() {
		p.eval(`localStorage.removeItem("session-token"); localStorage.removeItem("session-refresh-token")`)
	})
	if _, err := p.await(`kiss.websocket.init({socketUrl: "ws://` + serverHost() + `/?token=", reconnection: {delay: 50, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	return p, tok
}

func TestExpiredTokenIsRefreshedAndReconnects(t *testing.T) {
	p, tok := refreshPage(t)
	control(t, "/test/expire", url.Values{"token": {tok}})
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	fresh := p.eval(`localStorage.getItem("session-token")`).String()
	if fresh == tok || fresh == "" {
		t.Fatal("the token was not refreshed")
	}
	if p.count("EVT_UNUSABLE_TOKEN") != 0 {
		t.Fatalf("events %v", p.events())
	}
}

func TestOnlineEventReconnectsAtOnce(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({reconnection: {delay: 60000, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	if st := p.eval("kiss.websocket.state").String(); st != "reconnecting" {
		t.Fatalf("state %s", st)
	}
	p.eval(`window.dispatchEvent(new Event("online"))`)
	p.waitEvent("EVT_RECONNECTED", 1, 3*time.Second) // not 60 s
}

func TestReconnectingCarriesItsPromise(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	p.eval(`T.results = []; kiss.pubsub.subscribe("EVT_RECONNECTING", function (pr) { pr.then(function (r) { T.results.push(r); }); });`)
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	// Refused until the first attempt's promise has said false (a timed
	// refusal window raced the reconnection delay on a loaded machine).
	control(t, "/test/refuse", url.Values{"status": {"503"}})
	t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
	control(t, "/test/drop", nil)
	p.waitTrue("T.results.length >= 1", 5*time.Second)
	control(t, "/test/refuse", url.Values{"status": {"0"}})
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	p.waitTrue("T.results.length >= 1 && T.results[T.results.length - 1] === true", 2*time.Second)
	if r := stringsOf(p.eval("T.results.map(String)")); len(r) < 2 || r[0] != "false" {
		t.Fatalf("reconnection promises resolved %v; want false for refused attempts, then true", r)
	}
}

func TestInitWhileOpenAndContextWsNo(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init()"); err != nil {
		t.Fatal(err)
	}
	v, err := p.await("kiss.websocket.init()")
	if err != nil || !v.IsUndefined() {
		t.Fatalf("init while open: %v %v; want undefined", v, err)
	}
	q := newPage(t, pageOpts{kissjs: true})
	q.eval(`kiss.context.ws = "no"`)
	v, err = q.await("kiss.websocket.init()")
	if err != nil || !v.IsUndefined() {
		t.Fatalf("init with ws=no: %v %v", v, err)
	}
	if n := state(t, q.user).Upgrades; n != 0 {
		t.Fatalf("ws=no opened %d sockets", n)
	}
}

func TestThrowingHooksAreLoggedNotPropagated(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	p.eval(`T.p = kiss.websocket.init({
		onopen: function () { throw new Error("open boom"); },
		onmessage: function () { throw new Error("message boom"); }
	});`)
	v, err := p.await("T.p")
	if err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v", v, err)
	}
	p.eval(`kiss.websocket.send({channel: "x"}); kiss.websocket.send({channel: "x"});`)
	p.waitEvent("x", 2, 5*time.Second)
	out := strings.Join(stringsOf(p.eval("T.console")), "\n")
	if !strings.Contains(out, "open boom") || !strings.Contains(out, "message boom") {
		t.Fatalf("hook errors not logged: %q", out)
	}
}

// A wasm that is not there (404): Go loads only once the first socket
// opened, so that socket was announced; it is then closed (4003) and its
// end published, and ready and every later call reject naming the file.
func TestWasmLoadFailureRejectsReadyAndEndsTheFirstSocket(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true, wasm: serverURL + "/missing.wasm", noWait: true,
		before: `T.init = kiss.websocket.init().then(function (v) { return v; }, function (e) { return e.message; });
			T.sock = kiss.websocket.connection;`})
	if _, err := p.await("kiss.websocket.ready"); err == nil || !strings.Contains(err.Error(), "missing.wasm") {
		t.Fatalf("ready: %v; want a rejection naming the file", err)
	}
	if v, err := p.await("T.init"); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v, want true (the socket opened before the wasm was fetched)", v, err)
	}
	p.waitTrue("T.sock.readyState === WebSocket.CLOSED", 5*time.Second)
	p.waitEvent("EVT_CONNECTION_CLOSED", 1, 5*time.Second)
	v, err := p.await(`kiss.websocket.init().then(function () { return "resolved"; }, function (e) { return e.message; })`)
	if err != nil || !strings.Contains(v.String(), "missing.wasm") {
		t.Fatalf("a later init: %v %v", v, err)
	}
}

func TestVisibleTabReconnectsAtOnce(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({reconnection: {delay: 60000, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	p.eval(`Object.defineProperty(document, "visibilityState", {configurable: true, get: function () { return "visible"; }});
		document.dispatchEvent(new Event("visibilitychange"));`)
	p.waitEvent("EVT_RECONNECTED", 1, 3*time.Second)
}

func TestOfflineSpendsNoAttemptsUntilOnline(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({reconnection: {delay: 30, delta: 0, maxAttempts: 2}})`); err != nil {
		t.Fatal(err)
	}
	p.eval(`window.dispatchEvent(new Event("offline"))`)
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	// the retry falls due (30 ms) and is held: no timer left, no attempt
	p.waitTrue(`kiss.websocket.state === "reconnecting" && kiss.websocket.stats().nextDelay === 0`, 5*time.Second)
	if n := p.eval("kiss.websocket.stats().attempts").Int(); n != 1 || p.count("EVT_CONNECTION_LOST") != 0 {
		t.Fatalf("offline: %d attempts, events %v", n, p.events())
	}
	p.eval(`window.dispatchEvent(new Event("online"))`)
	p.waitEvent("EVT_RECONNECTED", 1, 3*time.Second)
}

func TestOversizedSendThrowsAndLosesNothing(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({outbox: {maxBytes: 1000000}})`); err != nil {
		t.Fatal(err)
	}
	msg := p.eval(`(function(){ try { kiss.websocket.send({channel: "big", s: "x".repeat(10 * 1024 * 1024)}); return "sent"; } catch (e) { return e.name + ": " + e.message; } })()`).String()
	if !strings.HasPrefix(msg, "RangeError") || !strings.Contains(msg, "outbox.maxBytes") {
		t.Fatalf("10 MB send: %q", msg)
	}
	p.eval(`kiss.websocket.send({channel: "after", n: 1})`)
	p.waitEvent("after", 1, 5*time.Second)
	if p.count("big") != 0 || p.eval("kiss.websocket.stats().framesOut").Int() != 1 {
		t.Fatalf("the oversized message went out: %v", p.events())
	}
}

func TestServerFramesThatAreNotMessages(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	// No channel: published for "*" subscribers only, as KissJS does.
	raw(t, p.user, `{"n":1}`, false)
	p.waitEvent("<none>", 1, 5*time.Second)
	// Invalid UTF-8 in a text frame: the browser itself fails the socket
	// (1007); the client reconnects and the next good message arrives.
	raw(t, p.user, "{\"channel\":\"x\",\"s\":\"\xff\xfe\"}", false)
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	raw(t, p.user, `{"channel":"good"}`, false)
	p.waitEvent("good", 1, 5*time.Second)
	if code := p.eval("kiss.websocket.stats().lastCloseCode").Int(); code != 1007 && code != 1006 {
		t.Fatalf("close code after invalid UTF-8: %d", code)
	}
}

func TestFramesBufferedAtAnAbnormalCloseAreSentAgain(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	t.Cleanup(func() { control(t, "/test/proxy/stall", url.Values{"on": {"0"}}) })
	sock := proxyURL(t) + "/?token="
	if _, err := p.await(`kiss.websocket.init({socketUrl: ` + jsString(sock) + `, heartbeat: {enabled: false}, reconnection: {delay: 50, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	// With the link stalled, 12 MB fill the kernel buffers and the rest
	// stays in the browser's bufferedAmount.
	control(t, "/test/proxy/stall", url.Values{"on": {"1"}})
	const n = 240
	p.eval(`var pad = "x".repeat(50000); for (var i = 0; i < ` + fmt.Sprint(n) + `; i++) kiss.websocket.send({channel: "bulk", seq: i, pad: pad});`)
	control(t, "/test/proxy/drop", nil)
	// (the token check of the 1006 goes through the stalled proxy too)
	p.waitTrue(`kiss.websocket.state === "reconnecting"`, 5*time.Second)
	reclaimed := p.eval("kiss.websocket.stats().queued").Int()
	control(t, "/test/proxy/stall", url.Values{"on": {"0"}})
	p.waitEvent("EVT_RECONNECTED", 1, 10*time.Second)
	p.waitTrue("kiss.websocket.stats().queued === 0", 5*time.Second)
	var seqs []int
	deadline := time.Now().Add(10 * time.Second)
	for {
		seqs = seqs[:0]
		for _, r := range state(t, p.user).Received {
			var m struct {
				Channel string
				Seq     int
			}
			if json.Unmarshal([]byte(r), &m) == nil && m.Channel == "bulk" {
				seqs = append(seqs, m.Seq)
			}
		}
		if len(seqs) > 0 && seqs[len(seqs)-1] == n-1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if reclaimed == 0 {
		t.Fatal("nothing was reclaimed from bufferedAmount")
	}
	// What reached the kernel before the reset is lost in flight; what the
	// browser still held went out again: a contiguous tail, in order, once.
	if len(seqs) == 0 || seqs[len(seqs)-1] != n-1 {
		t.Fatalf("the last message never arrived: %v", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("delivered out of order or twice at %d: %v", i, seqs)
		}
	}
	t.Logf("%d of %d messages reclaimed from bufferedAmount; %d delivered, %d lost in flight", reclaimed, n, len(seqs), n-len(seqs))
}

func TestHungTokenCheckAndHandshakeAreBounded(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	t.Cleanup(func() {
		control(t, "/test/proxy/stall", url.Values{"on": {"0"}})
		control(t, "/test/proxy/hold", url.Values{"on": {"0"}})
	})
	sock := proxyURL(t) + "/?token="
	if _, err := p.await(`kiss.websocket.init({socketUrl: ` + jsString(sock) + `, connectTimeout: 300, reconnection: {delay: 50, delta: 0, maxAttempts: 100}})`); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/proxy/stall", url.Values{"on": {"1"}})
	control(t, "/test/proxy/hold", url.Values{"on": {"1"}})
	start := time.Now()
	control(t, "/test/proxy/drop", nil)
	// the token check hangs on the stalled proxy: abandoned after connectTimeout
	p.waitEvent("EVT_DISCONNECTED", 1, 3*time.Second)
	// the next handshake hangs: abandoned after connectTimeout, then retried
	p.waitTrue(`kiss.websocket.stats().lastCloseReason === "CONNECT_TIMEOUT"`, 3*time.Second)
	t.Logf("disconnect reported %v after the drop", time.Since(start))
	control(t, "/test/proxy/hold", url.Values{"on": {"0"}})
	control(t, "/test/proxy/stall", url.Values{"on": {"0"}})
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
}

// visibleAndOnline fires what a tab coming back does: visible, then online.
const visibleAndOnline = `Object.defineProperty(document, "visibilityState", {configurable: true, get: function () { return "visible"; }});
	document.dispatchEvent(new Event("visibilitychange"));
	window.dispatchEvent(new Event("online"));`

// Visible and online reconnect only a client the app wants connected:
// before the first init nothing listens, so the first socket is init's;
// after close() nothing listens either, and the next init makes exactly one.
func TestVisibleAndOnlineNeverBeforeInitNorAfterClose(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	p.eval(visibleAndOnline)
	if got := p.eval("String(kiss.websocket.connection.readyState)").String(); got != "undefined" {
		t.Fatalf("a socket before init: readyState %s", got)
	}
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	if s := state(t, p.user); s.Upgrades != 1 || p.count("EVT_RECONNECTING") != 0 {
		t.Fatalf("after the events then init: %d upgrades, events %v", s.Upgrades, p.events())
	}
	p.eval("kiss.websocket.close()")
	p.waitEvent("EVT_CONNECTION_CLOSED", 1, 5*time.Second)
	if n := p.eval("kiss.websocket._debug().listeners").Int(); n != 0 {
		t.Fatalf("%d listeners after close()", n)
	}
	p.eval(visibleAndOnline)
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	if s := state(t, p.user); s.Upgrades != 2 || p.count("EVT_RECONNECTING") != 0 || p.count("EVT_CONNECTED") != 2 {
		t.Fatalf("after close, the events, init: %d upgrades, events %v", s.Upgrades, p.events())
	}
}

// A reconnection on visible goes out with the token as it is now: the user
// logged in again meanwhile, so the new socket is the new login's.
func TestVisibleReconnectsWithTheTokenOfNow(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await(`kiss.websocket.init({reconnection: {delay: 60000, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	other := p.user + "-again"
	p.eval(`T.token = ` + jsString(login(t, other)) + `; T.userId = ` + jsString(other))
	p.eval(visibleAndOnline)
	p.waitEvent("EVT_RECONNECTED", 1, 3*time.Second)
	if s := state(t, other); s.Upgrades != 1 {
		t.Fatalf("%s's upgrades: %d, want the reconnection's", other, s.Upgrades)
	}
	if s := state(t, p.user); s.Upgrades != 1 {
		t.Fatalf("%s's upgrades: %d, want only the first socket", p.user, s.Upgrades)
	}
}

// Alone in shared mode, a tab leads its own socket. Its first socket is a
// stand-in until the lock is granted (a few ms); that move is the same
// attempt and nothing the page sees: no onclose, no close code, one attempt.
func TestSharedAloneLeadsWithoutAVisibleHandover(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	v, err := p.await(`kiss.websocket.init({shared: true, heartbeat: {enabled: false}, onclose: function () { T.closes = (T.closes || 0) + 1; }})`)
	if err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v", v, err)
	}
	got := p.eval(`JSON.stringify({closes: T.closes || 0, code: kiss.websocket.stats().lastCloseCode,
		attempts: kiss.websocket.stats().attempts, role: kiss.websocket.stats().shared.role,
		socket: kiss.websocket.connection instanceof WebSocket})`).String()
	if got != `{"closes":0,"code":0,"attempts":1,"role":"leader","socket":true}` {
		t.Fatalf("after init: %s", got)
	}
	if evs := p.events(); len(evs) != 1 || evs[0] != "EVT_CONNECTED" {
		t.Fatalf("events %v, want EVT_CONNECTED alone", evs)
	}
	if _, err := p.await(`kiss.websocket.close()`); err != nil {
		t.Fatal(err)
	}
}
