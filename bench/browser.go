//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// launch starts a headless Chromium with a fresh profile (chromedp makes a
// temporary --user-data-dir and removes it on cancel).
func launch(ctx context.Context, chromium string) (context.Context, context.CancelFunc, error) {
	actx, cancelA := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("js-flags", "--expose-gc"),
	)
	bctx, cancelB := chromedp.NewContext(actx, chromedp.WithErrorf(quietErrorf), chromedp.WithLogf(quietErrorf))
	cancel := func() { cancelB(); cancelA() }
	if err := chromedp.Run(bctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return bctx, cancel, nil
}

// quietErrorf drops chromedp's complaints about CDP events newer than the
// pinned cdproto (wasmbrowsertest pins chromedp v0.10.0): noise, not errors.
func quietErrorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(msg, "could not unmarshal event") {
		return
	}
	fmt.Fprintln(os.Stderr, "chromedp:", msg)
}

// eval runs expr in the page, awaits a returned promise and decodes the
// result into out.
func eval(ctx context.Context, timeout time.Duration, expr string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := chromedp.Run(ctx, chromedp.Evaluate(expr, out, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if err != nil {
		return fmt.Errorf("%s: %w", expr, err)
	}
	return nil
}

// memory is the JS heap in use after a full gc() and the Go instance's
// linear memory (-1 when the page has none).
func memory(ctx context.Context) (mem, error) {
	var m mem
	if err := eval(ctx, 30*time.Second, "gc(), gc(), bench.goMemory()", &m.GoWasm); err != nil {
		return m, err
	}
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		used, _, err := cdpruntime.GetHeapUsage().Do(ctx)
		m.JSHeap = used
		return err
	}))
	return m, err
}

// benchRun is one run in a fresh browser: one page with a socket per
// variant, each workload in blocks that alternate between the variants
// (the order rotating too), so whatever else the machine does hits them
// alike; then, in the memory runs, a page per variant for its heap; then
// the page starts (cold, warm, emulated), each in a browser of its own.
func benchRun(ctx context.Context, o options, base string, order []string, run int) (runResult, error) {
	rr := runResult{Order: order, Samples: map[string]*sample{}}
	bctx, cancel, err := launch(ctx, o.chromium)
	if err != nil {
		return rr, err
	}
	defer cancel()
	if err := chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, product, _, _, _, err := browser.GetVersion().Do(ctx)
		rr.chromium = product
		return err
	})); err != nil {
		return rr, err
	}
	if o.steps["echo"] || o.steps["burst"] || o.steps["outbound"] || o.steps["handler"] {
		if err := interleaved(bctx, o, base, order, run, rr.Samples); err != nil {
			return rr, err
		}
	}
	if run < o.memoryRuns {
		for _, v := range order {
			if rr.Samples[v] == nil { // -steps without the timed workloads
				rr.Samples[v] = &sample{}
			}
			if err := memoryPage(bctx, o, base, v, rr.Samples[v]); err != nil {
				return rr, fmt.Errorf("%s memory: %w", v, err)
			}
		}
	}
	cancel()
	if o.steps["cold"] {
		if rr.Starts, err = starts(ctx, o, base, run); err != nil {
			return rr, err
		}
		if rr.Apps, err = appStarts(ctx, o, base, run); err != nil {
			return rr, err
		}
	}
	return rr, nil
}

// newPage opens a tab on the bench page with the given variants set up.
func newPage(bctx context.Context, base string, vs []string) (context.Context, context.CancelFunc, error) {
	return openPage(bctx, chromedp.NewContext, base, vs, "")
}

// sharedVariants are kiss.websocket in shared mode, each in a page of its
// own: the leading tab, and a following one whose frames go through it.
var sharedVariants = []string{"leader", "follower"}

// newWindowPage opens the bench page in a window of its own, so it stays
// visible beside the others (a tab behind another is hidden, and in shared
// mode a hidden leader hands its lead to a visible tab), with the shared
// variants set up on the socket named sharedID.
func newWindowPage(bctx context.Context, base string, vs []string, sharedID string) (context.Context, context.CancelFunc, error) {
	window := func(parent context.Context, _ ...chromedp.ContextOption) (context.Context, context.CancelFunc) {
		var id target.ID
		err := chromedp.Run(parent, chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			id, err = target.CreateTarget("about:blank").WithNewWindow(true).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
			return err
		}))
		if err != nil {
			ctx, cancel := context.WithCancel(parent)
			cancel() // the Navigate below fails with the context's error
			return ctx, cancel
		}
		return chromedp.NewContext(parent, chromedp.WithTargetID(id))
	}
	return openPage(bctx, window, base, vs, sharedID)
}

func openPage(bctx context.Context, newTab func(context.Context, ...chromedp.ContextOption) (context.Context, context.CancelFunc),
	base string, vs []string, sharedID string) (context.Context, context.CancelFunc, error) {
	tab, cancel := newTab(bctx)
	if err := chromedp.Run(tab, chromedp.Navigate(base+"/bench/index.html")); err != nil {
		cancel()
		return nil, nil, err
	}
	var setup struct{ Isolated bool }
	js, _ := json.Marshal(vs)
	id, _ := json.Marshal(sharedID)
	if err := eval(tab, time.Minute, "bench.setup("+string(js)+", "+string(id)+")", &setup); err != nil {
		cancel()
		return nil, nil, err
	}
	if !setup.Isolated {
		cancel()
		return nil, nil, fmt.Errorf("the page is not cross-origin isolated: performance.now() would be coarse")
	}
	return tab, cancel, nil
}

// interleaved runs the timed workloads, block by block, the variants of
// one page and the shared ones (pages of their own) in turn.
func interleaved(bctx context.Context, o options, base string, order []string, run int, out map[string]*sample) error {
	tab, cancel, err := newPage(bctx, base, order)
	if err != nil {
		return err
	}
	defer cancel()
	tabs := map[string]context.Context{}
	for _, v := range order {
		tabs[v] = tab
	}
	if o.steps["shared"] {
		id := fmt.Sprintf("shared-%d-%d", run, time.Now().UnixNano())
		for _, v := range sharedVariants { // the leader first: it takes the lock
			t, c, err := newWindowPage(bctx, base, []string{v}, id)
			if err != nil {
				return fmt.Errorf("%s: %w", v, err)
			}
			defer c()
			tabs[v] = t
		}
		order = append(slices.Clone(order), sharedVariants...)
	}
	blocks := max(o.blocks, 1)
	workloads := []struct {
		name   string
		blocks int
		expr   func(v string, block int) string
	}{
		{"echo", blocks, func(v string, b int) string {
			warm := 0
			if b == 0 {
				warm = o.echoWarm
			}
			return fmt.Sprintf("bench.echo(%q, %d, %d)", v, o.echoN/blocks, warm)
		}},
		{"burst", blocks, func(v string, _ int) string { return fmt.Sprintf("bench.burst(%q, %d)", v, o.burstN/blocks) }},
		// One loop per variant by default: the cost of a send() depends on
		// how long the loop runs (short loops hand each frame to the network
		// process at once, long ones queue), so blocks would change what is
		// measured.
		{"outbound", max(o.outBlocks, 1), func(v string, _ int) string {
			return fmt.Sprintf("bench.outbound(%q, %d)", v, o.outN/max(o.outBlocks, 1))
		}},
		{"handler", 5, func(v string, _ int) string {
			if slices.Contains(sharedVariants, v) {
				return "" // the loader's per-frame shim, as ours
			}
			return fmt.Sprintf("bench.handler(%q, %d)", v, o.handlerN)
		}},
	}
	for _, w := range workloads {
		if !o.steps[w.name] {
			continue
		}
		t0 := time.Now()
		for b := range w.blocks {
			for _, v := range rotate(order, b+run) {
				expr := w.expr(v, b)
				if expr == "" {
					continue
				}
				if err := eval(tabs[v], 2*time.Minute, expr, nil); err != nil {
					return fmt.Errorf("%s: %w", v, err)
				}
			}
		}
		fmt.Fprintf(os.Stderr, "  %-9s %5.1fs\n", w.name, time.Since(t0).Seconds())
	}
	for _, v := range order {
		s := &sample{}
		if err := eval(tabs[v], 10*time.Second, fmt.Sprintf("bench.report(%q)", v), &s.report); err != nil {
			return err
		}
		if want := o.outN / max(o.outBlocks, 1) * max(o.outBlocks, 1); o.steps["outbound"] && int(s.Out.Received) != want {
			return fmt.Errorf("%s outbound: the server counted %.0f frames, want %d", v, s.Out.Received, want)
		}
		out[v] = s
	}
	return nil
}

// memoryPage measures one variant alone in its page: the JS heap after
// gc() and the Go instance's memory, before and after a burst and, for
// the -million variants, after a long run of frames.
func memoryPage(bctx context.Context, o options, base, v string, s *sample) error {
	tab, cancel, err := newPage(bctx, base, []string{v})
	if err != nil {
		return err
	}
	defer cancel()
	t0 := time.Now()
	if s.Mem[0], err = memory(tab); err != nil {
		return err
	}
	if err := eval(tab, 2*time.Minute, fmt.Sprintf("bench.burst(%q, %d)", v, o.burstN), nil); err != nil {
		return err
	}
	if s.Mem[1], err = memory(tab); err != nil {
		return err
	}
	if o.million[v] && o.steps["million"] {
		s.Million = new(burst)
		if err := eval(tab, 5*time.Minute, fmt.Sprintf("bench.burst(%q, %d)", v, o.millionN), s.Million); err != nil {
			return err
		}
		if s.Mem[2], err = memory(tab); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "  memory %-4s %5.1fs\n", v, time.Since(t0).Seconds())
	return nil
}

// Start modes: a fresh profile (empty HTTP and code caches), the second
// load in that browser (the 304 keeps Chromium's compiled wasm), and a fresh
// profile behind Chromium's network emulation.
const (
	modeCold = "cold"
	modeWarm = "warm"
	modeNet  = "net"
)

// Network emulation for modeNet: where a real user lives.
const (
	netLatencyMS = 40
	netDownBps   = 20e6 / 8 // 20 Mbit/s, in bytes per second as CDP wants
	netUpBps     = 5e6 / 8
)

// startVariants are the page starts measured: ours (which also connects),
// ours from a directory cached a year (its warm start asks the server
// nothing), ours in shared mode (which waits for Go), the safejs floor
// program behind the same loader, a raw WebSocket made at the tag, and a
// plain JS client of KissJS's shape in a script of its own.
var startVariants = []string{"ours", "cached", "shared", "floor", "raw", "plain"}

// starts measures o.coldN cold starts of each variant (and the warm start
// that follows in the same browser) and o.netN emulated ones, each in a
// browser of its own, the variant order rotated per sample.
func starts(ctx context.Context, o options, base string, run int) (map[string][]start, error) {
	out := map[string][]start{}
	for i := range o.coldN {
		for _, v := range rotate(startVariants, run+i) {
			modes := []string{modeCold}
			if v != "shared" {
				modes = append(modes, modeWarm)
			}
			got, err := startIn(ctx, o.chromium, base, v, modes, false)
			if err != nil {
				return nil, fmt.Errorf("%s start %d: %w", v, i+1, err)
			}
			for m, s := range got {
				out[m+"/"+v] = append(out[m+"/"+v], s)
			}
		}
	}
	for i := range o.netN {
		for _, v := range rotate([]string{"ours", "raw", "plain"}, run+i) {
			got, err := startIn(ctx, o.chromium, base, v, []string{modeNet}, true)
			if err != nil {
				return nil, fmt.Errorf("%s emulated start %d: %w", v, i+1, err)
			}
			out[modeNet+"/"+v] = append(out[modeNet+"/"+v], got[modeNet])
		}
	}
	return out, nil
}

// startIn launches a fresh browser and loads the start page once per mode
// in it, the network emulated when emulate is set.
func startIn(ctx context.Context, chromium, base, v string, modes []string, emulate bool) (map[string]start, error) {
	bctx, cancel, err := launch(ctx, chromium)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if emulate {
		if err := chromedp.Run(bctx, network.Enable(),
			network.EmulateNetworkConditions(false, netLatencyMS, netDownBps, netUpBps)); err != nil {
			return nil, fmt.Errorf("network emulation: %w", err)
		}
	}
	out := map[string]start{}
	for _, m := range modes {
		if err := chromedp.Run(bctx, chromedp.Navigate(base+"/bench/index.html?v=start")); err != nil {
			return nil, err
		}
		var s start
		if err := eval(bctx, time.Minute, fmt.Sprintf("bench.start(%q)", v), &s); err != nil {
			return nil, err
		}
		out[m] = s
	}
	return out, nil
}

// appVariants are the clients of the KissJS-shaped page: ours, and a plain
// JS client of KissJS's shape (bench/page/plain.js).
var appVariants = []string{"ours", "plain"}

// appStarts loads the KissJS-shaped page (a bundle of KissJS's size first,
// then the client, then the app's init) o.netN times per client, each in a
// fresh browser behind the network emulation.
func appStarts(ctx context.Context, o options, base string, run int) (map[string][]app, error) {
	out := map[string][]app{}
	for i := range o.netN {
		for _, v := range rotate(appVariants, run+i) {
			a, err := appIn(ctx, o.chromium, base, v)
			if err != nil {
				return nil, fmt.Errorf("KissJS-shaped page, %s, start %d: %w", v, i+1, err)
			}
			out[v] = append(out[v], a)
		}
	}
	return out, nil
}

func appIn(ctx context.Context, chromium, base, v string) (app, error) {
	var a app
	bctx, cancel, err := launch(ctx, chromium)
	if err != nil {
		return a, err
	}
	defer cancel()
	if err := chromedp.Run(bctx, network.Enable(),
		network.EmulateNetworkConditions(false, netLatencyMS, netDownBps, netUpBps)); err != nil {
		return a, fmt.Errorf("network emulation: %w", err)
	}
	if err := chromedp.Run(bctx, chromedp.Navigate(base+"/bench/app-"+v+".html")); err != nil {
		return a, err
	}
	err = eval(bctx, time.Minute, "bench.app()", &a)
	return a, err
}
