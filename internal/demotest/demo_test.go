//go:build !js

// Package demotest drives the demo page (web/index.html) in headless
// Chromium: it connects, sends a message and sees it echoed, survives a
// dropped connection, logs no console error, and leaves screenshots in out/.
//
// It uses the dev server at KISS_SERVER_URL (started by the Makefile with
// web/ built) or, when that is unset, builds and starts one itself.
package demotest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kissjs/kiss-websocket/internal/devserver"
)

func TestDemoPage(t *testing.T) {
	root := devserver.RepoRoot(t)
	base := devserver.ForTest(t, root)
	ctx := browser(t)
	errs := watchConsole(ctx)

	out := filepath.Join(root, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// Load the page and wait for the live connection.
	run(t, ctx, "load the page",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#status", chromedp.ByID),
	)
	waitBadge(t, ctx, "open", 5*time.Second)

	// The keyboard reaches the controls, with a visible focus ring.
	var focus struct {
		Tag, Text, Outline string
	}
	run(t, ctx, "tab to the first button",
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"),
		chromedp.Evaluate(`(() => { const e = document.activeElement;
			return {tag: e.tagName, text: e.textContent.trim(), outline: getComputedStyle(e).outlineStyle}; })()`, &focus),
	)
	if focus.Tag != "BUTTON" || focus.Text != "Open a second tab" || focus.Outline == "none" {
		t.Errorf("after two Tabs the focus is on %s %q with outline %q, want the visible-focused button Open a second tab",
			focus.Tag, focus.Text, focus.Outline)
	}

	// Invalid JSON is refused inline, before anything is sent.
	var sendErr string
	run(t, ctx, "send invalid JSON",
		chromedp.SetValue("#send-text", "", chromedp.ByID),
		chromedp.SendKeys("#send-text", `{"channel": nope}`, chromedp.ByID),
		chromedp.Click("#btn-send", chromedp.ByID),
		chromedp.Text("#send-error", &sendErr, chromedp.ByID),
	)
	if !strings.Contains(sendErr, "Not valid JSON") {
		t.Errorf("invalid JSON: inline error is %q, want it to say Not valid JSON", sendErr)
	}

	// Subscribe to a channel, send on it, see the echo arrive there.
	const channel = "page-test"
	var tab string
	run(t, ctx, "read the tab id", chromedp.Text("#tab-id", &tab, chromedp.ByID))
	msg := `{"channel": "` + channel + `", "from": "` + tab + `", "text": "hello from the page test"}`
	run(t, ctx, "subscribe and send",
		chromedp.SendKeys("#chan-name", channel, chromedp.ByID),
		chromedp.Click("#btn-subscribe", chromedp.ByID),
		chromedp.SetValue("#send-text", "", chromedp.ByID),
		chromedp.SendKeys("#send-text", msg, chromedp.ByID),
		chromedp.Click("#btn-send", chromedp.ByID),
	)
	var echoed bool
	run(t, ctx, "see the echo in the channel list",
		chromedp.Poll(`[...document.querySelectorAll("#channels > li")].some(li =>
			li.querySelector("strong").textContent === "`+channel+`" &&
			li.querySelector(".chan-msgs").textContent.includes("hello from the page test") &&
			li.querySelector(".who-me").textContent === "echo, from this tab")`,
			&echoed, chromedp.WithPollingTimeout(3*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	run(t, ctx, "send error cleared", chromedp.Text("#send-error", &sendErr, chromedp.ByID))
	if strings.TrimSpace(sendErr) != "" {
		t.Errorf("after a good send the inline error still says %q", sendErr)
	}

	// A second tab of the same user: its message reaches this tab too.
	secondTab(t, ctx, base, errs)
	// The second tab is closed: the lead, which may have moved to it (the
	// visible tab) and back, is this tab's again before the drop; a drop
	// during that handover is reconnected at once, too fast for the badge
	// to be seen reconnecting (1 run in 4 under load).
	var leads bool
	run(t, ctx, "lead again", chromedp.Poll(`/this tab leads/.test(document.getElementById("s-shared").textContent) &&
		document.getElementById("badge-label").textContent === "open"`, &leads,
		chromedp.WithPollingTimeout(8*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))

	// Drop the connection: reconnecting, then open again.
	run(t, ctx, "drop the connection", chromedp.Click("#btn-drop", chromedp.ByID))
	waitBadge(t, ctx, "reconnecting", 3*time.Second)
	waitBadge(t, ctx, "open", 8*time.Second)
	var timeline string
	run(t, ctx, "read the timeline", chromedp.Text("#timeline", &timeline, chromedp.ByID))
	for _, want := range []string{"EVT_CONNECTED", "EVT_DISCONNECTED", "EVT_RECONNECTING", "EVT_RECONNECTED",
		"onopen()", "onclose()", "onmessage", "waiting"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline lacks %s", want)
		}
	}

	// A definitive close stops the client; a send while closed is queued and
	// delivered by the next init().
	run(t, ctx, "close with 4003", chromedp.Click(`button[data-code="4003"]`, chromedp.ByQuery))
	waitBadge(t, ctx, "closed", 3*time.Second)
	run(t, ctx, "send while closed, then init()",
		chromedp.Click("#btn-send", chromedp.ByID),
		chromedp.Click("#btn-init", chromedp.ByID),
	)
	waitBadge(t, ctx, "open", 3*time.Second)
	var flushed bool
	run(t, ctx, "see the queued message delivered",
		chromedp.Poll(`[...document.querySelectorAll("#channels > li")].some(li =>
			li.querySelector("strong").textContent === "`+channel+`" &&
			li.querySelectorAll(".chan-msgs > li").length === 2) &&
			document.getElementById("timeline").textContent.includes("outbox flushed")`, &flushed,
			chromedp.WithPollingTimeout(3*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))

	// A heartbeat sample, so the RTT figure and chart have something to show.
	var pong bool
	run(t, ctx, "wait for a heartbeat round trip",
		chromedp.Poll(`document.getElementById("s-rtt").textContent.endsWith(" ms")`, &pong,
			chromedp.WithPollingTimeout(4*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))

	// Screenshots: desktop, 360 px, dark.
	shot(t, ctx, filepath.Join(out, "demo.png"))
	run(t, ctx, "narrow viewport", chromedp.EmulateViewport(360, 780))
	var overflow int
	run(t, ctx, "measure overflow at 360 px",
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow),
	)
	if overflow > 0 {
		t.Errorf("at 360 px the page is %d px wider than the viewport", overflow)
	}
	shot(t, ctx, filepath.Join(out, "demo-360.png"))
	run(t, ctx, "dark scheme",
		chromedp.EmulateViewport(1280, 900),
		emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}),
		chromedp.Sleep(300*time.Millisecond),
	)
	shot(t, ctx, filepath.Join(out, "demo-dark.png"))

	for _, e := range errs.list() {
		t.Errorf("console: %s", e)
	}
}

// secondTab opens the page in another tab, sends its default message on
// "chat" there and waits for the first tab to show it as coming from the
// other tab (the server delivers to every socket of the user).
func secondTab(t *testing.T, first context.Context, base string, errs *consoleErrors) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(first)
	defer cancel()
	errs.watch(ctx)
	var id string
	run(t, ctx, "load the page in a second tab",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#status", chromedp.ByID),
	)
	waitBadge(t, ctx, "open", 5*time.Second)
	run(t, ctx, "send from the second tab",
		chromedp.Text("#tab-id", &id, chromedp.ByID),
		chromedp.Click("#btn-send", chromedp.ByID),
	)
	var seen bool
	run(t, first, "see the second tab's message in the first",
		chromedp.Poll(`[...document.querySelectorAll("#channels .who-other")].some(e =>
			e.textContent === "from tab `+id+`")`, &seen,
			chromedp.WithPollingTimeout(3*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	// Shared mode (data-shared on the loader's tag): two tabs, one socket.
	var one bool
	run(t, ctx, "see one server socket for two tabs",
		chromedp.Poll(`document.getElementById("server-sockets").textContent.startsWith("Server: 1 open socket") &&
			/this tab (leads|follows)/.test(document.getElementById("s-shared").textContent)`, &one,
			chromedp.WithPollingTimeout(6*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
	if err := chromedp.Cancel(ctx); err != nil {
		t.Errorf("close the second tab: %v", err)
	}
}

// waitBadge waits until the status badge's label is want.
func waitBadge(t *testing.T, ctx context.Context, want string, within time.Duration) {
	t.Helper()
	var ok bool
	start := time.Now()
	err := chromedp.Run(ctx, chromedp.Poll(
		`document.getElementById("badge-label").textContent === "`+want+`"`, &ok,
		chromedp.WithPollingTimeout(within), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		dumpPage(t, ctx)
		t.Fatalf("badge: want %q within %v (%v)", want, within, err)
	}
	t.Logf("badge %q after %v", want, time.Since(start).Round(time.Millisecond))
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	start := time.Now()
	if err := chromedp.Run(ctx, actions...); err != nil {
		dumpPage(t, ctx)
		t.Fatalf("%s: %v", what, err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Logf("%s: %v", what, d.Round(time.Millisecond))
	}
}

// dumpPage logs what the page shows, to explain a failure.
func dumpPage(t *testing.T, ctx context.Context) {
	t.Helper()
	var status, timeline, channels string
	_ = chromedp.Run(ctx,
		chromedp.Text("#status", &status, chromedp.ByID),
		chromedp.Evaluate(`[...document.querySelectorAll("#timeline li")].slice(0, 40).map(li => li.innerText.replace(/\s+/g, " ")).join("\n")`, &timeline),
		chromedp.Text("#channels", &channels, chromedp.ByID),
	)
	t.Logf("badge: %q\nchannels:\n%s\ntimeline (newest first):\n%s", status, channels, timeline)
}

func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	var png []byte
	run(t, ctx, "screenshot "+path, chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// consoleErrors collects console.error calls, uncaught exceptions and
// error entries of the browser's log (failed loads, socket errors).
type consoleErrors struct {
	mu   sync.Mutex
	errs []string
}

func (c *consoleErrors) add(s string) {
	c.mu.Lock()
	c.errs = append(c.errs, s)
	c.mu.Unlock()
}

func (c *consoleErrors) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

func watchConsole(ctx context.Context) *consoleErrors {
	c := &consoleErrors{}
	c.watch(ctx)
	return c
}

// watch listens to the tab of ctx; call it before that tab's first action.
func (c *consoleErrors) watch(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.APITypeError && ev.Type != runtime.APITypeAssert {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			c.add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			c.add(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError {
				c.add(fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
}

// browser starts headless Chromium for the test, timers never throttled
// (the demo opens a second tab in front of the first).
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx := devserver.Browser(t, 45*time.Second,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"))
	if err := chromedp.Run(ctx, cdplog.Enable(), runtime.Enable()); err != nil {
		t.Fatal(err)
	}
	return ctx
}
