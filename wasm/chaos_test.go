//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"syscall/js"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/chaos"
)

// TestChaos runs a seeded schedule of faults against the real loader and
// wasm in Chromium, through the dev server's fault proxy, while the page
// sends a numbered stream and the server pushes one. KISS_CHAOS_STEPS sets
// the number of faults (a short run by default; `make chaos` runs 220),
// KISS_CHAOS_SEED the seed (printed, so a failure can be replayed).
func TestChaos(t *testing.T) {
	steps, seed := chaos.FromEnv("KISS_CHAOS_STEPS", "KISS_CHAOS_SEED", 16)
	t.Logf("chaos: seed %d, %d faults (KISS_CHAOS_SEED=%d KISS_CHAOS_STEPS=%d make chaos)", seed, steps, seed, steps)
	faults := chaos.Schedule(seed, steps, nil) // the page's config below has chaos.DefaultTiming's figures

	p := newPage(t, pageOpts{})
	tok, ref := loginPair(t, p.user)
	p.token = tok
	p.win.Get("T").Set("token", tok)
	p.eval(`localStorage.setItem("session-token", T.token); localStorage.setItem("session-refresh-token", ` + jsString(ref) + `);`)
	defer p.eval(`localStorage.removeItem("session-token"); localStorage.removeItem("session-refresh-token")`)
	defer unfault(t)
	baseline := p.eval("kiss.websocket._debug()").Get("goroutines").Int()

	p.eval(`T.cfg = {socketUrl: ` + jsString(proxyURL(t)+"/?token=") + `, connectTimeout: 300,
			heartbeat: {delay: 100, timeout: 300}, reconnection: {delay: 30, delta: 1, maxAttempts: Infinity},
			outbox: {maxMessages: 200}};
		T.accepted = []; T.refused = 0; T.pushes = []; T.next = 0; T.opens = [];
		kiss.websocket.on("push", function (m) { T.pushes.push(m.seq); });
		["EVT_CONNECTED", "EVT_RECONNECTED"].forEach(function (n) { kiss.websocket.on(n, function () { T.opens.push(performance.now()); }); });
		T.timer = setInterval(function () {
			for (var k = 0; k < 3; k++) {
				var seq = T.next++;
				try { kiss.websocket.send({channel: "seq", seq: seq}); T.accepted.push(seq); }
				catch (e) { if (/outbox is full/.test(e.message)) T.refused++; else throw e; }
			}
		}, 4);`)
	if _, err := p.await("kiss.websocket.init(T.cfg)"); err != nil {
		t.Fatal(err)
	}

	pushed := map[int]bool{}
	pushSeq := 0
	push := func(n int) {
		for i := 0; i < n; i++ {
			pushSeq++
			q := url.Values{"user": {p.user}}
			resp := rawReached(t, q, fmt.Sprintf(`{"channel":"push","seq":%d}`, pushSeq))
			if resp > 0 {
				pushed[pushSeq] = true
			}
		}
	}
	byKind := map[string]int{}
	var recover []time.Duration
	restarts, maxSettled := 0, 0
	start := time.Now()
	for i, f := range faults {
		byKind[f.Kind.String()]++
		at := time.Now()
		applyFault(t, p, f)
		push(2)
		if f.Kind == chaos.Close && chaos.Stops(f.Code) {
			p.waitTrue(`kiss.websocket.state === "closed"`, 5*time.Second)
			restarts++
			p.eval(`kiss.websocket.init(T.cfg)`)
		}
		// settled: open again, and the server agrees it has one socket of ours
		p.waitTrue(`kiss.websocket.state === "open"`, 10*time.Second)
		recover = append(recover, time.Since(at))
		n := waitOpenConns(t, p.user, 1, 5*time.Second)
		maxSettled = max(maxSettled, n)
		if n != 1 {
			t.Fatalf("step %d (%v): the server has %d open sockets of the client once settled", i, f, n)
		}
		time.Sleep(f.Pause)
	}
	elapsed := time.Since(start)

	// Drain: stop sending, let the outbox empty, then close.
	p.eval(`clearInterval(T.timer)`)
	push(5)
	p.waitTrue(`kiss.websocket.stats().queued === 0`, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if _, err := p.await("kiss.websocket.close()"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	d := p.eval("kiss.websocket._debug()")
	funcs, listeners, goroutines := d.Get("funcs").Int(), d.Get("listeners").Int(), d.Get("goroutines").Int()

	// Client -> server: in order, once; every accepted message delivered or
	// lost in flight at a socket's end (a gap right before a new socket).
	accepted := ints(p.eval("T.accepted"))
	perConn := serverSeqs(t, p.user)
	delivered, inFlight, violations := chaos.JudgeStream(accepted, perConn)
	// Server -> client pushes: in order, once; missing ones were in flight.
	got := ints(p.eval("T.pushes"))
	pushIssues, pushMissing := chaos.JudgePushes(pushed, got)
	violations = append(violations, pushIssues...)
	if funcs != 0 || listeners != 0 || goroutines > baseline {
		violations = append(violations, fmt.Sprintf("after close(): %d js.Funcs, %d listeners, %d goroutines (baseline %d)", funcs, listeners, goroutines, baseline))
	}

	summary := fmt.Sprintf(`browser chaos, seed %d, %d faults in %v
  faults by kind      %s (restarts after 4002/4003: %d)
  messages            sent %d, accepted %d, delivered %d, in flight at a failure %d, refused (outbox full) %d, lost 0 expected
  pushes              written %d, delivered %d, in flight %d
  sockets             max open at the server once settled: %d
  recovery            fault -> open again: %v
  after close()       %d js.Funcs, %d listeners, %d goroutines (%d before init)
  violations          %d`,
		seed, len(faults), elapsed.Round(time.Second), chaos.Counts(byKind), restarts,
		p.eval("T.next").Int(), len(accepted), delivered, inFlight, p.eval("T.refused").Int(),
		len(pushed), len(got), pushMissing, maxSettled, chaos.QuantilesOf(recover),
		funcs, listeners, goroutines, baseline, len(violations))
	fmt.Println(summary)
	for _, v := range violations {
		t.Error(v)
	}
}

// applyFault runs f's steps (chaos.Fault.Steps, shared with the native run)
// against the dev server's controls.
func applyFault(t *testing.T, p *page, f chaos.Fault) {
	runSteps(t, f.Steps(p.eval(`localStorage.getItem("session-token")`).String()))
}

func unfault(t *testing.T) { runSteps(t, chaos.Unfault()) }

func runSteps(t *testing.T, steps []chaos.Step) {
	t.Helper()
	chaos.Run(steps, func(path string, params map[string]string) { control(t, path, values(params)) })
}

func values(params map[string]string) url.Values {
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	return q
}

// waitOpenConns waits until the server has want open sockets of user, and
// returns the last count seen.
func waitOpenConns(t *testing.T, user string, want int, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		n := 0
		for _, c := range state(t, user).Conns {
			if c.Open {
				n++
			}
		}
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serverSeqs lists, per server socket in the order they opened, the seqs it
// received.
func serverSeqs(t *testing.T, user string) [][]int {
	conns := state(t, user).Conns
	slices.SortFunc(conns, func(a, b connState) int { return int(a.ID - b.ID) })
	var out [][]int
	for _, c := range conns {
		var seqs []int
		for _, r := range c.Received {
			var m struct {
				Channel string
				Seq     int
			}
			if json.Unmarshal([]byte(r), &m) == nil && m.Channel == "seq" {
				seqs = append(seqs, m.Seq)
			}
		}
		out = append(out, seqs)
	}
	return out
}

func ints(v js.Value) []int {
	out := make([]int, v.Length())
	for i := range out {
		out[i] = v.Index(i).Int()
	}
	return out
}
