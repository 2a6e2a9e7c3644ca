//go:build js && wasm

package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// A KissJS app rarely calls kiss.websocket.init itself: kiss.app.init,
// kiss.session.login and KissJS's token refresh do, with the ports read back
// from localStorage (strings, or null). The tests in this file go through
// those callers (testdata/kissjs.js), as a real app does.

// loginReply is the answer of /login, /verifyToken and /refreshToken.
type loginReply struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
	UserID       string `json:"userId,omitempty"`
	WS           struct {
		Port    int `json:"port"`
		SSLPort int `json:"sslPort"`
	} `json:"ws"`
}

// newUser names a server-side user of this test alone.
func newUser(t *testing.T) string {
	pages++
	return strings.ReplaceAll(t.Name(), "/", "_") + "-" + strconv.Itoa(pages)
}

func serverLogin(t *testing.T, user string) loginReply {
	t.Helper()
	var r loginReply
	if err := json.Unmarshal(control(t, "/test/login", url.Values{"user": {user}}), &r); err != nil || r.Token == "" {
		t.Fatalf("login %s: %v", user, err)
	}
	return r
}

// stored is localStorage as kiss.session.init leaves it after the login r:
// every field a string; without ports, the ports absent (getItem: null).
func stored(r loginReply, ports bool) map[string]string {
	m := map[string]string{
		"session-token":         r.Token,
		"session-refresh-token": r.RefreshToken,
		"session-userId":        r.UserID,
		"session-expiresIn":     strconv.Itoa(r.ExpiresIn),
	}
	if ports {
		m["session-ws.port"] = strconv.Itoa(r.WS.Port)
		m["session-ws.sslPort"] = strconv.Itoa(r.WS.SSLPort)
	}
	return m
}

// kissApp opens a page with KissJS's callers whose app starts as a KissJS
// app does, with kiss.app.init() (T.started), against the dev server.
func kissApp(t *testing.T, o pageOpts) *page {
	t.Helper()
	o.standin = true
	o.app = `kiss.session.host = ` + jsString(serverHost()) + `; kiss.session.secure = false;
		T.started = kiss.app.init({});` + o.app
	return newPage(t, o)
}

// started waits for kiss.app.init to resolve (restore included).
func (p *page) started() {
	p.t.Helper()
	if _, err := p.await("T.started"); err != nil {
		p.t.Fatalf("kiss.app.init: %v", err)
	}
}

// noErrorLogged fails if KissJS logged an error (level 4): it swallows a
// rejected init that way, leaving the app without a socket.
func (p *page) noErrorLogged() {
	p.t.Helper()
	if got := p.eval(`JSON.stringify(log.entries.filter(function (e) { return e.level === 4; }))`).String(); got != "[]" {
		p.t.Fatalf("KissJS logged errors: %s", got)
	}
}

// openSockets counts user's sockets open at the server.
func openSockets(t *testing.T, user string) int {
	n := 0
	for _, c := range state(t, user).Conns {
		if c.Open {
			n++
		}
	}
	return n
}

func waitSockets(t *testing.T, user string, n int) {
	t.Helper()
	eventuallyTrue(t, 5*time.Second, strconv.Itoa(n)+" open socket(s) of "+user, func() bool { return openSockets(t, user) == n })
}

// Start-up: kiss.app.init restores the stored session and its socket, with
// the ports KissJS stored (strings) or none stored (null).
func TestKissJSStartUpRestoresTheSession(t *testing.T) {
	for _, ports := range []bool{true, false} {
		name := map[bool]string{true: "ports as strings", false: "ports null"}[ports]
		t.Run(name, func(t *testing.T) {
			user := newUser(t)
			r := serverLogin(t, user)
			p := kissApp(t, pageOpts{storage: stored(r, ports)})
			p.secret(r.Token)
			p.started()
			if got := p.eval(`typeof localStorage.getItem("session-ws.port") + ":" + typeof localStorage.getItem("session-ws.sslPort")`).String(); got != map[bool]string{true: "string:string", false: "object:object"}[ports] {
				t.Fatalf("stored ports: %s", got)
			}
			p.noErrorLogged()
			// restore() awaited init: the socket is open once kiss.app.init resolves
			if !p.eval(`kiss.websocket.connection instanceof WebSocket && kiss.websocket.connection.readyState === 1`).Bool() {
				t.Fatalf("after kiss.app.init: state %s, events %v", p.eval("kiss.websocket.state").String(), p.events())
			}
			if n := p.count("EVT_CONNECTED"); n != 1 {
				t.Fatalf("EVT_CONNECTED %d times: %v", n, p.events())
			}
			waitSockets(t, user, 1)
			p.eval(`kiss.websocket.send({channel: "restored"})`)
			p.waitEvent("restored", 1, 5*time.Second)
		})
	}
	t.Run("no session", func(t *testing.T) {
		p := kissApp(t, pageOpts{})
		p.started()
		if got := p.eval(`kiss.websocket.state + ":" + String(kiss.websocket.connection.readyState)`).String(); got != "idle:undefined" {
			t.Fatalf("without a stored token: %s, want no init at all", got)
		}
	})
}

// login() stores the session (ports as strings) and opens the socket.
func TestKissJSLoginConnects(t *testing.T) {
	p := kissApp(t, pageOpts{})
	p.started()
	user := newUser(t)
	if v, err := p.await(`kiss.session.login({username: ` + jsString(user) + `, password: "any"})`); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("login: %v %v", v, err)
	}
	p.noErrorLogged()
	port := strings.TrimPrefix(serverHost()[strings.LastIndex(serverHost(), ":"):], ":")
	if got := p.eval(`localStorage.getItem("session-ws.port") + "|" + kiss.session.getUserId()`).String(); got != port+"|"+user {
		t.Fatalf("stored port and user: %s, want %s|%s", got, port, user)
	}
	// login awaited init: the socket is open
	if !p.eval(`kiss.websocket.connection.readyState === 1`).Bool() {
		t.Fatalf("after login: state %s, events %v", p.eval("kiss.websocket.state").String(), p.events())
	}
	waitSockets(t, user, 1)
}

// recordInits has the test see every promise kiss.websocket.init returned.
const recordInits = `T.inits = [];
(function () {
  var init = kiss.websocket.init;
  kiss.websocket.init = function () { var r = init.apply(this, arguments); T.inits.push(r); return r; };
})();`

// A second login while the socket is open: KissJS's init returns early
// (undefined) and the socket stays; the next socket is the new user's.
func TestKissJSSecondLoginWhileConnected(t *testing.T) {
	userA, userB := newUser(t), newUser(t)
	p := kissApp(t, pageOpts{app: recordInits})
	p.started()
	if v, err := p.await(`kiss.session.login({username: ` + jsString(userA) + `})`); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("login A: %v %v", v, err)
	}
	p.eval(`T.sockA = kiss.websocket.connection;`)
	if v, err := p.await(`kiss.session.login({username: ` + jsString(userB) + `})`); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("login B: %v %v", v, err)
	}
	if v, err := p.await("T.inits[1]"); err != nil || !v.IsUndefined() {
		t.Fatalf("init while open resolved %v (%v), want undefined", v, err)
	}
	p.noErrorLogged()
	if !p.eval(`kiss.websocket.connection === T.sockA && T.sockA.readyState === 1 && kiss.session.getUserId() === ` + jsString(userB)).Bool() {
		t.Fatal("the second login replaced the open socket")
	}
	waitSockets(t, userA, 1)
	if n := openSockets(t, userB); n != 0 {
		t.Fatalf("%d sockets of B while A's is open", n)
	}
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	p.eval(`kiss.websocket.reconnect()`) // not the 5 s KissJS waits
	waitSockets(t, userB, 1)
	waitSockets(t, userA, 0)
}

// recordCloses records, in the harness (it outlives a reload), every
// close() the page calls on a WebSocket: [code, reason, readyState].
const recordCloses = `(function () {
  var rec = parent.kwsCloses = parent.kwsCloses || [];
  var close = WebSocket.prototype.close;
  WebSocket.prototype.close = function (code, reason) {
    rec.push([code, reason, this.readyState]);
    return close.apply(this, arguments);
  };
})();`

// reloaded waits until the page has reloaded (n loads in all) and its app
// has started again.
func (p *page) reloaded(n int) {
	p.t.Helper()
	eventuallyTrue(p.t, 5*time.Second, "the page reloaded", func() bool { return int(p.loads.Load()) >= n })
	p.waitTrue(`typeof T !== "undefined" && T.started`, 5*time.Second)
	p.started()
}

// loggedOut checks a page after a logout and reload: no session left, no
// socket, user "anonymous".
func (p *page) loggedOut(user string) {
	p.t.Helper()
	got := p.eval(`kiss.websocket.state + ":" + String(kiss.websocket.connection.readyState) + ":" + kiss.session.getUserId() + ":" +
		Object.keys(localStorage).filter(function (k) { return k.indexOf("session-") === 0; }).length`).String()
	if got != "idle:undefined:anonymous:0" {
		p.t.Fatalf("after the reload: %s, want idle:undefined:anonymous:0", got)
	}
	waitSockets(p.t, user, 0)
}

// logout(): GET /logout, close() then reset()'s close() while CLOSING,
// each a close(4003, "DEFINITIVE_CLOSE") on the socket, then the reload
// finds no session to restore.
func TestKissJSLogout(t *testing.T) {
	js.Global().Set("kwsCloses", js.Undefined())
	user := newUser(t)
	r := serverLogin(t, user)
	p := kissApp(t, pageOpts{storage: stored(r, true), head: recordCloses})
	p.secret(r.Token)
	p.started()
	waitSockets(t, user, 1)
	p.eval(`kiss.session.logout();`)
	p.reloaded(2)
	p.loggedOut(user)
	closes, _ := json.Marshal(jsArray(js.Global().Get("kwsCloses")))
	if want := `[[4003,"DEFINITIVE_CLOSE",1],[4003,"DEFINITIVE_CLOSE",2]]`; string(closes) != want {
		t.Fatalf("close() calls on the socket: %s, want %s", closes, want)
	}
	if st := tokenStatus(t, r.Token); st != http.StatusUnauthorized {
		t.Fatalf("the token after logout: %d, want 401 (GET /logout revokes it)", st)
	}
}

// jsArray copies a JavaScript array of arrays of scalars.
func jsArray(v js.Value) []any {
	if v.IsUndefined() || v.IsNull() {
		return nil
	}
	var s string
	s = js.Global().Get("JSON").Call("stringify", v).String()
	var out []any
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// tokenStatus asks the server's /checkTokenValidity about tok.
func tokenStatus(t *testing.T, tok string) int {
	t.Helper()
	req, err := http.NewRequest("GET", serverURL+"/checkTokenValidity", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An expired token is refreshed through kiss.session.getNewToken, whose
// kiss.session.init stores the new pair and calls init with string ports:
// the socket comes back with the new token, and what the page sent while
// the token was being refreshed goes out on it: the same login, whether it
// names a user or only has its token (our own refresh keeps the session).
func TestKissJSRefreshThroughGetNewToken(t *testing.T) {
	for _, withID := range []bool{true, false} {
		t.Run(map[bool]string{true: "user id", false: "token only"}[withID], func(t *testing.T) {
			user := newUser(t)
			r := serverLogin(t, user)
			st, tokenOnly := stored(r, true), ""
			if !withID {
				// a server that names no user: no user id stored, none in the refresh's answer
				delete(st, "session-userId")
				tokenOnly = `(function () {
					var init = kiss.session.init;
					kiss.session.init = function (data) { delete data.userId; return init.apply(this, arguments); };
				})();`
			}
			p := kissApp(t, pageOpts{storage: st, app: tokenOnly + `
				T.refreshes = 0;
				(function () {
					var get = kiss.session.getNewToken;
					kiss.session.getNewToken = function () {
						T.refreshes++;
						kiss.websocket.send({channel: "during-the-refresh"}); // the socket is down: queued
						T.queuedAtRefresh = kiss.websocket.stats().queued;
						return get.apply(this, arguments);
					};
				})();`})
			p.secret(r.Token)
			p.started()
			waitSockets(t, user, 1)
			control(t, "/test/expire", url.Values{"token": {r.Token}})
			control(t, "/test/drop", nil)
			p.waitEvent("during-the-refresh", 1, 5*time.Second) // echoed: it went out
			fresh := p.eval(`localStorage.getItem("session-token")`).String()
			p.secret(fresh)
			if fresh == r.Token || p.eval("T.refreshes").Int() != 1 || p.eval("T.queuedAtRefresh").Int() != 1 {
				t.Fatalf("refreshes %d, queued at the refresh %d, token changed %v: want one refresh through getNewToken, with the message queued",
					p.eval("T.refreshes").Int(), p.eval("T.queuedAtRefresh").Int(), fresh != r.Token)
			}
			if got := p.eval(`kiss.session.getUserId()`).String(); got != map[bool]string{true: user, false: "anonymous"}[withID] {
				t.Fatalf("user id %q", got)
			}
			p.noErrorLogged()
			waitSockets(t, user, 1)
			if got := state(t, user).Received; len(got) != 1 || !strings.Contains(got[0], "during-the-refresh") {
				t.Fatalf("the server received %q", got)
			}
			if n := p.eval("kiss.websocket.stats().discarded").Int(); n != 0 || p.count("EVT_UNUSABLE_TOKEN") != 0 {
				t.Fatalf("discarded %d; events %v", n, p.events())
			}
		})
	}
}

// A revoked token: EVT_UNUSABLE_TOKEN, to which KissJS answers with
// reset() and a reload; the page comes back logged out.
func TestKissJSUnusableTokenResetsAndReloads(t *testing.T) {
	user := newUser(t)
	r := serverLogin(t, user)
	p := kissApp(t, pageOpts{storage: stored(r, true)})
	p.secret(r.Token)
	p.started()
	waitSockets(t, user, 1)
	control(t, "/test/revoke", url.Values{"token": {r.Token}})
	control(t, "/test/drop", nil)
	p.reloaded(2)
	p.loggedOut(user)
	if n := p.eval(`Number(localStorage.getItem("kiss-websocket-resets"))`).Int(); n < 1 {
		t.Fatalf("reset() counted %d times", n)
	}
}

// The app's own refresh (kiss.session.checkTokenValidity(true) on a 498,
// as KissJS does after an API call) while the socket is open: init()
// returns early and the socket stays; the next socket uses the new token.
func TestKissJSAppRefreshWhileConnected(t *testing.T) {
	user := newUser(t)
	r := serverLogin(t, user)
	p := kissApp(t, pageOpts{storage: stored(r, true), app: recordInits})
	p.secret(r.Token)
	p.started()
	waitSockets(t, user, 1)
	p.eval(`T.sock = kiss.websocket.connection;`)
	control(t, "/test/expire", url.Values{"token": {r.Token}})
	if v, err := p.await(`kiss.session.checkTokenValidity(true)`); err != nil || !v.Equal(trueValue()) {
		t.Fatalf("checkTokenValidity(true): %v %v", v, err)
	}
	fresh := p.eval(`localStorage.getItem("session-token")`).String()
	p.secret(fresh)
	if fresh == r.Token {
		t.Fatal("the token was not refreshed")
	}
	if v, err := p.await("T.inits[T.inits.length - 1]"); err != nil || !v.IsUndefined() {
		t.Fatalf("init while open resolved %v (%v), want undefined", v, err)
	}
	p.noErrorLogged()
	if !p.eval(`kiss.websocket.connection === T.sock && T.sock.readyState === 1`).Bool() {
		t.Fatal("the refresh replaced the open socket")
	}
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	p.eval(`kiss.websocket.send({channel: "kept"}); kiss.websocket.reconnect();`)
	p.waitEvent("kept", 1, 5*time.Second) // the old token is expired: only the new one opens a socket
	if n := p.eval("kiss.websocket.stats().discarded").Int(); n != 0 {
		t.Fatalf("%d discarded after a refresh of the same user", n)
	}
}

// Tabs share localStorage: a reset() in one tab ends the session in every
// tab, even when the same user logs in again there. What another tab
// queued meanwhile is not sent with the new login.
func TestResetInAnotherTabEndsTheSession(t *testing.T) {
	user := newUser(t)
	r := serverLogin(t, user)
	again := serverLogin(t, user)
	b, _ := json.Marshal(again)
	tab1 := kissApp(t, pageOpts{storage: stored(r, true), head: closeOver})
	tab2 := kissApp(t, pageOpts{storage: stored(r, true)})
	for _, p := range []*page{tab1, tab2} {
		p.secret(r.Token)
		p.secret(again.Token)
		p.started()
	}
	waitSockets(t, user, 2)
	control(t, "/test/drop", nil)
	tab2.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	tab2.eval(`kiss.websocket.send({channel: "queued-in-tab-2"})`)
	if _, err := tab1.await(`(async function () {
		kiss.session.reset();
		await closeOver();
		await kiss.session.init(` + string(b) + `);
	})()`); err != nil {
		t.Fatal(err)
	}
	tab2.eval(`kiss.websocket.reconnect()`)
	waitSockets(t, user, 2)
	tab2.waitTrue(`kiss.websocket.state === "open"`, 5*time.Second)
	tab2.eval(`kiss.websocket.send({channel: "after"})`)
	tab2.waitEvent("after", 1, 5*time.Second)
	for _, m := range state(t, user).Received {
		if strings.Contains(m, "queued-in-tab-2") {
			t.Fatalf("a message of the ended session went out: %q", state(t, user).Received)
		}
	}
	if n := tab2.eval("kiss.websocket.stats().discarded").Int(); n != 1 {
		t.Fatalf("tab 2 discarded %d, want 1", n)
	}
}
