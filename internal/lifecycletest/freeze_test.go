//go:build !js

package lifecycletest

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Frozen, the socket dies (the link vanishes: no close, no reset; and
// Chromium 156 itself cuts a frozen page's socket, delivering the close on
// resume); resumed, the client reconnects without the reconnection delay,
// or finds a socket dead unseen with a probe instead of waiting out the
// 35 s heartbeat timeout: open again within one heartbeat delay.
func TestFrozenPageReconnectsWithinAHeartbeatDelayOfResuming(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	const delay = 10 * time.Second // KissJS's heartbeat delay; the timeout stays 35 s
	run(t, ctx, "open the page", chromedp.Navigate(e.pageURL(t, "", "frozen-"+strconv.FormatInt(time.Now().UnixNano(), 36), map[string]any{})))
	waitTrue(t, ctx, connectedWithGo, 10*time.Second)
	run(t, ctx, "freeze", page.SetWebLifecycleState(page.SetWebLifecycleStateStateFrozen))
	e.control(t, "POST", "/test/proxy/vanish", nil)
	run(t, ctx, "resume", page.SetWebLifecycleState(page.SetWebLifecycleStateStateActive))
	waitTrue(t, ctx, hasEvent("EVT_RECONNECTED", 1), delay+5*time.Second)
	evs := events(t, ctx)
	resumed, ok := last(evs, "resume", 0)
	if !ok {
		t.Fatalf("no resume event: %+v", evs)
	}
	back, _ := last(evs, "EVT_RECONNECTED", resumed.At)
	if d := time.Duration(back.At-resumed.At) * time.Millisecond; back.Name == "" || d > delay {
		t.Fatalf("open again %v after resuming, want within %v: %+v", d, delay, evs)
	}
	if _, ok := last(evs, "EVT_DISCONNECTED", resumed.At); !ok {
		t.Fatalf("no EVT_DISCONNECTED after resuming: %+v", evs)
	}
}

// A hidden tab runs timers at most once a second (and, after five minutes,
// once a minute): a healthy socket is not declared dead for that, and a
// dead peer is still found. LIFECYCLE_HIDDEN_SECONDS keeps the tab hidden
// longer and logs how late its timers ran (for the long-hidden figures).
func TestHiddenTabKeepsAHealthySocketAndFindsADeadOne(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	hidden := hiddenFor()
	// Ticks of 300 ms that the hidden tab runs once a second: each one comes
	// late, and the timeout (1.5 s) is shorter than two throttled ticks.
	cfg := map[string]any{"heartbeat": map[string]any{"delay": 300, "timeout": 1500}}
	run(t, ctx, "open the page", chromedp.Navigate(e.pageURL(t, "", "hidden-"+strconv.FormatInt(time.Now().UnixNano(), 36), cfg)))
	waitTrue(t, ctx, connectedWithGo, 10*time.Second)
	var framesBefore float64
	eval(t, ctx, "kiss.websocket.stats().framesIn", &framesBefore)

	// Another tab in front hides this one.
	front, cancel := chromedp.NewContext(ctx)
	defer cancel()
	run(t, front, "open a tab in front", chromedp.Navigate("about:blank"))
	waitTrue(t, ctx, `document.visibilityState === "hidden"`, 5*time.Second)
	var since float64
	eval(t, ctx, "performance.now()", &since)
	// Hidden for the whole period, with throttled timers seen: states of
	// the page, read from its own clock.
	hiddenMs := float64(hidden / time.Millisecond)
	waitTrue(t, ctx, fmt.Sprintf(`performance.now() - %f >= %f && T.gaps.filter(function (g) { return g >= 900; }).length >= 3`, since, hiddenMs),
		hidden+30*time.Second)
	var gaps []float64
	eval(t, ctx, fmt.Sprintf(`(function () { var out = [], sum = 0;
		for (var i = T.gaps.length - 1; i >= 0 && sum < %f; i--) { out.push(T.gaps[i]); sum += T.gaps[i]; }
		return out; })()`, hiddenMs), &gaps)
	logGaps(t, gaps)
	evs := events(t, ctx)
	if _, lost := last(evs, "EVT_DISCONNECTED", 0); lost {
		t.Fatalf("a healthy socket was dropped in the hidden tab: %+v", evs)
	}
	var framesAfter float64
	eval(t, ctx, "kiss.websocket.stats().framesIn", &framesAfter)
	if framesAfter < framesBefore+2 {
		t.Fatalf("frames in (pongs) went from %v to %v while hidden: no heartbeat ran", framesBefore, framesAfter)
	}

	// Still hidden, the peer vanishes: the heartbeat finds it.
	eval(t, ctx, "performance.now()", &since)
	e.control(t, "POST", "/test/proxy/vanish", nil)
	waitTrue(t, ctx, hasEvent("EVT_DISCONNECTED", 1), 30*time.Second)
	dropped, _ := last(events(t, ctx), "EVT_DISCONNECTED", 0)
	t.Logf("a dead peer found %.1f s after it vanished, in the hidden tab", (dropped.At-since)/1000)
}

func logGaps(t *testing.T, gaps []float64) {
	if len(gaps) == 0 {
		return
	}
	s := append([]float64(nil), gaps...)
	sort.Float64s(s)
	minute := 0
	for _, g := range s {
		if g >= 50_000 {
			minute++
		}
	}
	t.Logf("hidden tab, a 100 ms timer chain: %d gaps, median %.0f ms, max %.0f ms, %d of 50 s or more",
		len(s), s[len(s)/2], s[len(s)-1], minute)
}

// A page frozen while the wasm still loads: the loader runs the first
// socket, and records the resume for Go, which acts on it once it arrives
// as it would have then (a probe, and a dropped socket reconnected at once):
// with a 30 s reconnection delay, only that brings the socket back before
// the deadline.
func TestFrozenBeforeGoArrivesIsProbedOnceGoIs(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	gate := "frozen-early-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	config := map[string]any{"reconnection": map[string]any{"delay": 30000, "delta": 0}}
	u := e.pageURL(t, "", gate, config) + "&" + url.Values{"wasm": {e.dev + "/test/gate/kiss-websocket.wasm?id=" + gate}}.Encode()
	run(t, ctx, "open the page", chromedp.Navigate(u))
	waitTrue(t, ctx, hasEvent("EVT_CONNECTED", 1), 10*time.Second)
	var before bool
	run(t, ctx, "Go is not there", chromedp.Evaluate(`kiss.websocket.stats() === undefined`, &before))
	if !before {
		t.Fatal("Go arrived through a closed gate")
	}
	run(t, ctx, "freeze", page.SetWebLifecycleState(page.SetWebLifecycleStateStateFrozen))
	e.control(t, "POST", "/test/proxy/vanish", nil)
	run(t, ctx, "resume", page.SetWebLifecycleState(page.SetWebLifecycleStateStateActive))
	waitTrue(t, ctx, hasEvent("resume", 1), 5*time.Second)
	e.control(t, "POST", "/test/gate", url.Values{"id": {gate}})
	waitTrue(t, ctx, connectedWithGo, 10*time.Second)
	waitTrue(t, ctx, hasEvent("EVT_RECONNECTED", 1), 15*time.Second)
	evs := events(t, ctx)
	resumed, _ := last(evs, "resume", 0)
	back, _ := last(evs, "EVT_RECONNECTED", resumed.At)
	if back.Name == "" {
		t.Fatalf("no EVT_RECONNECTED after resuming: %+v", evs)
	}
}
