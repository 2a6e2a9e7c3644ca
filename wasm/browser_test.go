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

// fast keeps reconnection and heartbeat short so faults play out in ms.
const fast = `{reconnection: {delay: 50, delta: 0}, heartbeat: {delay: 100, timeout: 300}}`

func TestKissJSPageContractsBeforeReady(t *testing.T) {
	// The checks run synchronously right after the loader's tag, while the
	// wasm is still loading.
	p := newPage(t, pageOpts{kissjs: true, before: `
		T.pre = {};
		T.pre.windowKiss = typeof window.kiss;
		T.pre.installed = typeof kiss.websocket.init;
		T.pre.connectionKeys = Object.keys(kiss.websocket.connection).length;
		T.pre.readyBefore = String(kiss.websocket.connection.readyState);
		try { kiss.websocket.send({a: 1}); } catch (e) { T.pre.send = e.message; }
		try { kiss.websocket.close(); } catch (e) { T.pre.close = e.message; }
		T.pre.initResult = kiss.websocket.init(` + fast + `);
		T.pre.isPromise = T.pre.initResult instanceof Promise;
		T.pre.readyAfter = kiss.websocket.connection.readyState;
		kiss.websocket.send({channel: "early", n: 1});
	`})
	pre := p.eval("T.pre")
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"window.kiss", pre.Get("windowKiss").String(), "undefined"},
		{"installed at once", pre.Get("installed").String(), "function"},
		{"connection is {}", pre.Get("connectionKeys").Int(), 0},
		{"readyState before init", pre.Get("readyBefore").String(), "undefined"},
		{"send before init", pre.Get("send").String(), "No connection to opened: kiss.websocket.init has not been called."},
		{"close before init", pre.Get("close").String(), "No connection to close: kiss.websocket.init has not been called."},
		{"init returns a Promise", pre.Get("isPromise").Bool(), true},
		{"readyState after init", pre.Get("readyAfter").Int(), 0},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	v, err := p.await("T.pre.initResult")
	if err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init resolved %v, %v; want true", v, err)
	}
	p.waitEvent("early", 1, 5*time.Second) // the queued send was replayed and echoed
	if got := p.eval("kiss.websocket.connection.readyState").Int(); got != 1 {
		t.Fatalf("readyState when open: %d", got)
	}
}

func TestOpenOrderAndMessages(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	p.eval(`T.order = [];
		kiss.pubsub.subscribe("EVT_CONNECTED", function (d) { T.order.push("EVT_CONNECTED:" + String(d)); });
		kiss.pubsub.subscribe("chat", function (m) { T.order.push("chat:" + m.websocket + ":" + m.text); });
		T.p = kiss.websocket.init({
			onopen: function () { T.order.push("onopen:" + arguments.length); },
			onmessage: function (ev) { T.order.push("onmessage:" + (ev instanceof MessageEvent) + ":" + typeof ev.data); },
			heartbeat: {delay: 50, timeout: 200}
		});
		T.p.then(function (r) { T.order.push("resolved:" + r); });`)
	p.waitTrue(`T.order.indexOf("resolved:true") >= 0`, 5*time.Second)
	// The page's own listener on the socket counts the pongs that came.
	p.eval(`T.pongs = 0; kiss.websocket.connection.addEventListener("message", function (e) { if (e.data === "pong") T.pongs++; });`)
	p.eval(`kiss.websocket.send({channel: "chat", text: "hi"})`)
	p.waitEvent("chat", 1, 5*time.Second)
	p.waitTrue("T.pongs >= 3", 5*time.Second) // a few heartbeats: their pongs must stay invisible
	got := strings.Join(stringsOf(p.eval("T.order")), " ")
	want := "EVT_CONNECTED:undefined onopen:0 resolved:true chat:true:hi onmessage:true:string"
	if got != want {
		t.Fatalf("order:\n got %s\nwant %s", got, want)
	}
	for _, e := range p.events() {
		if e == "<none>" || e == "pong" {
			t.Fatalf("a pong or channel-less frame was published: %v", p.events())
		}
	}
	if rtt := p.eval("kiss.websocket.stats().rtt").Float(); rtt <= 0 {
		t.Fatalf("heartbeat rtt not measured: %v", rtt)
	}
}

// Only the fields we added reject; KissJS's never do (leniency_test.go).
func TestInitRejectsInvalidConfigNamingTheField(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	cases := map[string]string{
		`{reconnection: {factor: 0.5}}`:             "reconnection.factor",
		`{reconnection: {maxDelay: NaN}}`:           "reconnection.maxDelay",
		`{reconnection: {maxDelay: "5000"}}`:        "reconnection.maxDelay",
		`{outbox: [1]}`:                             "outbox",
		`{outbox: 5}`:                               "outbox",
		`{outbox: {maxBytes: 0.5}}`:                 "outbox.maxBytes",
		`{outbox: {maxMessages: 10n}}`:              "outbox.maxMessages",
		`{connectTimeout: NaN}`:                     "connectTimeout",
		`{connectTimeout: "5000"}`:                  "connectTimeout",
		`{connectTimeout: Symbol("x")}`:             "connectTimeout",
		`{shared: "yes"}`:                           "shared",
		`{port: "80", connectTimeout: -1}`:          "connectTimeout",
		`{reconnection: 5, outbox: {maxBytes: -1}}`: "outbox.maxBytes",
	}
	for cfg, field := range cases {
		v, err := p.await("kiss.websocket.init(" + cfg + ").then(function () { return 'resolved'; }, function (e) { return e.name + ': ' + e.message; })")
		if err != nil {
			t.Fatal(err)
		}
		if got := v.String(); !strings.HasPrefix(got, "TypeError: kiss.websocket.init: "+field+" ") {
			t.Errorf("init(%s): %q, want a TypeError naming %s", cfg, got, field)
		}
	}
	if got := p.eval("String(kiss.websocket.connection.readyState)").String(); got != "undefined" {
		t.Errorf("a rejected init opened something: readyState %s", got)
	}
}

func TestSendRejectsWhatJSONCannotCarry(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init()"); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"undefined":      "undefined",
		"function () {}": "function",
		"(function(){var o={};o.o=o;return o;})()": "circular",
		"10n": "BigInt",
	}
	for expr, reason := range cases {
		msg := p.eval(`(function(){ try { kiss.websocket.send(` + expr + `); return "no error"; } catch (e) { return e.name + ": " + e.message; } })()`).String()
		if !strings.HasPrefix(msg, "TypeError") || !strings.Contains(msg, reason) {
			t.Errorf("send(%s): %q, want a TypeError mentioning %s", expr, msg, reason)
		}
	}
}

func TestOutageLosesNoMessage(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/refuse", url.Values{"status": {"503"}, "ms": {"400"}})
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	p.eval(`for (var i = 0; i < 50; i++) kiss.websocket.send({channel: "seq", n: i});`)
	p.waitEvent("EVT_RECONNECTED", 1, 10*time.Second)
	p.waitTrue(`T.events.filter(function (e) { return e[0] === "seq"; }).length >= 50`, 5*time.Second)
	var got []string
	for _, r := range state(t, p.user).Received {
		if strings.Contains(r, `"seq"`) {
			got = append(got, r)
		}
	}
	if len(got) != 50 {
		t.Fatalf("server received %d of 50 messages", len(got))
	}
	for i, r := range got {
		if !strings.Contains(r, fmt.Sprintf(`"n":%d}`, i)) {
			t.Fatalf("message %d out of order: %s", i, r)
		}
	}
	if s := state(t, p.user); s.MaxSockets > 1 {
		t.Fatalf("server saw %d sockets at once", s.MaxSockets)
	}
}

func TestCloseCodes(t *testing.T) {
	cases := []struct {
		code  string
		event string
		again bool // reconnects afterwards
	}{
		{"4002", "EVT_CONNECTION_LOST", false},
		{"4003", "EVT_CONNECTION_CLOSED", false},
		{"1001", "EVT_SERVER_GONE", true},
		{"4500", "EVT_DISCONNECTED", true},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			p := newPage(t, pageOpts{kissjs: true})
			p.eval(`T.closes = 0; kiss.websocket.init({reconnection: {delay: 50, delta: 0}, onclose: function () { T.closes++; }})`)
			p.waitEvent("EVT_CONNECTED", 1, 5*time.Second)
			control(t, "/test/close", url.Values{"code": {c.code}, "reason": {"test"}})
			p.waitEvent(c.event, 1, 5*time.Second)
			if c.again {
				p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
			} else {
				// stopped for good: closed, nothing left to start an attempt
				p.waitTrue(`kiss.websocket.state === "closed"`, 5*time.Second)
				if n := state(t, p.user).Upgrades; n != 1 {
					t.Fatalf("reconnected after %s: %d upgrades", c.code, n)
				}
				if rs := p.eval("kiss.websocket.connection.readyState").Int(); rs != 3 {
					t.Fatalf("readyState %d, want 3", rs)
				}
			}
			if p.eval("T.closes").Int() < 1 {
				t.Fatal("onclose not called")
			}
			if code := p.eval("String(kiss.websocket.stats().lastCloseCode)").String(); code != c.code {
				t.Fatalf("stats lastCloseCode %s", code)
			}
		})
	}
}

func TestHalfOpenServerIsDetectedAtHeartbeatTimeout(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/stall", url.Values{"on": {"1"}})
	start := time.Now()
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	took := time.Since(start)
	control(t, "/test/stall", url.Values{"on": {"0"}})
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	if code := p.eval("kiss.websocket.stats().lastCloseCode").Int(); code != 4000 {
		t.Fatalf("last close code %d, want 4000", code)
	}
	// delay 100 + timeout 300: detected within about 0.4 s, not the browser's 60 s
	if took > 3*time.Second {
		t.Fatalf("detection took %v", took)
	}
}

func TestRevokedTokenStopsAndLogsOut(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/revoke", url.Values{"token": {p.token}})
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_UNUSABLE_TOKEN", 1, 5*time.Second)
	if p.eval("T.loggedOut").Int() != 1 {
		t.Fatal("kiss.session.logout() not called")
	}
	if st := p.eval("kiss.websocket.state").String(); st != "closed" {
		t.Fatalf("state %s", st)
	}
}

func TestServerDownIsNotALogout(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	if _, err := p.await("kiss.websocket.init({reconnection: {delay: 50, delta: 0, maxAttempts: 1000}})"); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/goaway", url.Values{"ms": {"600"}}) // 12 attempts fail meanwhile
	p.waitEvent("EVT_SERVER_GONE", 1, 5*time.Second)
	p.waitEvent("EVT_RECONNECTED", 1, 10*time.Second)
	if p.count("EVT_UNUSABLE_TOKEN") != 0 || !p.eval("T.loggedOut === undefined").Bool() {
		t.Fatalf("server restart logged the user out: %v", p.events())
	}
}

func TestCloseLeavesNothingBehind(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	base := p.eval("kiss.websocket._debug()")
	baseGoroutines := base.Get("goroutines").Int()
	if _, err := p.await("kiss.websocket.init(" + fast + ")"); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	if _, err := p.await("kiss.websocket.close()"); err != nil {
		t.Fatal(err)
	}
	p.waitEvent("EVT_CONNECTION_CLOSED", 1, 5*time.Second)
	p.waitTrue(`(function (d) { return d.funcs === 0 && d.listeners === 0 && d.goroutines <= `+strconv.Itoa(baseGoroutines)+`; })(kiss.websocket._debug())`, 5*time.Second)
	d := p.eval("kiss.websocket._debug()")
	if f, l := d.Get("funcs").Int(), d.Get("listeners").Int(); f != 0 || l != 0 {
		t.Fatalf("after close: %d js.Funcs, %d listeners", f, l)
	}
	if g := d.Get("goroutines").Int(); g > baseGoroutines {
		t.Fatalf("after close: %d goroutines, %d before init", g, baseGoroutines)
	}
	// and a later init works again (KissJS stayed dead until a reload)
	v, err := p.await("kiss.websocket.init(" + fast + ")")
	if err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init after close: %v %v", v, err)
	}
	if p.count("EVT_CONNECTED") != 2 {
		t.Fatalf("a fresh init must report EVT_CONNECTED: %v", p.events())
	}
}
