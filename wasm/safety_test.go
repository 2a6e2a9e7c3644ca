//go:build js && wasm

package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The tests in this file pin down where our build must never be less safe
// than KissJS: the session token goes to no origin it was not meant for,
// and no message of one session is sent in another.

// recorded is GET /test/recorder: every request the second origin got.
type recorded struct {
	URL, WS  string
	Requests []struct {
		Method, URI, Body string
		Headers           map[string][]string
	}
	Frames  []string
	Sockets int
}

func recorderState(t *testing.T) recorded {
	t.Helper()
	resp, err := http.Get(serverURL + "/test/recorder")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r recorded
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.WS == "" {
		t.Fatalf("no recorder: %v", err)
	}
	return r
}

// sawToken reports where the recorder saw tok, if anywhere.
func (r recorded) sawToken(tok string) string {
	for _, q := range r.Requests {
		if strings.Contains(q.URI, tok) {
			return q.Method + " " + strings.ReplaceAll(q.URI, tok, "<TOKEN>")
		}
		if strings.Contains(q.Body, tok) {
			return q.Method + " " + q.URI + " body"
		}
		for name, vs := range q.Headers {
			for _, v := range vs {
				if strings.Contains(v, tok) {
					return q.Method + " " + q.URI + " header " + name
				}
			}
		}
	}
	for _, f := range r.Frames {
		if strings.Contains(f, tok) {
			return "a frame"
		}
	}
	return ""
}

func (r recorded) asked(path string) int {
	n := 0
	for _, q := range r.Requests {
		if strings.HasPrefix(q.URI, path) && q.Method != http.MethodOptions {
			n++
		}
	}
	return n
}

// feedPage opens a page whose socketUrl is the recorder (a third-party
// origin), as in the kiss.websocket documentation's exchange-feed example,
// then has the feed drop the socket (a 1006 with an empty reason) and
// refuse one upgrade, and waits for the reconnection.
func feedPage(t *testing.T, kissjs bool, path string) (*page, recorded) {
	t.Helper()
	control(t, "/test/recorder/reset", nil)
	t.Cleanup(func() { control(t, "/test/recorder/refuse", url.Values{"on": {"0"}}) })
	rs := recorderState(t)
	p := newPage(t, pageOpts{kissjs: kissjs})
	p.eval(`localStorage.setItem("session-token", T.token);`)
	t.Cleanup(func() { p.eval(`localStorage.removeItem("session-token")`) })
	v, err := p.await(`kiss.websocket.init({socketUrl: ` + jsString(rs.WS+path) + `, reconnection: {delay: 50, delta: 0},
		onopen: function () { kiss.websocket.send({action: "SUBSCRIBE", channel: "feed"}); }})`)
	if err != nil || !v.Equal(trueValue()) {
		t.Fatalf("init: %v %v", v, err)
	}
	p.waitEvent("feed", 1, 5*time.Second)
	control(t, "/test/recorder/refuse", url.Values{"on": {"1"}})
	control(t, "/test/recorder/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	p.waitTrue("kiss.websocket.stats().attempt >= 2", 5*time.Second) // a refused upgrade: 1006 again
	control(t, "/test/recorder/refuse", url.Values{"on": {"0"}})
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	p.waitEvent("feed", 2, 5*time.Second)
	return p, recorderState(t)
}

func TestThirdPartyFeedNeverSeesTheToken(t *testing.T) {
	for _, c := range []struct {
		name   string
		kissjs bool
	}{{"KissJS page", true}, {"no KissJS", false}} {
		t.Run(c.name, func(t *testing.T) {
			p, rs := feedPage(t, c.kissjs, "/feed")
			if where := rs.sawToken(p.token); where != "" {
				t.Fatalf("the third-party origin saw the token: %s", where)
			}
			if n := rs.asked("/checkTokenValidity") + rs.asked("/refreshToken"); n != 0 {
				t.Fatalf("%d token requests to the third-party origin", n)
			}
			if lc := p.eval("kiss.websocket.stats().lastCloseCode").Int(); lc != 1006 {
				t.Fatalf("last close %d, want the 1006 of the refused upgrade", lc)
			}
		})
	}
}

// A socketUrl ending in "token=" gives the token to its origin; on a KissJS
// page the token check still goes to kiss.session.host, never there.
func TestTokenCheckGoesToTheSessionHost(t *testing.T) {
	p, rs := feedPage(t, true, "/?token=")
	if where := rs.sawToken(p.token); !strings.HasPrefix(where, "GET /?token=") {
		t.Fatalf("the token reached the feed as %q, want only in its socket URL", where)
	}
	for _, q := range rs.Requests {
		if len(q.Headers["Authorization"]) > 0 || q.URI != "/?token="+url.QueryEscape(p.token) {
			t.Fatalf("the feed got %s %s (authorization %q)", q.Method, q.URI, q.Headers["Authorization"])
		}
	}
}

// Without KissJS the check goes to the origin the socket URL already gives
// the token to, and to no other.
func TestTokenCheckWithoutKissJSGoesToTheSocketOrigin(t *testing.T) {
	p, rs := feedPage(t, false, "/?token=")
	if n := rs.asked("/checkTokenValidity"); n != 1 {
		t.Fatalf("%d token checks at the socket's origin, want 1 for the outage", n)
	}
	for _, q := range rs.Requests {
		if q.URI == "/checkTokenValidity" && q.Method == http.MethodGet {
			if got := q.Headers["Authorization"]; len(got) != 1 || got[0] != "Bearer "+p.token {
				t.Fatalf("check without the bearer token: %d headers", len(got))
			}
		}
	}
}

// sessionSwitch is the logout/login sequence of the fidelity issue: the
// socket drops; while reconnecting the page sends for user A; A logs out,
// B logs in and init() runs. A's messages must not go out as B.
func TestSessionSwitchNeverSendsAMessageInAnotherSession(t *testing.T) {
	for _, c := range []struct {
		name   string
		kissjs bool
	}{{"KissJS page", true}, {"no KissJS", false}} {
		t.Run(c.name, func(t *testing.T) {
			p := newPage(t, pageOpts{kissjs: c.kissjs})
			p.eval(`localStorage.setItem("session-token", T.token);
				T.cfg = ` + fast + `;
				if (!T.kiss.session) T.cfg.socketUrl = ` + jsString("ws://"+serverHost()+"/?token=") + `;`)
			t.Cleanup(func() { p.eval(`localStorage.removeItem("session-token")`) })
			if _, err := p.await("kiss.websocket.init(T.cfg)"); err != nil {
				t.Fatal(err)
			}
			control(t, "/test/refuse", url.Values{"status": {"503"}})
			t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
			control(t, "/test/drop", nil)
			p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
			p.eval(`kiss.websocket.send({channel: "secret-of-A", n: 1}); kiss.websocket.send({channel: "secret-of-A", n: 2});`)
			if n := p.eval("kiss.websocket.stats().queued").Int(); n != 2 {
				t.Fatalf("%d queued, want 2", n)
			}

			userB := p.user + "-B"
			tokB := login(t, userB)
			if c.kissjs {
				p.eval(`kiss.session.reset();`) // no close(): the socket is already closed
				p.eval(`T.token = ` + jsString(tokB) + `; T.userId = ` + jsString(userB) + `;`)
			} else {
				p.eval(`localStorage.setItem("session-token", ` + jsString(tokB) + `);`)
			}
			control(t, "/test/refuse", url.Values{"status": {"0"}})
			p.eval(`T.reinit = kiss.websocket.init(T.cfg);`)
			eventuallyTrue(t, 5*time.Second, "B's socket open", func() bool {
				for _, cs := range state(t, userB).Conns {
					if cs.Open {
						return true
					}
				}
				return false
			})
			onlyBsMessageWentOut(t, p, userB, 2)
			var warned []string
			for _, l := range stringsOf(p.eval("T.console")) {
				if strings.Contains(l, "discarded") {
					warned = append(warned, l)
				}
				if strings.Contains(l, tokB) {
					t.Fatal("B's token in the console")
				}
			}
			if len(warned) != 1 || !strings.Contains(warned[0], "2 queued") || strings.Contains(warned[0], "secret") {
				t.Fatalf("warnings %q, want one that counts 2 and quotes nothing", warned)
			}
		})
	}
}

// onlyBsMessageWentOut sends as B once B's socket is open and checks that
// the server got that message alone, nothing of A (p.user), and that the
// client counted discarded messages of A.
func onlyBsMessageWentOut(t *testing.T, p *page, userB string, discarded int) {
	t.Helper()
	p.waitTrue(`kiss.websocket.state === "open"`, 5*time.Second)
	p.eval(`kiss.websocket.send({channel: "from-B"});`)
	p.waitEvent("from-B", 1, 5*time.Second)
	if got := state(t, userB).Received; len(got) != 1 || !strings.Contains(got[0], "from-B") {
		t.Fatalf("B's sockets received %q", got)
	}
	if got := state(t, p.user).Received; len(got) != 0 {
		t.Fatalf("A's sockets received %q after the drop", got)
	}
	if n := p.eval("kiss.websocket.stats().discarded").Int(); n != discarded {
		t.Fatalf("stats().discarded = %d, want %d", n, discarded)
	}
}

// A token refreshed for the same user (498, then POST /refreshToken) is the
// same session: what was queued goes out on the new socket.
func TestRefreshedTokenKeepsTheOutbox(t *testing.T) {
	p, tok := refreshPage(t)
	control(t, "/test/expire", url.Values{"token": {tok}})
	control(t, "/test/refuse", url.Values{"status": {"503"}})
	t.Cleanup(func() { control(t, "/test/refuse", url.Values{"status": {"0"}}) })
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
	p.eval(`kiss.websocket.send({channel: "kept"});`)
	control(t, "/test/refuse", url.Values{"status": {"0"}})
	p.waitEvent("EVT_RECONNECTED", 1, 5*time.Second)
	p.waitEvent("kept", 1, 5*time.Second)
	if fresh := p.eval(`localStorage.getItem("session-token")`).String(); fresh == tok {
		t.Fatal("the token was not refreshed")
	}
	if n := p.eval("kiss.websocket.stats().discarded").Int(); n != 0 {
		t.Fatalf("%d discarded across a refresh of the same user", n)
	}
}

// The refresh body is JSON.stringify's: a refresh token with a control
// character still makes a body the server can read (it answers 401 for the
// unknown refresh token, an unusable session), not a 400 for broken JSON.
func TestRefreshBodyIsJSONForAnyRefreshToken(t *testing.T) {
	p := newPage(t, pageOpts{})
	p.eval(`localStorage.setItem("session-token", T.token); localStorage.setItem("session-refresh-token", "a\u0001\"b\\");`)
	t.Cleanup(func() {
		p.eval(`localStorage.removeItem("session-token"); localStorage.removeItem("session-refresh-token")`)
	})
	if _, err := p.await(`kiss.websocket.init({socketUrl: "ws://` + serverHost() + `/?token=", reconnection: {delay: 50, delta: 0}})`); err != nil {
		t.Fatal(err)
	}
	control(t, "/test/expire", url.Values{"token": {p.token}})
	control(t, "/test/drop", nil)
	p.waitEvent("EVT_UNUSABLE_TOKEN", 1, 5*time.Second)
}
