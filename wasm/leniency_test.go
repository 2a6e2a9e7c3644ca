//go:build js && wasm

package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// KissJS's own callers (kiss.session.restore, login, the token refresh) pass
// the ports read back from localStorage, strings or null, and swallow a
// rejected init: init must take every KissJS field as KissJS would run it,
// with one console warning for a value that cannot mean anything.

// warnings counts the console lines since T.mark that warn about field
// ("": about any field of init), and returns all those lines.
func (p *page) warnings(field string) (n int, out []string) {
	p.t.Helper()
	prefix := "kiss.websocket: init: "
	if field != "" {
		prefix += field + " "
	}
	out = stringsOf(p.eval("T.console.slice(T.mark)"))
	for _, l := range out {
		if strings.Contains(l, prefix) {
			n++
		}
	}
	return n, out
}

// closeAndWait closes the client and waits until it has stopped and its
// socket is CLOSED, so the next init opens a new connection.
func (p *page) closeAndWait() {
	p.t.Helper()
	p.eval("kiss.websocket.close()")
	p.waitTrue(`kiss.websocket.stats().state === "closed" && kiss.websocket.connection.readyState === WebSocket.CLOSED`, 5*time.Second)
}

func TestInitTakesWhatKissJSCallersPass(t *testing.T) {
	p := newPage(t, pageOpts{kissjs: true})
	cases := []struct {
		cfg   string
		field string // the field warned about, "" for none
	}{
		{`{port: "80", sslPort: null}`, ""}, // restore() after a login stored the ports
		{`{port: null, sslPort: null}`, ""}, // restore() with nothing stored
		{`{port: "", sslPort: "443"}`, ""},
		{`{port: "abc"}`, "port"},
		{`{port: -1}`, "port"},
		{`{port: 10n}`, "port"},
		{`{sslPort: {}}`, "sslPort"},
		{`{socketUrl: 42}`, "socketUrl"},
		{`{onopen: 42}`, "onopen"},
		{`{onclose: "x"}`, "onclose"},
		{`{reconnection: {delay: NaN}}`, "reconnection.delay"},
		{`{reconnection: {delay: 1e300}}`, "reconnection.delay"},
		{`{reconnection: {delay: Infinity}}`, "reconnection.delay"},
		{`{reconnection: {delay: Symbol("x")}}`, "reconnection.delay"},
		{`{reconnection: {delta: -1}}`, "reconnection.delta"},
		{`{reconnection: {maxAttempts: -1}}`, "reconnection.maxAttempts"},
		{`{reconnection: {maxAttempts: 1.5}}`, ""},
		{`{reconnection: false}`, "reconnection"},
		{`{heartbeat: {enabled: "yes"}}`, "heartbeat.enabled"},
		{`{heartbeat: {delay: 60000}}`, ""}, // longer than the default timeout: KissJS runs it
		{`{heartbeat: {delay: "10000", timeout: " 35000 "}, reconnection: {enabled: 1, delay: "50", delta: "0", maxAttempts: "10"}}`, ""},
		{`"nonsense"`, "config"},
	}
	for i, tc := range cases {
		p.eval("T.mark = T.console.length")
		up := state(t, p.user).Upgrades
		v, err := p.await("kiss.websocket.init(" + tc.cfg + ").then(String, function (e) { return e.name + ': ' + e.message; })")
		if err != nil {
			t.Fatal(err)
		}
		if v.String() != "true" {
			t.Errorf("init(%s): %q, want true", tc.cfg, v.String())
			continue
		}
		if p.eval("kiss.websocket.connection.readyState").Int() != 1 || state(t, p.user).Upgrades != up+1 {
			t.Errorf("init(%s) resolved true but is not connected", tc.cfg)
		}
		all, out := p.warnings("")
		if tc.field == "" {
			if all != 0 {
				t.Errorf("init(%s): warned %q", tc.cfg, out)
			}
		} else if n, _ := p.warnings(tc.field); n != 1 || all != 1 {
			t.Errorf("init(%s): %d warnings naming %s (%d in all), want exactly one: %q", tc.cfg, n, tc.field, all, out)
		}
		if i < len(cases)-1 {
			p.closeAndWait()
		}
	}
	// "abc" could have been a token: the warning shows no string's content
	if out := strings.Join(stringsOf(p.eval("T.console")), "\n"); strings.Contains(out, "abc") || strings.Contains(out, "nonsense") {
		t.Errorf("a warning repeats a string: %q", out)
	}
}

// restore() on a cold page, with the ports stored as strings and a host
// without a port: the socket init() makes while the wasm loads goes where Go
// would send it (the string is the port), and the wasm adopts it.
func TestColdInitWithPortsAsStrings(t *testing.T) {
	host, port, _ := strings.Cut(serverHost(), ":")
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("server host %q has no port", serverHost())
	}
	p := newPage(t, pageOpts{kissjs: true, before: `
		kiss.session.host = ` + jsString(host) + `;
		T.cold = kiss.websocket.stats() === undefined;
		T.mark = T.console.length;
		T.p = kiss.websocket.init({port: ` + jsString(port) + `, sslPort: null}).then(String, function (e) { return e.name + ": " + e.message; });
		T.sock = kiss.websocket.connection;
	`})
	if v, err := p.await("T.p"); err != nil || v.String() != "true" {
		t.Fatalf("init: %v %v, want true", v, err)
	}
	want := "ws://" + host + ":" + port + "/?token="
	if got := p.eval("T.sock.url").String(); !strings.HasPrefix(got, want) {
		t.Fatalf("socket made at init: %q, want %s...", strings.ReplaceAll(got, p.token, "<TOKEN>"), want)
	}
	if !p.eval("kiss.websocket.connection === T.sock && T.sock.readyState === 1").Bool() {
		t.Fatal("the wasm did not adopt the socket init() made")
	}
	if s := state(t, p.user); s.Upgrades != 1 {
		t.Fatalf("%d upgrades, want 1", s.Upgrades)
	}
	if n, out := p.warnings(""); n != 0 {
		t.Fatalf("warned: %q", out)
	}
	// once the wasm is there too: spaces around the digits, and a sslPort
	// that cannot mean anything (unused here: the session is not secure)
	p.closeAndWait()
	p.eval("T.mark = T.console.length")
	v, err := p.await(`kiss.websocket.init({port: " ` + port + ` ", sslPort: "abc"}).then(String, function (e) { return e.name + ": " + e.message; })`)
	if err != nil || v.String() != "true" {
		t.Fatalf("init: %v %v, want true", v, err)
	}
	if got := p.eval("kiss.websocket.connection.url").String(); !strings.HasPrefix(got, want) {
		t.Fatalf("socket: %q, want %s...", strings.ReplaceAll(got, p.token, "<TOKEN>"), want)
	}
	if n, out := p.warnings("sslPort"); n != 1 {
		t.Fatalf("%d warnings naming sslPort, want 1: %q", n, out)
	}
	if !p.eval("T.cold").Bool() {
		t.Log("the wasm was ready before the loader's next script ran: the cold path was not exercised")
	}
}
