//go:build js && wasm

package main

import (
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"
)

// The browser tests load the real loader and the real wasm from the dev
// server (started by `make test-browser`, its URL in KISS_SERVER_URL) into a
// fresh iframe per test, exactly as a page would. This test binary is only
// the harness that drives those pages.

// pages numbers the pages, so each has its own server-side user.
var pages int

var serverURL = strings.TrimRight(os.Getenv("KISS_SERVER_URL"), "/")

func serverHost() string { return strings.TrimPrefix(serverURL, "http://") }

// page is one iframe with the loader in it.
type page struct {
	t      *testing.T
	frame  js.Value
	win    js.Value
	token  string
	user   string
	tokens []string     // every token the page may hold: none may reach the console
	loads  atomic.Int32 // the iframe's load events: 1, then one per reload
}

type pageOpts struct {
	kissjs  bool              // declare `const kiss` like KissJS does
	standin bool              // KissJS's callers: testdata/kissjs.js (kiss.session, kiss.app, kiss.pubsub)
	storage map[string]string // localStorage before the page loads (standin pages start from none)
	head    string            // script run first, before KissJS and the loader (e.g. to wrap WebSocket)
	wasm    string            // data-wasm override
	before  string            // script run right after the loader's script tag, synchronously
	app     string            // script run last, as the app's own (kiss.app.init on standin pages)
	noWait  bool              // do not wait for kiss.websocket.ready

	// Where the KissJS fixture goes (with kissjs): by default inline, before
	// the loader's tag. With kissjsAfter it comes right after the loader's
	// tag (before `before`); kissjsSrc makes it an external script ("src",
	// from a data: URL) or a deferred one ("defer", and `before` then runs
	// as a deferred script after it); kissjsStart ends the fixture's own
	// script with kiss.app.init(), as a bundle that starts the app itself.
	kissjsAfter bool
	kissjsSrc   string
	kissjsStart bool
}

// kissJS is the stand-in for KissJS's callers of kiss.websocket.
//
//go:embed testdata/kissjs.js
var kissJS string

// recordPublishes has the test see every publish on a standin page.
const recordPublishes = `T.kiss = kiss;
(function () {
  var publish = kiss.pubsub.publish;
  kiss.pubsub.publish = function (ch, data) {
    T.events.push([ch === undefined ? null : ch, data]);
    return publish.apply(this, arguments);
  };
})();`

// clearStorage removes the keys of KissJS's session and of ours from
// localStorage, which every iframe of the harness shares: a standin page
// starts and ends without them.
func clearStorage() {
	ls := js.Global().Get("localStorage")
	for i := ls.Get("length").Int() - 1; i >= 0; i-- {
		k := ls.Call("key", i)
		if k.IsNull() {
			continue
		}
		if key := k.String(); strings.HasPrefix(key, "session-") || strings.HasPrefix(key, "kiss-websocket-") {
			ls.Call("removeItem", key)
		}
	}
}

// consoleCapture records everything the page prints, to check no token leaks.
const consoleCapture = `window.T = {events: [], console: [], token: ""};
for (const m of ["log", "info", "warn", "error", "debug"]) {
  const orig = console[m].bind(console);
  console[m] = function () { T.console.push(Array.from(arguments).map(String).join(" ")); orig.apply(null, arguments); };
}`

// kissFixture is a KissJS-like kiss object: a top-level const (not
// window.kiss) with pubsub semantics of KissJS, a session, KissJS's start-up
// (kiss.app.init calls kiss.session.restore(), which calls
// kiss.websocket.init with the stored ports and swallows a rejection) and a
// stand-in for KissJS's own client, which the loader replaces: it counts its
// inits in T.kissjsClient and makes its socket at once, as KissJS's does.
const kissFixture = `const kiss = {
  context: {},
  app: {
    init: function () { return kiss.session.restore(); }
  },
  websocket: {
    connection: {},
    init: function () {
      T.kissjsClient = (T.kissjsClient || 0) + 1;
      this.connection = new WebSocket("ws://" + kiss.session.host + "/?token=" + T.token);
      return Promise.resolve();
    },
    close: function () { this.connection.close(4003, "DEFINITIVE_CLOSE"); }
  },
  session: {
    host: %HOST%, secure: false,
    // No session-ws.port or session-ws.sslPort stored: both null.
    restore: function () {
      if (!T.token) return Promise.resolve();
      return kiss.websocket.init({port: null, sslPort: null}).then(
        function (r) { T.restored = r; },
        function (e) { T.restored = "rejected: " + e.message; });
    },
    getToken: function () { return T.token; },
    getUserId: function () { return T.userId; },
    // As KissJS: close() only when the socket is not closed already.
    reset: function () {
      if (kiss.websocket.connection.readyState !== WebSocket.CLOSED) kiss.websocket.close();
      T.token = ""; T.userId = "";
    },
    logout: function () { T.loggedOut = (T.loggedOut || 0) + 1; }
  },
  pubsub: {
    subs: {}, n: 0,
    subscribe: function (ch, fn) { var id = "s" + (++this.n); (this.subs[ch] = this.subs[ch] || []).push({id: id, fn: fn}); return id; },
    unsubscribe: function (id) { for (var k in this.subs) this.subs[k] = this.subs[k].filter(function (s) { return s.id !== id; }); },
    publish: function (ch, data) {
      T.events.push([ch === undefined ? null : ch, data]);
      var l = (this.subs[ch] || []).slice(), a = (this.subs["*"] || []).slice();
      for (var i = 0; i < l.length; i++) try { l[i].fn(data); } catch (e) { console.error("subscriber: " + e.message); }
      for (var j = 0; j < a.length; j++) try { a[j].fn(data); } catch (e) { console.error("subscriber: " + e.message); }
    }
  }
};
T.kiss = kiss;`

// ownEvents records events on a page without KissJS through on().
const ownEvents = `T.kiss = window.kiss;
["EVT_CONNECTED","EVT_RECONNECTED","EVT_DISCONNECTED","EVT_RECONNECTING","EVT_CONNECTION_LOST",
 "EVT_CONNECTION_CLOSED","EVT_UNUSABLE_TOKEN","EVT_SERVER_GONE"].forEach(function (n) {
  kiss.websocket.on(n, function (d) { T.events.push([n, d]); });
});
kiss.websocket.on("*", function (d) { if (d && d.websocket) T.events.push([d.channel === undefined ? null : d.channel, d]); });`

func newPage(t *testing.T, o pageOpts) *page {
	t.Helper()
	if serverURL == "" {
		t.Skip("KISS_SERVER_URL is not set: run `make test-browser`")
	}
	p := &page{t: t}
	pages++
	p.user = strings.ReplaceAll(t.Name(), "/", "_") + "-" + strconv.Itoa(pages)
	p.token = login(t, p.user)
	p.tokens = []string{p.token}
	if o.standin {
		clearStorage()
		for k, v := range o.storage {
			js.Global().Get("localStorage").Call("setItem", k, v)
		}
	}
	// The token is there before any script runs, as a logged-in KissJS
	// page has it in localStorage: init() on a cold page reads it at once.
	html := "<!doctype html><meta charset=utf-8><script>" + consoleCapture + "\nT.token = " + jsString(p.token) +
		"; T.userId = " + jsString(p.user) + ";</script>"
	if o.head != "" {
		html += "<script>" + o.head + "</script>"
	}
	fixture := ""
	switch {
	case o.standin:
		html += "<script>" + kissJS + "</script><script>" + recordPublishes + "</script>"
	case o.kissjs:
		code := strings.ReplaceAll(kissFixture, "%HOST%", jsString(serverHost()))
		if o.kissjsStart {
			code += "\nT.started = kiss.app.init();"
		}
		fixture = scriptTag(code, o.kissjsSrc)
	}
	if !o.kissjsAfter {
		html += fixture
	}
	script := `<script src="` + serverURL + `/kiss-websocket.js"`
	if o.wasm != "" {
		script += ` data-wasm="` + o.wasm + `"`
	}
	html += script + "></script>"
	if o.kissjsAfter {
		html += fixture
	}
	if !o.kissjs && !o.standin {
		html += "<script>" + ownEvents + "</script>"
	}
	if o.before != "" {
		mode := ""
		if o.kissjsSrc == "defer" {
			mode = "defer"
		}
		html += scriptTag(o.before, mode)
	}
	if o.app != "" {
		html += "<script>" + o.app + "</script>"
	}
	doc := js.Global().Get("document")
	p.frame = doc.Call("createElement", "iframe")
	loaded := make(chan struct{})
	onload := js.FuncOf(func(js.Value, []js.Value) any { close(loaded); return nil })
	defer onload.Release()
	p.frame.Set("onload", onload)
	counter := js.FuncOf(func(js.Value, []js.Value) any { p.loads.Add(1); return nil })
	p.frame.Call("addEventListener", "load", counter)
	t.Cleanup(func() {
		p.frame.Call("removeEventListener", "load", counter)
		counter.Release()
		if o.standin {
			clearStorage()
		}
	})
	p.frame.Set("srcdoc", html)
	doc.Get("body").Call("appendChild", p.frame)
	select {
	case <-loaded:
	case <-time.After(10 * time.Second):
		t.Fatal("iframe did not load")
	}
	p.frame.Set("onload", js.Null())
	p.win = p.frame.Get("contentWindow")
	t.Cleanup(p.cleanup)
	if !o.noWait {
		if _, err := p.await("T.kiss.websocket.ready"); err != nil {
			t.Fatalf("kiss.websocket.ready: %v", err)
		}
	}
	return p
}

// scriptTag is code as an inline script (mode ""), or as an external one
// from a data: URL, run in document order ("src") or after parsing
// ("defer").
func scriptTag(code, mode string) string {
	if mode == "" {
		return "<script>" + code + "</script>"
	}
	src := dataURL(code)
	attr := ""
	if mode == "defer" {
		attr = " defer"
	}
	return `<script src="` + src + `"` + attr + `></script>`
}

// dataURL is a data: URL of the script code, fit for an HTML attribute ("&"
// is left alone by PathEscape but not by the attribute).
func dataURL(code string) string {
	return "data:text/javascript;charset=utf-8," + strings.ReplaceAll(url.PathEscape(code), "&", "%26")
}

// secret adds a token the page holds now (a login, a refresh): cleanup
// checks that it never reached the console either.
func (p *page) secret(token string) { p.tokens = append(p.tokens, token) }

// cleanup checks that no token reached the console, then removes the frame.
func (p *page) cleanup() {
	if v, err := p.evalErr(`localStorage.getItem("session-token")`); err == nil && v.Type() == js.TypeString {
		p.secret(v.String())
	}
	out := p.win.Get("T").Get("console")
	st, stErr := p.evalErr(`JSON.stringify(T.kiss.websocket.stats() || {})`)
	for _, tok := range p.tokens {
		if tok == "" {
			continue
		}
		for i := 0; i < out.Length(); i++ {
			if line := out.Index(i).String(); strings.Contains(line, tok) {
				p.t.Errorf("a token appeared in console output: %q", strings.ReplaceAll(line, tok, "<TOKEN>"))
			}
		}
		if stErr == nil && strings.Contains(st.String(), tok) {
			p.t.Error("a token appeared in stats()")
		}
	}
	_, _ = p.evalErr(`try { T.kiss.websocket.close(); } catch (e) {}`)
	p.frame.Call("remove")
}

// eval runs JavaScript in the page and returns its value.
func (p *page) eval(code string) js.Value {
	p.t.Helper()
	v, err := p.evalErr(code)
	if err != nil {
		p.t.Fatalf("eval %q: %v", code, err)
	}
	return v
}

func (p *page) evalErr(code string) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = je
				return
			}
			panic(r)
		}
	}()
	return p.win.Call("eval", code), nil
}

// await evaluates code to a promise and waits for it (10 s at most).
func (p *page) await(code string) (js.Value, error) {
	p.t.Helper()
	prom, err := p.evalErr("Promise.resolve(" + code + ")")
	if err != nil {
		return js.Undefined(), err
	}
	type out struct {
		v   js.Value
		err error
	}
	ch := make(chan out, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- out{v: a[0]}; return nil })
	bad := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- out{err: js.Error{Value: a[0]}}; return nil })
	defer ok.Release()
	defer bad.Release()
	prom.Call("then", ok, bad)
	select {
	case o := <-ch:
		return o.v, o.err
	case <-time.After(10 * time.Second):
		return js.Undefined(), errTimeout
	}
}

type timeoutError struct{}

func (timeoutError) Error() string { return "timed out" }

var errTimeout error = timeoutError{}

// events returns the channels published so far, in order.
func (p *page) events() []string {
	ev := p.win.Get("T").Get("events")
	names := make([]string, ev.Length())
	for i := range names {
		c := ev.Index(i).Index(0)
		if c.IsNull() {
			names[i] = "<none>"
		} else {
			names[i] = c.String()
		}
	}
	return names
}

// waitEvent waits until the n-th (1-based) occurrence of channel is published.
func (p *page) waitEvent(channel string, n int, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		count := 0
		for _, e := range p.events() {
			if e == channel {
				count++
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %v for %s #%d; events: %v", within, channel, n, p.events())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitTrue polls a JavaScript condition.
func (p *page) waitTrue(cond string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for !p.eval("!!(" + cond + ")").Bool() {
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %v for %s; events: %v", within, cond, p.events())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *page) count(channel string) int {
	n := 0
	for _, e := range p.events() {
		if e == channel {
			n++
		}
	}
	return n
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// control calls one of the dev server's /test/ controls.
func control(t *testing.T, path string, q url.Values) []byte {
	t.Helper()
	resp, err := http.Post(serverURL+path+"?"+q.Encode(), "text/plain", nil)
	if err != nil {
		t.Fatalf("control %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("control %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

func login(t *testing.T, user string) string {
	tok, _ := loginPair(t, user)
	return tok
}

// loginPair returns a fresh token and refresh token for user.
func loginPair(t *testing.T, user string) (token, refresh string) {
	t.Helper()
	var s struct {
		Token, RefreshToken string
	}
	body := control(t, "/test/login", url.Values{"user": {user}})
	if err := json.Unmarshal(body, &s); err != nil || s.Token == "" {
		t.Fatalf("login: %v %s", err, body)
	}
	return s.Token, s.RefreshToken
}

// raw makes the server send one frame as given to user's sockets.
func raw(t *testing.T, user, frame string, binary bool) {
	t.Helper()
	q := url.Values{"user": {user}}
	if binary {
		q.Set("binary", "1")
	}
	resp, err := http.Post(serverURL+"/test/raw?"+q.Encode(), "application/octet-stream", strings.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("raw frame: %d", resp.StatusCode)
	}
}

// connState is one server socket in GET /test/state.
type connState struct {
	ID       int64
	User     string
	Received []string
	Open     bool
}

// serverState is GET /test/state for a user.
type serverState struct {
	Conns      []connState
	MaxSockets int
	Upgrades   int
	Held       int // upgrades /test/hold keeps waiting (every user)
	Received   []string
}

func state(t *testing.T, user string) serverState {
	t.Helper()
	resp, err := http.Get(serverURL + "/test/state?user=" + url.QueryEscape(user))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s serverState
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func trueValue() js.Value { return js.ValueOf(true) }

func stringsOf(v js.Value) []string {
	out := make([]string, v.Length())
	for i := range out {
		out[i] = v.Index(i).String()
	}
	return out
}

// proxyURL is the ws:// address of the dev server's fault proxy.
func proxyURL(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(serverURL + "/test/proxy")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ URL string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.URL == "" {
		t.Fatalf("no fault proxy: %v", err)
	}
	return v.URL
}

// rawReached sends one raw text frame to the sockets named by q and returns
// how many it reached.
func rawReached(t *testing.T, q url.Values, frame string) int {
	t.Helper()
	resp, err := http.Post(serverURL+"/test/raw?"+q.Encode(), "text/plain", strings.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Reached int }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.Reached
}
