//go:build js && wasm

package main

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// closeOver resolves once the socket's close is over, in the browser
// (CLOSED) and for kiss.websocket: an init() while a close is being handled
// opens nothing, in KissJS and in ours.
const closeOver = `function closeOver() {
  return new Promise(function (resolve) {
    (function check() {
      if (kiss.websocket.connection.readyState === 2 || kiss.websocket.state === "closing") setTimeout(check, 10);
      else setTimeout(resolve, 0);
    })();
  });
}`

// shapeCase is one way a page names its login and changes it.
type shapeCase struct {
	name     string
	kissjs   bool // through KissJS's callers; else a page without KissJS (token in localStorage)
	userID   bool // the login answers carry a user id
	reset    bool // kiss.session.reset() before the next login (a logout)
	sameUser bool // the next login is the same user's (a new token)
}

var browserShapes = []shapeCase{
	{name: "user ids", kissjs: true, userID: true, reset: true},
	{name: "the same user again", kissjs: true, userID: true, reset: true, sameUser: true},
	{name: "anonymous", kissjs: true, reset: true},
	{name: "token only", kissjs: true},
	{name: "no KissJS"},
}

// A queued message goes out only on a socket of the login it was queued
// in, whatever names the login (a user id; with none, the token; every
// reset() ends one) and whenever the next login comes: while A's socket
// connects, while it is open, while it reconnects and after it gave up.
// Logins go through kiss.session.init (what login() and the refresh call)
// and kiss.session.reset(), on the KissJS stand-in.
func TestEveryIdentityShapeThroughKissJS(t *testing.T) {
	for _, phase := range []string{"connecting", "open", "reconnecting", "given up"} {
		for _, sh := range browserShapes {
			t.Run(phase+"/"+sh.name, func(t *testing.T) { shapeSwitch(t, phase, sh) })
		}
	}
}

func shapeSwitch(t *testing.T, phase string, sh shapeCase) {
	userA := newUser(t)
	userB := userA
	if !sh.sameUser {
		userB = newUser(t)
	}
	answer := func(user string) (string, string) {
		r := serverLogin(t, user)
		if !sh.userID {
			r.UserID = ""
		}
		b, _ := json.Marshal(r)
		return string(b), r.Token
	}
	ansA, tokA := answer(userA)
	ansB, tokB := answer(userB)
	var p *page
	var loginA, loginB string
	if sh.kissjs {
		p = kissApp(t, pageOpts{head: closeOver})
		p.started()
		loginA = `kiss.session.init(` + ansA + `)`
		loginB = `kiss.session.init(` + ansB + `)`
		if sh.reset {
			// reset() closes a socket that is not closed; the next login
			// comes once that close is over, as a user's does.
			loginB = `(async function () {
				kiss.session.reset();
				await closeOver();
				return ` + loginB + `;
			})()`
		}
	} else {
		p = newPage(t, pageOpts{})
		t.Cleanup(func() { p.eval(`localStorage.removeItem("session-token")`) })
		p.eval(`T.cfg = {socketUrl: ` + jsString("ws://"+serverHost()+"/?token=") + `};`)
		loginA = `(localStorage.setItem("session-token", ` + jsString(tokA) + `), kiss.websocket.init(T.cfg))`
		loginB = `localStorage.setItem("session-token", ` + jsString(tokB) + `)`
		if phase == "given up" {
			loginB += `, kiss.websocket.init(T.cfg)` // the client stopped: the page starts it again
		}
	}
	p.secret(tokA)
	p.secret(tokB)
	send := func(ch string) { p.eval(`kiss.websocket.send({channel: ` + jsString(ch) + `})`) }
	queued := func(n int) {
		t.Helper()
		if q := p.eval("kiss.websocket.stats().queued").Int(); q != n {
			t.Fatalf("%d queued in %s, want %d", q, phase, n)
		}
	}
	// newSocketForB: when B's login left A's socket in place (no reset
	// closed it), the socket drops, and the next one is B's.
	newSocketForB := func() {
		waitSockets(t, userA, 1)
		p.waitTrue(`kiss.websocket.state === "open"`, 5*time.Second)
		control(t, "/test/drop", nil)
		p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
		p.eval(`kiss.websocket.reconnect()`) // not the 5 s a KissJS reconnection waits
	}
	var wantA []string
	discarded := 2
	switch phase {
	case "connecting":
		control(t, "/test/hold", url.Values{"on": {"true"}})
		t.Cleanup(func() { control(t, "/test/hold", url.Values{"on": {"false"}}) })
		p.eval(`T.loginA = ` + loginA)
		eventuallyTrue(t, 5*time.Second, "A's upgrade held", func() bool { return state(t, userA).Held >= 1 })
		send("A-1")
		send("A-2")
		queued(2)
		p.eval(`T.loginB = ` + loginB)
		control(t, "/test/hold", url.Values{"on": {"false"}})
		if !sh.reset {
			// A's socket, made with A's token, opens: A's messages go out
			// on it, as A's. B's login had nothing to replace.
			wantA, discarded = []string{"A-1", "A-2"}, 0
			newSocketForB()
		}
	case "open":
		if _, err := p.await(loginA); err != nil {
			t.Fatal(err)
		}
		send("A-live")
		p.waitEvent("A-live", 1, 5*time.Second)
		wantA, discarded = []string{"A-live"}, 0
		p.eval(`T.loginB = ` + loginB)
		if !sh.reset {
			newSocketForB()
		}
	case "reconnecting":
		if _, err := p.await(loginA); err != nil {
			t.Fatal(err)
		}
		control(t, "/test/drop", nil)
		p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
		send("A-1")
		send("A-2")
		queued(2)
		p.eval(`T.loginB = ` + loginB)
		if !sh.kissjs {
			p.eval(`kiss.websocket.reconnect()`)
		}
	case "given up":
		if _, err := p.await(loginA); err != nil {
			t.Fatal(err)
		}
		control(t, "/test/close", url.Values{"code": {"4002"}, "reason": {"TOO_MANY"}})
		p.waitEvent("EVT_CONNECTION_LOST", 1, 5*time.Second)
		send("A-1")
		send("A-2")
		queued(2)
		p.eval(`T.loginB = ` + loginB)
	}
	waitSockets(t, userB, 1)
	p.waitTrue(`kiss.websocket.state === "open"`, 5*time.Second)
	send("B-1")
	p.waitEvent("B-1", 1, 5*time.Second)
	channels := func(user string) string {
		var out []string
		for _, m := range state(t, user).Received {
			var v struct{ Channel string }
			_ = json.Unmarshal([]byte(m), &v)
			out = append(out, v.Channel)
		}
		return strings.Join(out, ",")
	}
	wantB := []string{"B-1"}
	if sh.sameUser {
		wantB = append(wantA, wantB...)
	} else if got := channels(userA); got != strings.Join(wantA, ",") {
		t.Fatalf("A's sockets received %q, want %q", got, strings.Join(wantA, ","))
	}
	if got := channels(userB); got != strings.Join(wantB, ",") {
		t.Fatalf("B's sockets received %q, want %q", got, strings.Join(wantB, ","))
	}
	if n := p.eval("kiss.websocket.stats().discarded").Int(); n != discarded {
		t.Fatalf("stats().discarded = %d, want %d", n, discarded)
	}
	warned := 0
	for _, l := range stringsOf(p.eval("T.console")) {
		if strings.Contains(l, "discarded") {
			warned++
			if !strings.Contains(l, strconv.Itoa(discarded)+" queued") || strings.Contains(l, "A-") {
				t.Fatalf("warning %q", l)
			}
		}
	}
	if want := min(discarded, 1); warned != want {
		t.Fatalf("%d warnings of discarded messages, want %d", warned, want)
	}
}

// While the wasm loads, the loader opens the first socket and queues the
// sends with what the page showed of its login when each was made. A
// token-only app logs in A and sends before the wasm is ready, then logs
// in B: at once (B's init returns early, A's socket still connecting) and
// sends, or after a reset(). A's send was made in a session that has ended:
// it is discarded. Without a reset, the socket that opens is A's (it
// carries A's token): B's send must not go out on it.
func TestColdLoginSwitchThroughKissJS(t *testing.T) {
	for _, reset := range []bool{true, false} {
		t.Run(map[bool]string{true: "reset", false: "no reset"}[reset], func(t *testing.T) {
			userA, userB := newUser(t), newUser(t)
			answer := func(user string) (string, string) {
				r := serverLogin(t, user)
				r.UserID = "" // token only: the user id stays "anonymous"
				b, _ := json.Marshal(r)
				return string(b), r.Token
			}
			ansA, tokA := answer(userA)
			ansB, tokB := answer(userB)
			// B logs in at once; after a reset, once its close is over (an
			// init() while CLOSING opens nothing, in KissJS and in ours),
			// whether or not Go is there yet: Go acts on the recorded close
			// before it takes B's init().
			loginB := `kiss.session.init(` + ansB + `); kiss.websocket.send({channel: "cold-B"});`
			if reset {
				loginB = `kiss.session.reset();
					T.loginB = closeOver().then(function () { return kiss.session.init(` + ansB + `); });`
			}
			p := kissApp(t, pageOpts{head: closeOver, before: `
				T.cold = kiss.websocket.stats() === undefined;
				kiss.session.host = ` + jsString(serverHost()) + `; kiss.session.secure = false;
				kiss.session.init(` + ansA + `);
				T.sockA = kiss.websocket.connection;
				kiss.websocket.send({channel: "cold-A"});
				` + loginB})
			p.secret(tokA)
			p.secret(tokB)
			if !p.eval("T.cold").Bool() {
				t.Skip("the wasm was ready before the loader's next script ran")
			}
			wantB, discarded := "", 1
			if !reset {
				waitSockets(t, userA, 1)
				p.waitTrue(`kiss.websocket.state === "open"`, 5*time.Second)
				control(t, "/test/drop", nil)
				p.waitEvent("EVT_DISCONNECTED", 1, 5*time.Second)
				p.eval(`kiss.websocket.reconnect()`)
				discarded = 2
			}
			waitSockets(t, userB, 1)
			p.waitTrue(`kiss.websocket.state === "open"`, 5*time.Second)
			p.eval(`kiss.websocket.send({channel: "warm-B"})`)
			p.waitEvent("warm-B", 1, 5*time.Second)
			wantB += "warm-B"
			channels := func(user string) string {
				var out []string
				for _, m := range state(t, user).Received {
					var v struct{ Channel string }
					_ = json.Unmarshal([]byte(m), &v)
					out = append(out, v.Channel)
				}
				return strings.Join(out, ",")
			}
			if got := channels(userA); got != "" {
				t.Fatalf("A's sockets received %q, want nothing", got)
			}
			if got := channels(userB); got != wantB {
				t.Fatalf("B's sockets received %q, want %q", got, wantB)
			}
			if n := p.eval("kiss.websocket.stats().discarded").Int(); n != discarded {
				t.Fatalf("stats().discarded = %d, want %d", n, discarded)
			}
		})
	}
}
