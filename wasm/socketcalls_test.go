//go:build js && wasm

package main

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The page's WebSocket sees exactly KissJS's calls (docs/kissjs-behaviour.md,
// "Calls on the socket"): a page, a monitoring tool or a test that wraps
// WebSocket must not tell the two apart. These tests wrap it before the
// loader runs and compare the calls it records.

// recordSocketCalls replaces WebSocket with a subclass that logs, in
// T.calls, every construction, send and close, with close's arguments and
// the readyState each call found. The URL is not logged: it carries the
// token.
const recordSocketCalls = `T.calls = [];
(function () {
  var Native = WebSocket, n = 0;
  function args(a) {
    return Array.prototype.map.call(a, function (v) { return typeof v === "string" ? JSON.stringify(v) : String(v); }).join(",");
  }
  class Recorded extends Native {
    constructor() {
      super(...arguments);
      this.__n = ++n;
      T.calls.push("new#" + this.__n + "/" + arguments.length);
    }
    send(data) {
      T.calls.push("send#" + this.__n + " " + data + " @" + this.readyState);
      return super.send(data);
    }
    close() {
      T.calls.push("close#" + this.__n + "(" + args(arguments) + ") @" + this.readyState);
      return super.close.apply(this, arguments);
    }
  }
  window.WebSocket = Recorded;
})();
T.mark = function (s) { T.calls.push(s); };`

// calls returns what the wrapper recorded, pings left out (their number
// depends on time); noPings tells whether a ping went on a socket that was
// not open.
func (p *page) calls() []string {
	var out []string
	for _, c := range stringsOf(p.eval("T.calls")) {
		if strings.HasPrefix(c, "send#") && strings.Contains(c, " ping @") {
			if !strings.HasSuffix(c, "@1") {
				p.t.Errorf("a ping on a socket that is not open: %s", c)
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

// quiet waits until Go holds nothing of a socket any more (no listener
// function, no goroutine beyond those it had before init): from then on
// nothing can make another call on a socket, so the record is complete.
func (p *page) quiet(baseGoroutines int) {
	p.t.Helper()
	p.waitTrue(`(function (d) { return d.funcs === 0 && d.goroutines <= `+strconv.Itoa(baseGoroutines)+`; })(kiss.websocket._debug())`, 5*time.Second)
}

// kissClose is the call each kiss.websocket.close() makes, as KissJS's.
const kissClose = `(4003,"DEFINITIVE_CLOSE")`

// wantCalls fails unless the wrapper recorded exactly want.
func (p *page) wantCalls(want ...string) {
	p.t.Helper()
	if got := p.calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		p.t.Fatalf("calls on the WebSocket:\n  %s\nwant (as KissJS)\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// callsPage is a KissJS page whose WebSocket records its calls, and the
// goroutine count before any init (0 with noWait: the wasm may not be there).
func callsPage(t *testing.T, o pageOpts) (*page, int) {
	o.kissjs, o.head = true, recordSocketCalls
	p := newPage(t, o)
	if o.noWait {
		return p, 0
	}
	return p, p.eval("kiss.websocket._debug()").Get("goroutines").Int()
}

func TestSocketCallsAreKissJSs(t *testing.T) {
	openClose := func(p *page, n int) {
		p.t.Helper()
		if v, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil || !v.Equal(trueValue()) {
			p.t.Fatalf("init: %v %v", v, err)
		}
		if _, err := p.await("kiss.websocket.close()"); err != nil {
			p.t.Fatal(err)
		}
		p.waitEvent("EVT_CONNECTION_CLOSED", n, 5*time.Second)
	}
	t.Run("open then close", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		openClose(p, 1)
		p.quiet(base)
		// A close() on the CLOSED socket has nothing to call; a new init
		// makes the next socket and leaves the old one alone.
		if _, err := p.await("kiss.websocket.close()"); err != nil {
			t.Fatal(err)
		}
		openClose(p, 2)
		p.quiet(base)
		p.wantCalls("new#1/1", "close#1"+kissClose+" @1", "new#2/1", "close#2"+kissClose+" @1")
	})
	for _, c := range []struct {
		code  string
		event string
		again bool
	}{
		{"4003", "EVT_CONNECTION_CLOSED", false},
		{"4002", "EVT_CONNECTION_LOST", false},
		{"1001", "EVT_SERVER_GONE", true}, // KissJS stops there; ours reconnects
		{"1000", "EVT_DISCONNECTED", true},
	} {
		t.Run("server closes "+c.code, func(t *testing.T) {
			p, base := callsPage(t, pageOpts{})
			if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
				t.Fatal(err)
			}
			control(t, "/test/close", url.Values{"code": {c.code}, "reason": {"test"}})
			p.waitEvent(c.event, 1, 5*time.Second)
			want := []string{"new#1/1"}
			if c.again {
				p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
				if _, err := p.await("kiss.websocket.close()"); err != nil {
					t.Fatal(err)
				}
				want = append(want, "new#2/1", "close#2"+kissClose+" @1")
			}
			p.quiet(base)
			p.wantCalls(want...)
		})
	}
	t.Run("heartbeat timeout", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
			t.Fatal(err)
		}
		// Refused meanwhile, so the next sockets fail at once whatever the
		// machine's speed: no second heartbeat timeout.
		control(t, "/test/refuse", url.Values{"status": {"503"}})
		t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
		control(t, "/test/stall", url.Values{"on": {"1"}})
		t.Cleanup(func() { control(t, "/test/stall", url.Values{"on": {"0"}}) })
		p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
		control(t, "/test/stall", url.Values{"on": {"0"}})
		control(t, "/test/refuse", url.Values{"status": {"0"}})
		p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
		if _, err := p.await("kiss.websocket.close()"); err != nil {
			t.Fatal(err)
		}
		p.quiet(base)
		got := p.calls()
		n := len(got) - 1
		if n < 3 || got[0] != "new#1/1" || got[1] != `close#1(4000,"SERVER_NOT_RESPONDING") @1` {
			t.Fatalf("calls %q, want new#1, then its one close with 4000", got)
		}
		for i, call := range got[2:n] {
			if call != "new#"+strconv.Itoa(i+2)+"/1" {
				t.Fatalf("calls %q: after the timeout, want new sockets only until close()", got)
			}
		}
		if want := "close#" + strconv.Itoa(n-1) + kissClose + " @1"; got[n] != want {
			t.Fatalf("calls %q, want %s last", got, want)
		}
	})
	t.Run("close while connecting", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		p.eval(`T.p = kiss.websocket.init(` + fast + `); T.closed = kiss.websocket.close();`)
		if v, err := p.await("T.p"); err != nil || v.Bool() {
			t.Fatalf("init: %v %v, want false", v, err)
		}
		if _, err := p.await("T.closed"); err != nil {
			t.Fatal(err)
		}
		p.quiet(base)
		p.wantCalls("new#1/1", "close#1"+kissClose+" @0")
		if n := p.count("EVT_CONNECTION_CLOSED"); n != 1 || p.count("EVT_CONNECTED") != 0 {
			t.Fatalf("events %v", p.events())
		}
		if code := p.eval("kiss.websocket.stats().lastCloseCode").Int(); code != 4003 {
			t.Fatalf("lastCloseCode %d, want 4003 (the browser says 1006 for a socket closed before its handshake)", code)
		}
	})
	t.Run("logout closes twice while closing", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
			t.Fatal(err)
		}
		// kiss.session.logout(): close() when not CLOSED, then reset(),
		// which finds the socket CLOSING and closes again.
		p.eval(`if (kiss.websocket.connection.readyState !== WebSocket.CLOSED) kiss.websocket.close(); kiss.session.reset();`)
		p.waitEvent("EVT_CONNECTION_CLOSED", 1, 5*time.Second)
		p.quiet(base)
		p.wantCalls("new#1/1", "close#1"+kissClose+" @1", "close#1"+kissClose+" @2")
		if n := p.count("EVT_CONNECTION_CLOSED"); n != 1 {
			t.Fatalf("EVT_CONNECTION_CLOSED %d times", n)
		}
	})
	t.Run("reconnection cycles", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
			t.Fatal(err)
		}
		control(t, "/test/drop", nil) // 1006: the token check, then a new socket
		p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
		control(t, "/test/close", url.Values{"code": {"1000"}})
		p.waitEvent("EVT_RECONNECTED", 2, 5*time.Second)
		control(t, "/test/refuse", url.Values{"status": {"503"}})
		t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
		p.eval(`T.failed = 0; kiss.pubsub.subscribe("EVT_RECONNECTING", function (pr) { pr.then(function (r) { if (r === false) T.failed++; }); });`)
		control(t, "/test/close", url.Values{"code": {"4500"}})
		p.waitTrue("T.failed >= 2", 5*time.Second)
		control(t, "/test/refuse", url.Values{"status": {"0"}})
		p.waitEvent("EVT_RECONNECTED", 3, 5*time.Second)
		if _, err := p.await("kiss.websocket.close()"); err != nil {
			t.Fatal(err)
		}
		p.quiet(base)
		got := p.calls()
		n := len(got) - 1
		for i, call := range got[:n] {
			if call != "new#"+strconv.Itoa(i+1)+"/1" {
				t.Fatalf("calls %q: want new sockets only until close()", got)
			}
		}
		if want := "close#" + strconv.Itoa(n) + kissClose + " @1"; n < 6 || got[n] != want {
			t.Fatalf("calls %q: want at least 6 sockets, and %s last", got, want)
		}
	})
	// While the wasm loads, the loader makes KissJS's calls itself; Go,
	// once there, adds none.
	t.Run("logout while the wasm loads", func(t *testing.T) {
		p, _ := callsPage(t, pageOpts{noWait: true, before: `
			T.cold = kiss.websocket.stats() === undefined;
			T.p = kiss.websocket.init(` + fast + `);
			if (kiss.websocket.connection.readyState !== WebSocket.CLOSED) kiss.websocket.close();
			kiss.session.reset();
			T.cold = T.cold && kiss.websocket.stats() === undefined;
			T.before = T.calls.slice();
		`})
		if !p.eval("T.cold").Bool() {
			t.Skip("the wasm was ready before the page's script ran")
		}
		want := []string{"new#1/1", "close#1" + kissClose + " @0", "close#1" + kissClose + " @2"}
		if got := stringsOf(p.eval("T.before")); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("calls while the wasm loaded: %q, want %q", got, want)
		}
		if _, err := p.await("kiss.websocket.ready"); err != nil {
			t.Fatal(err)
		}
		p.waitEvent("EVT_CONNECTION_CLOSED", 1, 5*time.Second)
		p.waitTrue(`kiss.websocket._debug().funcs === 0`, 5*time.Second)
		p.wantCalls(want...)
		if v, err := p.await("T.p"); err != nil || v.Bool() {
			t.Fatalf("init: %v %v, want false", v, err)
		}
	})
}

// init() while a close is being handled (inside onclose, inside a
// subscriber of the close's event, or right after close() while the socket
// is closing) resolves undefined and opens nothing, as KissJS's; init()
// once the close is over opens a new connection.
func TestInitWhileACloseIsHandledDoesNothing(t *testing.T) {
	// record keeps what each init() made inside resolved to, in T.calls too,
	// so the record shows it came before any new socket.
	const record = `T.inside = [];
		T.initInside = function (where) {
			kiss.websocket.init(` + fast + `).then(function (v) { T.inside.push(where + ":" + String(v)); T.mark("init in " + where + ": " + String(v)); });
		};`
	for _, c := range []struct {
		name, code, event string
		again             bool
	}{
		{"server 1000", "1000", "EVT_DISCONNECTED", true},
		{"server 1001", "1001", "EVT_SERVER_GONE", true},
		{"server 4003", "4003", "EVT_CONNECTION_CLOSED", false},
		{"server 4002", "4002", "EVT_CONNECTION_LOST", false},
		{"drop, with the token check", "", "EVT_DISCONNECTED", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, base := callsPage(t, pageOpts{})
			p.eval(record + `
				kiss.pubsub.subscribe(` + jsString(c.event) + `, function () { T.initInside(` + jsString(c.event) + `); });
				T.p = kiss.websocket.init({reconnection: {delay: 50, delta: 0}, heartbeat: {enabled: false},
					onclose: function () { T.initInside("onclose"); }});`)
			if _, err := p.await("T.p"); err != nil {
				t.Fatal(err)
			}
			if c.code == "" {
				control(t, "/test/drop", nil)
			} else {
				control(t, "/test/close", url.Values{"code": {c.code}})
			}
			p.waitTrue("T.inside.length === 2", 5*time.Second)
			want := []string{"new#1/1", "init in onclose: undefined", "init in " + c.event + ": undefined"}
			if c.again {
				// the automatic reconnection makes the next socket, no init()
				p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
				if _, err := p.await("kiss.websocket.close()"); err != nil {
					t.Fatal(err)
				}
				p.waitTrue("T.inside.length === 3", 5*time.Second) // onclose, at close()
				p.quiet(base)
				want = append(want, "new#2/1", "close#2"+kissClose+" @1",
					"init in onclose: undefined")
				if got := p.calls(); len(got) < len(want) || strings.Join(got[:len(want)], "\n") != strings.Join(want, "\n") {
					t.Fatalf("calls %q, want %q first", got, want)
				}
				if n := p.count("EVT_CONNECTED"); n != 1 {
					t.Fatalf("EVT_CONNECTED %d times: an init() inside the close connected", n)
				}
				return
			}
			p.waitTrue(`kiss.websocket.state === "closed"`, 5*time.Second)
			p.quiet(base)
			p.wantCalls(want...)
			// Over: init() opens a new connection.
			if v, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil || !v.Equal(trueValue()) {
				t.Fatalf("init after the close: %v %v", v, err)
			}
			p.wantCalls(append(want, "new#2/1")...)
		})
	}
	t.Run("right after close()", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
			t.Fatal(err)
		}
		p.eval(record + `
			kiss.pubsub.subscribe("EVT_CONNECTION_CLOSED", function () { T.initInside("EVT_CONNECTION_CLOSED"); });
			T.closed = kiss.websocket.close();
			T.rs = kiss.websocket.connection.readyState;
			T.initInside("closing");`)
		if p.eval("T.rs").Int() != 2 {
			t.Fatalf("readyState %d right after close(), want 2", p.eval("T.rs").Int())
		}
		if _, err := p.await("T.closed"); err != nil {
			t.Fatal(err)
		}
		p.waitTrue("T.inside.length === 2", 5*time.Second)
		p.quiet(base)
		want := []string{"new#1/1", "close#1" + kissClose + " @1", "init in closing: undefined", "init in EVT_CONNECTION_CLOSED: undefined"}
		p.wantCalls(want...)
		if v, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil || !v.Equal(trueValue()) {
			t.Fatalf("init after the close: %v %v", v, err)
		}
		p.wantCalls(append(want, "new#2/1")...)
	})
	t.Run("right after close() while connecting", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		p.eval(record + `
			T.p = kiss.websocket.init(` + fast + `);
			T.closed = kiss.websocket.close();
			T.initInside("closing");`)
		if _, err := p.await("T.closed"); err != nil {
			t.Fatal(err)
		}
		p.waitTrue("T.inside.length === 1", 5*time.Second)
		p.quiet(base)
		p.wantCalls("new#1/1", "close#1"+kissClose+" @0", "init in closing: undefined")
	})
	t.Run("heartbeat timeout", func(t *testing.T) {
		p, base := callsPage(t, pageOpts{})
		if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
			t.Fatal(err)
		}
		p.eval(record + `kiss.pubsub.subscribe("EVT_DISCONNECTED", function () { T.initInside("EVT_DISCONNECTED"); });`)
		control(t, "/test/refuse", url.Values{"status": {"503"}})
		t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
		control(t, "/test/stall", url.Values{"on": {"1"}})
		t.Cleanup(func() { control(t, "/test/stall", url.Values{"on": {"0"}}) })
		p.waitTrue("T.inside.length === 1", 5*time.Second)
		control(t, "/test/stall", url.Values{"on": {"0"}})
		control(t, "/test/refuse", url.Values{"status": {"0"}})
		p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
		if _, err := p.await("kiss.websocket.close()"); err != nil {
			t.Fatal(err)
		}
		p.quiet(base)
		got := p.calls()
		want := []string{"new#1/1", `close#1(4000,"SERVER_NOT_RESPONDING") @1`, "init in EVT_DISCONNECTED: undefined", "new#2/1"}
		if len(got) < len(want) || strings.Join(got[:len(want)], "\n") != strings.Join(want, "\n") {
			t.Fatalf("calls %q, want %q first", got, want)
		}
	})
}

// init() while the first socket connects resolves undefined at once, before
// the first one's outcome; also while the wasm is still loading, where
// init() right after close() does the same.
func TestInitWhileTheFirstSocketConnectsResolvesAtOnce(t *testing.T) {
	t.Run("wasm ready", func(t *testing.T) {
		p, _ := callsPage(t, pageOpts{})
		p.eval(`T.order = [];
			kiss.websocket.init(` + fast + `).then(function (v) { T.order.push("first:" + v); });
			kiss.websocket.init(` + fast + `).then(function (v) { T.order.push("second:" + v + "@" + kiss.websocket.connection.readyState); });`)
		p.waitTrue("T.order.length === 2", 5*time.Second)
		if got := p.eval(`T.order.join(",")`).String(); got != "second:undefined@0,first:true" {
			t.Fatalf("resolved %s, want the second init undefined while connecting, then the first true", got)
		}
		p.wantCalls("new#1/1")
	})
	t.Run("wasm loading", func(t *testing.T) {
		p, _ := callsPage(t, pageOpts{noWait: true, before: `
			T.cold = kiss.websocket.stats() === undefined;
			T.order = [];
			var at = function (name) { return function (v) {
				T.order.push(name + ":" + v + "@" + kiss.websocket.connection.readyState + (kiss.websocket.stats() === undefined ? " loading" : " ready"));
			}; };
			T.p1 = kiss.websocket.init(` + fast + `);
			T.p1.then(at("first"));
			kiss.websocket.init(` + fast + `).then(at("connecting"));
			T.closed = kiss.websocket.close();
			kiss.websocket.init(` + fast + `).then(at("closing"));
		`})
		if !p.eval("T.cold").Bool() {
			t.Skip("the wasm was ready before the page's script ran")
		}
		if _, err := p.await("T.closed"); err != nil {
			t.Fatal(err)
		}
		p.waitTrue("T.order.length === 3", 5*time.Second)
		got := stringsOf(p.eval("T.order"))
		want := []string{"connecting:undefined@2 loading", "closing:undefined@2 loading", "first:false@3 ready"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("resolved %q, want %q", got, want)
		}
		p.wantCalls("new#1/1", "close#1"+kissClose+" @0")
		// Over: init() opens a new connection.
		if v, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil || !v.Equal(trueValue()) {
			t.Fatalf("init after the close: %v %v", v, err)
		}
	})
}
