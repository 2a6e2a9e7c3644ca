//go:build js && wasm

package main

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// bridge is kiss.websocket's Go side: the JavaScript API calls it for control
// (init, close, stats, sends while no socket is open) and it reports the
// client's events to the loader, which publishes them.
type bridge struct {
	kiss    safejs.Value
	js      *loader
	sess    *session
	dialer  *browserDialer
	client  *core.Client
	release []func()

	mu        sync.Mutex
	closers   []safejs.Value
	listening bool
	unlisten  []func()
}

func newBridge(kiss safejs.Value, js *loader) *bridge {
	b := &bridge{kiss: kiss, js: js, sess: newSession(kiss, js), dialer: &browserDialer{js: js, adopt: safejs.Undefined()}}
	b.client = core.New(core.Options{
		Dialer:     b.dialer,
		URL:        b.nextURL,
		CheckToken: b.sess.check,
		Session:    b.sess.id,
		OnEvent:    b.onEvent,
		Log:        func(msg string) { js.warn(strings.TrimPrefix(msg, "kiss.websocket: ")) },
	})
	b.dialer.client = b.client
	return b
}

// nextURL is the address of the next attempt, by core's rule (Page.URL),
// from what the page shows now and the token of the moment.
func (b *bridge) nextURL(cfg core.Config) (string, error) {
	return b.sess.page(cfg.NamedPorts).URL(cfg, b.js.token()), nil
}

// impl builds the object the loader calls.
func (b *bridge) impl() (safejs.Value, error) {
	fns := map[string]func(args []safejs.Value) any{
		"init": b.init,
		"send": b.send,
		"close": func(args []safejs.Value) any {
			called, _ := arg(args, 0).Truthy()
			return b.close(called)
		},
		"reconnect": func([]safejs.Value) any { b.client.Reconnect(); return nil },
		"page": func(args []safejs.Value) any {
			name, _ := stringValue(arg(args, 0))
			b.page(name)
			return nil
		},
		"stats": func([]safejs.Value) any { return b.stats() },
		"state": func([]safejs.Value) any { return b.client.State().String() },
		"debug": b.debug,
	}
	ctor, err := global("Object")
	if err != nil {
		return safejs.Undefined(), err
	}
	obj, err := ctor.New()
	if err != nil {
		return safejs.Undefined(), err
	}
	for name, fn := range fns {
		v, rel, err := newFunc(func(_ safejs.Value, args []safejs.Value) any { return fn(args) })
		if err != nil {
			return safejs.Undefined(), err
		}
		b.release = append(b.release, rel)
		if err := obj.Set(name, v); err != nil {
			return safejs.Undefined(), err
		}
	}
	return obj, nil
}

// init(config[, pre]) returns init's promise. Validation and Start happen
// here, at once, so the socket exists when init returns; only the wait for
// the outcome runs on a goroutine. pre is the socket the loader made for this
// init while the wasm loaded.
func (b *bridge) init(args []safejs.Value) any {
	cfgV, pre := arg(args, 0), arg(args, 1)
	promise, resolve, reject, err := b.js.deferred()
	if err != nil {
		return jsError("Error", "kiss.websocket.init: "+err.Error())
	}
	raw, warning := readConfig(b.js, cfgV)
	cfg, err := core.Decode(raw)
	if warning != "" {
		cfg.Warnings = append([]string{warning}, cfg.Warnings...)
	}
	if err != nil {
		b.rejectInit(reject, pre, err)
		return promise
	}
	b.dialer.adopt = pre
	shared := b.dialer.shared
	b.dialer.shared = cfg.Shared
	res, started, err := b.client.Start(cfg)
	if !started || err != nil {
		b.dialer.shared = shared // the config of an init that did nothing is not read
	}
	if !b.dialer.adopt.IsUndefined() {
		// not taken (Start was ignored or failed): nothing will run it
		b.dialer.adopt = safejs.Undefined()
		b.js.discard(pre)
	}
	if err != nil {
		b.rejectInit(reject, safejs.Undefined(), err)
		return promise
	}
	if !started {
		// KissJS returns early without reading the config.
		_, _ = resolve.Invoke(safejs.Undefined())
		return promise
	}
	b.js.configure(cfgV, cfg.Outbox.MaxBytes)
	b.listen()
	go func() { _, _ = resolve.Invoke(resultValue(<-res)) }()
	return promise
}

// rejectInit rejects init with a TypeError, and closes the socket the
// loader made for it while the wasm was loading (pre): nothing was sent on it.
func (b *bridge) rejectInit(reject, pre safejs.Value, err error) {
	if isObject(pre) {
		b.js.discard(pre)
	}
	_, _ = reject.Invoke(jsError("TypeError", err.Error()))
}

func resultValue(r core.Result) any {
	switch r {
	case core.ResultOpened:
		return true
	case core.ResultFailed:
		return false
	}
	return safejs.Undefined()
}

// send(text[, facts]) queues a message while no socket is open; it returns
// an Error for the loader to throw. Facts come with a send the page made
// while the wasm loaded: it is sent only in the session they name.
func (b *bridge) send(args []safejs.Value) any {
	s, err := arg(args, 0).String()
	if err != nil {
		return jsError("TypeError", "kiss.websocket.send: the message must be a string")
	}
	send := b.client.Send
	if f := arg(args, 1); isObject(f) {
		sess := factsOf(f).Session()
		send = func(msg []byte) error { return b.client.SendIn(sess, msg) }
	}
	if err := send([]byte(s)); err != nil {
		return jsError("Error", err.Error())
	}
	return nil
}

// close() returns a Promise that resolves once the client has stopped.
// called is set for a close() the page made while the wasm loaded: the
// loader already made its call on the socket.
func (b *bridge) close(called bool) any {
	end := b.client.Close
	if called {
		end = b.client.CloseCalled
	}
	if err := end(); err != nil {
		return jsError("Error", err.Error())
	}
	p, resolve, _, err := b.js.deferred()
	if err != nil {
		return nil
	}
	b.mu.Lock()
	b.closers = append(b.closers, resolve)
	b.mu.Unlock()
	b.settleClosers()
	return p
}

// settleClosers resolves close() promises once the client is closed.
func (b *bridge) settleClosers() {
	if b.client.State() != core.StateClosed {
		return
	}
	b.mu.Lock()
	cs := b.closers
	b.closers = nil
	b.mu.Unlock()
	for _, r := range cs {
		_, _ = r.Invoke(safejs.Undefined())
	}
}

// onEvent publishes a client event through the loader (kiss.pubsub, hooks).
func (b *bridge) onEvent(e core.Event) {
	var payload any = safejs.Undefined()
	switch e.Kind {
	case core.EventMessage: // the loader dispatches messages itself
		return
	case core.EventReconnecting:
		if p, resolve, _, err := b.js.deferred(); err == nil {
			payload = p
			go func() { _, _ = resolve.Invoke(resultValue(<-e.Result)) }()
		}
	}
	b.js.emit(e.Kind.String(), payload)
	switch e.Kind {
	case core.EventConnectionClosed, core.EventConnectionLost, core.EventUnusableToken:
		if g := b.dialer.group; g != nil {
			g.page(core.EvLeave, false) // the client ended: the lead and the socket go
		}
	}
	switch e.Kind {
	case core.EventUnusableToken:
		if sess := b.sess.obj(); isObject(sess) {
			if fn, err := sess.Get("logout"); err == nil && isFunc(fn) {
				_, _ = sess.Call("logout")
			}
		}
		b.stopped()
	case core.EventConnectionClosed, core.EventConnectionLost:
		b.stopped()
	}
}

// stopped runs when the client ends: it resolves close() promises and drops
// the page listeners, except after giving up on attempts, where the online
// event still gives it another round.
func (b *bridge) stopped() {
	b.settleClosers()
	if !b.client.Resumable() {
		b.unlistenAll()
	}
}

// listen wires online and visibilitychange to Reconnect, offline to
// Offline (attempts then wait for the network instead of failing), the
// back/forward cache's pagehide and pageshow (persisted) to Suspend and
// Resume, and the Page Lifecycle's resume to Probe. None of them is an
// unload or beforeunload listener, which would cost the page its cache.
func (b *bridge) listen() {
	b.mu.Lock()
	if b.listening {
		b.mu.Unlock()
		return
	}
	b.listening = true
	b.mu.Unlock()
	win, _ := global("window")
	doc, _ := global("document")
	add := func(target safejs.Value, event string, fn func(ev safejs.Value)) {
		if !isObject(target) {
			return
		}
		f, rel, err := newFunc(func(_ safejs.Value, args []safejs.Value) any { fn(arg(args, 0)); return nil })
		if err != nil {
			return
		}
		if _, err := target.Call("addEventListener", event, f); err != nil {
			rel()
			return
		}
		b.mu.Lock()
		b.unlisten = append(b.unlisten, func() {
			_, _ = target.Call("removeEventListener", event, f)
			rel()
		})
		b.mu.Unlock()
	}
	add(win, "online", func(safejs.Value) { b.client.Reconnect() })
	add(win, "offline", func(safejs.Value) { b.client.Offline() })
	add(doc, "visibilitychange", func(safejs.Value) {
		if s, ok := getString(doc, "visibilityState"); ok && s == "visible" {
			b.group(core.EvVisible)
			b.client.Reconnect()
		} else {
			b.group(core.EvHidden)
		}
	})
	add(win, "pagehide", func(ev safejs.Value) {
		if persisted(ev) {
			b.client.Suspend()
			b.group(core.EvLeave) // into the cache: the lead and the socket first
			return
		}
		b.group(core.EvGone) // for good: the same, and no joining again while it unloads
	})
	add(doc, "freeze", func(safejs.Value) { b.group(core.EvFreeze) })
	add(win, "pageshow", func(ev safejs.Value) {
		if persisted(ev) {
			b.client.Resume()
		}
	})
	add(doc, "resume", func(safejs.Value) {
		b.group(core.EvResume)
		b.client.Probe()
	})
}

// group tells this tab's group of a page event, in shared mode.
func (b *bridge) group(kind core.GroupEventKind) {
	if g := b.dialer.group; g != nil {
		g.page(kind, true)
	}
}

// page acts on what the page's life did while the loader held the calls
// for Go (recorded in order, as listen's listeners would have seen it).
func (b *bridge) page(name string) {
	switch name {
	case "resume":
		b.client.Probe()
	case "online":
		b.client.Reconnect()
	case "offline":
		b.client.Offline()
	}
}

// persisted reads a page transition event's persisted flag: the page goes
// into, or comes back from, the back/forward cache.
func persisted(ev safejs.Value) bool {
	if !isObject(ev) {
		return false
	}
	v, err := ev.Get("persisted")
	if err != nil {
		return false
	}
	ok, _ := v.Truthy()
	return ok
}

func (b *bridge) unlistenAll() {
	b.mu.Lock()
	fns := b.unlisten
	b.unlisten, b.listening = nil, false
	b.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// stats merges the client's snapshot with the loader's frame counters.
func (b *bridge) stats() any {
	s := b.client.Stats()
	c := b.js.counters()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return map[string]any{
		"state":           s.State.String(),
		"readyState":      s.State.ReadyState(),
		"attempt":         s.Attempt,
		"attempts":        float64(s.Attempts),
		"lastCloseCode":   s.LastCloseCode,
		"lastCloseReason": s.LastCloseReason,
		"lastCloseClean":  s.LastCloseClean,
		"rtt":             ms(s.RTT),
		"nextDelay":       ms(s.NextDelay),
		"framesIn":        float64(s.FramesIn) + c.framesIn,
		"framesOut":       float64(s.FramesOut) + c.framesOut,
		"bytesIn":         float64(s.BytesIn) + c.bytesIn,
		"bytesOut":        float64(s.BytesOut) + c.bytesOut,
		"queued":          s.Queued,
		"queuedBytes":     s.QueuedBytes,
		"dropped":         float64(s.Dropped) + c.dropped,
		"refused":         float64(s.Refused),
		"discarded":       float64(s.Discarded),
		"shared":          b.sharedStats(c.relayedIn),
	}
}

func (b *bridge) sharedStats(relayedIn float64) any {
	if g := b.dialer.group; g != nil {
		return g.stats(relayedIn)
	}
	return nil
}

// debug reports what a closed client must not leave behind.
func (b *bridge) debug([]safejs.Value) any {
	b.mu.Lock()
	listeners := len(b.unlisten)
	b.mu.Unlock()
	return map[string]any{
		"funcs":      float64(liveFuncs.Load() - int64(len(b.release))),
		"listeners":  listeners,
		"goroutines": runtime.NumGoroutine(),
	}
}

var errNoBoot = errors.New("kiss-websocket: start me with the kiss-websocket.js loader")
