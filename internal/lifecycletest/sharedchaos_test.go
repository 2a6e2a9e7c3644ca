//go:build !js

package lifecycletest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kissjs/kiss-websocket/internal/chaos"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
	"github.com/kissjs/kiss-websocket/internal/testhttp"
)

// The tab faults of the shared-mode chaos run, beside chaos.Kind's server
// faults.
const (
	tabOpen        = "tab-open"
	tabClose       = "tab-close"
	tabCloseLeader = "tab-close-leader"
	tabFreeze      = "tab-freeze"
)

// chaosTab is a tab of the run and its ledger.
type chaosTab struct {
	*tab
	alive     bool
	firstPush int // the first push written after it joined
	accepted  []int
	pushes    []int
}

// TestSharedChaos runs a seeded mix of tab faults (open, close, close the
// leader, freeze) and the server faults of the other chaos runs against
// tabs in shared mode, each sending a numbered stream while the server
// pushes one. After every fault the tabs settle: all open, one leader, one
// socket at the server. At the end each tab's stream must have reached the
// server once and in order (a gap only where a socket died with frames in
// flight), and each push must have reached each tab at most once, in order.
// KISS_SHARED_CHAOS_STEPS sets the number of faults (12 by default; make
// chaos runs 120), KISS_SHARED_CHAOS_SEED the seed.
func TestSharedChaos(t *testing.T) {
	steps, seed := chaos.FromEnv("KISS_SHARED_CHAOS_STEPS", "KISS_SHARED_CHAOS_SEED", 12)
	t.Logf("shared chaos: seed %d, %d faults (KISS_SHARED_CHAOS_SEED=%d KISS_SHARED_CHAOS_STEPS=%d)", seed, steps, seed, steps)
	server := chaos.Schedule(seed, steps, nil)                 // the page's config below has chaos.DefaultTiming's figures
	rng := rand.New(rand.NewPCG(uint64(seed), 0x736861726564)) // "shared"

	e := newEnv(t)
	browser := browser(t)
	user := newUser("shared-chaos")
	// The token lives in localStorage, as in an app, so a refresh (after an
	// ExpireToken fault) reaches every tab; the socket URL ends in token=.
	token := e.storeSession(t, browser, user)
	pageURL := e.site + "/page.html?" + url.Values{"config": {mustJSON(t, map[string]any{
		"shared":         true,
		"socketUrl":      e.proxy + "/?token=",
		"connectTimeout": 300,
		"heartbeat":      map[string]any{"delay": 100, "timeout": 300},
		"reconnection":   map[string]any{"delay": 30, "delta": 1, "maxAttempts": 1e9},
		"outbox":         map[string]any{"maxMessages": 200},
	})}}.Encode()
	defer e.unfault(t)

	var all, alive []*chaosTab
	pushSeq := 0
	pushed := map[int]bool{}
	push := func(n int) {
		for range n {
			pushSeq++
			if e.rawPush(t, user, fmt.Sprintf(`{"channel":"push","seq":%d}`, pushSeq)) > 0 {
				pushed[pushSeq] = true
			}
		}
	}
	open := func() {
		name := "t" + strconv.Itoa(len(all))
		ct := &chaosTab{tab: openTab(t, browser, name, pageURL), alive: true, firstPush: pushSeq + 1}
		startStream(t, ct)
		all, alive = append(all, ct), append(alive, ct)
	}
	closeTab := func(ct *chaosTab) {
		drain(t, ct)
		delivered(t, e, user, ct)
		ct.cancel()
		ct.alive = false
		alive = slices.DeleteFunc(alive, func(x *chaosTab) bool { return x == ct })
	}
	leaderOf := func() *chaosTab {
		for _, ct := range alive {
			if role(t, ct.tab) == "leader" {
				return ct
			}
		}
		return nil
	}
	for range 3 {
		open()
	}
	settle := func(what string) time.Duration {
		start := time.Now()
		var tabs []*tab
		for _, ct := range alive {
			tabs = append(tabs, ct.tab)
		}
		settledAfter(t, e, user, tabs, 15*time.Second, what)
		return time.Since(start)
	}
	settle("start")

	byKind := map[string]int{}
	var recover []time.Duration
	restarts := 0
	started := time.Now()
	for i := range steps {
		var what string
		at := time.Now()
		if rng.IntN(2) == 0 {
			f := server[i]
			what = f.String()
			byKind[f.Kind.String()]++
			e.runSteps(t, f.Steps(token))
			push(2)
			if f.Kind == chaos.Close && chaos.Stops(f.Code) {
				// every tab stops, as each would alone; the app starts them again
				for _, ct := range alive {
					waitTrue(t, ct.ctx, `kiss.websocket.state === "closed"`, 10*time.Second)
				}
				for _, ct := range alive {
					var ignored any
					eval(t, ct.ctx, `kiss.websocket.init(T.cfg); 1`, &ignored)
				}
				restarts++
			}
		} else {
			kind := []string{tabOpen, tabClose, tabCloseLeader, tabFreeze}[rng.IntN(4)]
			switch {
			case kind == tabOpen && len(alive) >= 5, (kind == tabClose || kind == tabCloseLeader) && len(alive) <= 1:
				kind = map[bool]string{true: tabClose, false: tabOpen}[len(alive) >= 5]
			}
			what = kind
			byKind[kind]++
			switch kind {
			case tabOpen:
				open()
			case tabClose:
				closeTab(alive[rng.IntN(len(alive))])
			case tabCloseLeader:
				if l := leaderOf(); l != nil {
					closeTab(l)
				}
			case tabFreeze:
				ct := alive[rng.IntN(len(alive))]
				hold := time.Duration(300+rng.IntN(900)) * time.Millisecond
				what += " " + ct.name + " for " + hold.String()
				run(t, ct.ctx, "freeze "+ct.name, page.SetWebLifecycleState(page.SetWebLifecycleStateStateFrozen))
				push(2)
				time.Sleep(hold) // the fault lasts this long
				run(t, ct.ctx, "resume "+ct.name, page.SetWebLifecycleState(page.SetWebLifecycleStateStateActive))
			}
			push(2)
		}
		t.Logf("step %d: %s", i, what)
		settle(fmt.Sprintf("step %d (%s)", i, what))
		recover = append(recover, time.Since(at))
	}
	elapsed := time.Since(started)

	push(5)
	for _, ct := range alive {
		drain(t, ct)
	}
	settle("drain")
	// A sentinel push behind the others: each tab has what it will get.
	push(1)
	for _, ct := range alive {
		waitTrue(t, ct.ctx, fmt.Sprintf(`T.pushes.indexOf(%d) >= 0`, pushSeq), 10*time.Second)
		eval(t, ct.ctx, `T.pushes`, &ct.pushes)
	}

	conns := e.serverConns(t, user)
	var violations, rows []string
	sent, delivered, inFlight, got, missed := 0, 0, 0, 0, 0
	for _, ct := range all {
		var perConn [][]int
		for _, c := range conns {
			perConn = append(perConn, c["seq-"+ct.name])
		}
		d, f, bad := chaos.JudgeStream(ct.accepted, perConn)
		// What was pushed while the tab was there: a closed tab is judged up
		// to the last push it got.
		upTo := pushSeq
		if !ct.alive {
			upTo = lastOf(ct.pushes)
		}
		want := map[int]bool{}
		for s := range pushed {
			if s >= ct.firstPush && s <= upTo {
				want[s] = true
			}
		}
		pbad, miss := chaos.JudgePushes(want, ct.pushes)
		for _, b := range append(bad, pbad...) {
			violations = append(violations, ct.name+": "+b)
		}
		state := "closed"
		if ct.alive {
			state = "open"
		}
		rows = append(rows, fmt.Sprintf("  %-4s %-6s accepted %5d  delivered %5d  in flight %3d  violations %d  pushes %4d (missed %d)",
			ct.name, state, len(ct.accepted), d, f, len(bad)+len(pbad), len(ct.pushes), miss))
		sent, delivered, inFlight, got, missed = sent+len(ct.accepted), delivered+d, inFlight+f, got+len(ct.pushes), missed+miss
	}
	fmt.Printf(`shared chaos, seed %d, %d faults in %v, %d tabs in all (%d at the end)
  faults by kind      %s (restarts after 4002/4003: %d)
  messages            accepted %d, delivered %d, in flight at a failure %d, lost 0 expected, duplicated 0 expected
  pushes              written %d, received %d in all tabs (missed %d: in flight at a failure)
  sockets             one at the server, one leader, every tab open: after each fault
  recovery            fault -> settled: %v
  violations          %d
per tab:
%s
`, seed, steps, elapsed.Round(time.Second), len(all), len(alive), chaos.Counts(byKind), restarts,
		sent, delivered, inFlight, len(pushed), got, missed, chaos.QuantilesOf(recover),
		len(violations), strings.Join(rows, "\n"))
	for _, v := range violations {
		t.Error(v)
	}
}

func lastOf(s []int) int {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// startStream makes the tab send a numbered stream on its own channel, and
// record the pushes it gets.
func startStream(t *testing.T, ct *chaosTab) {
	t.Helper()
	var ignored any
	eval(t, ct.ctx, fmt.Sprintf(`(function () {
		T.cfg = JSON.parse(new URLSearchParams(location.search).get("config"));
		T.accepted = []; T.refused = 0; T.pushes = []; T.next = 0;
		kiss.pubsub.subscribe("push", function (m) { T.pushes.push(m.seq); });
		T.timer = setInterval(function () {
			for (var k = 0; k < 2; k++) {
				try { kiss.websocket.send({channel: %q, seq: T.next}); T.accepted.push(T.next++); }
				catch (e) { if (/outbox is full/.test(e.message)) T.refused++; else throw e; }
			}
		}, 20);
		return 1;
	})()`, "seq-"+ct.name), &ignored)
}

// drain stops the tab's stream and waits until everything it accepted has
// left it: nothing queued, nothing unconfirmed (a stand-in's bufferedAmount
// is what the leader has not acknowledged); then reads its ledger.
func drain(t *testing.T, ct *chaosTab) {
	t.Helper()
	var ignored any
	eval(t, ct.ctx, `clearInterval(T.timer); 1`, &ignored)
	waitTrue(t, ct.ctx, `kiss.websocket.state === "open" && kiss.websocket.stats().queued === 0 && kiss.websocket.connection.bufferedAmount === 0`, 15*time.Second)
	eval(t, ct.ctx, `T.accepted`, &ct.accepted)
	eval(t, ct.ctx, `T.pushes`, &ct.pushes)
}

// delivered waits until the server has the last frame the tab accepted: a
// frame the browser took (bufferedAmount 0) may still be on its way out of
// the network process, and closing the tab then would lose it, as it would
// a single tab's.
func delivered(t *testing.T, e *env, user string, ct *chaosTab) {
	t.Helper()
	if len(ct.accepted) == 0 {
		return
	}
	last := ct.accepted[len(ct.accepted)-1]
	deadline := time.Now().Add(15 * time.Second)
	got := func() bool {
		for _, c := range e.serverConns(t, user) {
			if slices.Contains(c["seq-"+ct.name], last) {
				return true
			}
		}
		return false
	}
	for !got() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the server never got seq %d, its last", ct.name, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storeSession logs user in and stores the session in the profile's
// localStorage for the site (from a page of it); it returns the token.
func (e *env) storeSession(t *testing.T, browser context.Context, user string) string {
	t.Helper()
	var s struct{ Token, RefreshToken string }
	if err := json.Unmarshal([]byte(e.control(t, "POST", "/test/login", url.Values{"user": {user}})), &s); err != nil || s.Token == "" {
		t.Fatalf("login %s: %v", user, err)
	}
	var ignored any
	run(t, browser, "open the site", chromedp.Navigate(e.site+"/other.html"))
	eval(t, browser, fmt.Sprintf(`localStorage.setItem("session-token", %q); localStorage.setItem("session-refresh-token", %q); 1`,
		s.Token, s.RefreshToken), &ignored)
	return s.Token
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawPush writes frame to every socket of user; it returns how many.
func (e *env) rawPush(t *testing.T, user, frame string) int {
	t.Helper()
	resp, body := testhttp.Do(t, nil, testhttp.Request(t, "POST", e.dev+"/test/raw?"+url.Values{"user": {user}}.Encode(), frame, nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	var r struct{ Reached int }
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return r.Reached
}

// runSteps applies a fault's steps through the dev server's controls.
func (e *env) runSteps(t *testing.T, steps []chaos.Step) {
	t.Helper()
	chaos.Run(steps, func(path string, params map[string]string) {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		e.control(t, "POST", path, q)
	})
}

func (e *env) unfault(t *testing.T) { e.runSteps(t, chaos.Unfault()) }

// conns lists user's server sockets, open and recently closed, by ID.
func (e *env) conns(t *testing.T, user string) []kissserver.ConnInfo {
	t.Helper()
	var s struct{ Conns []kissserver.ConnInfo }
	if err := json.Unmarshal([]byte(e.control(t, "GET", "/test/state", url.Values{"user": {user}})), &s); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(s.Conns, func(a, b kissserver.ConnInfo) int { return int(a.ID - b.ID) })
	return s.Conns
}

// serverConns lists, per server socket of user in the order they opened,
// the seqs it received on each channel.
func (e *env) serverConns(t *testing.T, user string) []map[string][]int {
	t.Helper()
	var out []map[string][]int
	for _, c := range e.conns(t, user) {
		m := map[string][]int{}
		for _, r := range c.Received {
			var f struct {
				Channel string
				Seq     int
			}
			if json.Unmarshal([]byte(r), &f) == nil && strings.HasPrefix(f.Channel, "seq-") {
				m[f.Channel] = append(m[f.Channel], f.Seq)
			}
		}
		out = append(out, m)
	}
	return out
}
