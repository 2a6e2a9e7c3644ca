//go:build !js

package lifecycletest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Away and back: the page is restored from the back/forward cache, with
// none of our doing in the way; the socket is open again within a second
// of pageshow; a message sent just before leaving reached the server once.
// watchCache reports the tab's restores from the back/forward cache, and
// why a navigation back did not use it.
func watchCache(ctx context.Context) (restored <-chan struct{}, notUsed <-chan []string) {
	r, nu := make(chan struct{}, 4), make(chan []string, 4)
	chromedp.ListenTarget(ctx, func(ev any) {
		if nav, ok := ev.(*page.EventFrameNavigated); ok && nav.Type == page.NavigationTypeBackForwardCacheRestore {
			r <- struct{}{}
		}
		if e, ok := ev.(*page.EventBackForwardCacheNotUsed); ok {
			var why []string
			for _, x := range e.NotRestoredExplanations {
				why = append(why, string(x.Type)+": "+string(x.Reason))
			}
			nu <- why
		}
	})
	return r, nu
}

func TestBackForwardCacheRestoresTheConnection(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	restores, notUsed := watchCache(ctx)
	user := "bfcache-" + time.Now().Format("150405.000")
	run(t, ctx, "open the page", chromedp.Navigate(e.pageURL(t, "", user, map[string]any{})))
	waitTrue(t, ctx, connectedWithGo, 10*time.Second)
	var ignored any
	eval(t, ctx, `kiss.websocket.send({channel: "before-leaving"}); location.href = "/other.html"; 1`, &ignored)
	waitTrue(t, ctx, `location.pathname === "/other.html" && document.readyState === "complete"`, 10*time.Second)
	// Not chromedp.NavigateBack: it waits for a load event, which a page
	// restored from the cache does not fire.
	run(t, ctx, "back", chromedp.ActionFunc(func(ctx context.Context) error {
		cur, entries, err := page.GetNavigationHistory().Do(ctx)
		if err != nil {
			return err
		}
		if cur < 1 {
			return fmt.Errorf("no history entry before %d", cur)
		}
		return page.NavigateToHistoryEntry(entries[cur-1].ID).Do(ctx)
	}))
	waitTrue(t, ctx, `location.pathname === "/page.html" && typeof T !== "undefined"`, 10*time.Second)
	select {
	case why := <-notUsed:
		t.Fatalf("not restored from the back/forward cache: %s", strings.Join(why, "; "))
	default:
	}
	waitTrue(t, ctx, hasEvent("EVT_RECONNECTED", 1), 5*time.Second)
	evs := events(t, ctx)
	shown, ok := last(evs, "pageshow", 0)
	if !ok || shown.Detail != true {
		t.Fatalf("no pageshow with persisted: %+v", evs)
	}
	if hidden, ok := last(evs, "pagehide", 0); !ok || hidden.Detail != true {
		t.Fatalf("no pagehide with persisted: %+v", evs)
	}
	back, _ := last(evs, "EVT_RECONNECTED", shown.At)
	if d := back.At - shown.At; back.Name == "" || d > 1000 {
		t.Fatalf("reconnected %.0f ms after pageshow, want within 1 s: %+v", d, evs)
	}
	for _, want := range []string{"EVT_DISCONNECTED", "EVT_RECONNECTING"} {
		if _, ok := last(evs, want, 0); !ok {
			t.Errorf("no %s: %+v", want, evs)
		}
	}
	if n := count(evs, "EVT_CONNECTION_LOST") + count(evs, "EVT_CONNECTION_CLOSED"); n != 0 {
		t.Errorf("a lost or closed connection: %+v", evs)
	}
	// Chromium 156 keeps the first load's PerformanceNavigationTiming
	// ("navigate") in a restored document; the protocol says what happened,
	// and the page's own record from before leaving is still there.
	select {
	case <-restores:
	default:
		t.Error("no frameNavigated of type BackForwardCacheRestore")
	}
	if first, ok := last(evs, "EVT_CONNECTED", 0); !ok || first.At > shown.At {
		t.Errorf("the page's record from before leaving is gone: %+v", evs)
	}
	// A sentinel round trip on the new socket: everything sent before it is in.
	eval(t, ctx, `kiss.websocket.send({channel: "sentinel"}); 1`, &ignored)
	waitTrue(t, ctx, hasEvent("msg:sentinel", 1), 5*time.Second)
	n := 0
	for _, m := range e.received(t, user) {
		if strings.Contains(m, `"before-leaving"`) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the message sent before leaving reached the server %d times, want once: %q", n, e.received(t, user))
	}
}
