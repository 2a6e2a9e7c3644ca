//go:build js && wasm

package main

import (
	"sync"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// loader is the one boundary between Go and web/kiss-websocket.js: a typed
// method for each function of the loader's runtime object (rt). Nothing
// else in Go calls the loader by name. A failed call is logged once per
// function, so a broken loader shows up without flooding the console.
type loader struct {
	rt safejs.Value

	mu     sync.Mutex
	failed map[string]bool
}

// jsArgs are the arguments of a call into the loader or its shared file,
// the trailing nils left out (no argument is nil): an array the caller
// builds on its stack, where a variadic call built a slice on the heap,
// with a write barrier per argument, at each call site.
type jsArgs [5]any

func (a *jsArgs) list() []any {
	n := len(a)
	for n > 0 && a[n-1] == nil {
		n--
	}
	return a[:n]
}

func newLoader(rt safejs.Value) *loader { return &loader{rt: rt, failed: map[string]bool{}} }

func (l *loader) call(name string, args jsArgs) (safejs.Value, error) {
	v, err := l.rt.Call(name, args.list()...)
	if err != nil {
		l.mu.Lock()
		first := !l.failed[name]
		l.failed[name] = true
		l.mu.Unlock()
		if first {
			println("kiss.websocket: loader call " + name + " failed: " + err.Error())
		}
	}
	return v, err
}

// warn prints msg on the console (never a token).
func (l *loader) warn(msg string) { _, _ = l.call("warn", jsArgs{msg}) }

// ready hands the implementation to the loader, which replays queued calls.
func (l *loader) ready(impl safejs.Value) error {
	_, err := l.call("ready", jsArgs{impl})
	return err
}

// token is the session token as the loader reads it for the socket URL.
func (l *loader) token() string {
	v, err := l.call("token", jsArgs{})
	if err != nil {
		return ""
	}
	s, _ := v.String()
	return s
}

// facts reads what the page shows of its login (core.Facts).
func (l *loader) facts() core.Facts {
	v, err := l.call("facts", jsArgs{})
	if err != nil {
		return core.Facts{}
	}
	return factsOf(v)
}

// factsOf reads the loader's facts object: {resets, user, token, link}.
func factsOf(v safejs.Value) core.Facts {
	var f core.Facts
	if !isObject(v) {
		return f
	}
	if n, err := v.Get("resets"); err == nil {
		r, _ := n.Float()
		f.Resets = int64(r)
	}
	f.User, _ = getString(v, "user")
	f.Token, _ = getString(v, "token")
	if l, err := v.Get("link"); err == nil && isObject(l) {
		f.Link.Token, _ = getString(l, "token")
		f.Link.Root, _ = getString(l, "root")
	}
	return f
}

// link keeps what our refresh decided (core.Link) where every tab reads it.
func (l *loader) link(k core.Link) { _, _ = l.call("link", jsArgs{k.Token, k.Root}) }

// configure hands the loader the hooks and the largest message send takes.
func (l *loader) configure(cfg safejs.Value, maxBytes int) {
	_, _ = l.call("configure", jsArgs{cfg, maxBytes})
}

// emit publishes a client event (and runs the hooks it stands for).
func (l *loader) emit(name string, payload any) { _, _ = l.call("emit", jsArgs{name, payload}) }

// discard closes a socket init() made while the wasm loaded, unless adopted.
func (l *loader) discard(pre safejs.Value) { _, _ = l.call("discard", jsArgs{pre}) }

// deferred is the one promise helper: a promise and its settling functions.
func (l *loader) deferred() (promise, resolve, reject safejs.Value, err error) {
	d, err := l.call("deferred", jsArgs{})
	if err != nil {
		return safejs.Undefined(), safejs.Undefined(), safejs.Undefined(), err
	}
	promise, err1 := d.Get("promise")
	resolve, err2 := d.Get("resolve")
	reject, err3 := d.Get("reject")
	for _, e := range []error{err1, err2, err3} {
		if e != nil {
			return safejs.Undefined(), safejs.Undefined(), safejs.Undefined(), e
		}
	}
	return promise, resolve, reject, nil
}

// typeOf is JavaScript's typeof, with "array" for arrays.
func (l *loader) typeOf(v safejs.Value) string {
	t, err := l.call("typeOf", jsArgs{v})
	if err != nil {
		return "unknown"
	}
	s, _ := t.String()
	return s
}

// counters are the loader's frame counters (the per-frame path is there).
type counters struct{ framesIn, bytesIn, framesOut, bytesOut, dropped, relayedIn float64 }

func (l *loader) counters() counters {
	c, err := l.call("counters", jsArgs{})
	if err != nil {
		return counters{}
	}
	num := func(name string) float64 {
		v, err := c.Get(name)
		if err != nil {
			return 0
		}
		f, _ := v.Float()
		return f
	}
	return counters{num("framesIn"), num("bytesIn"), num("framesOut"), num("bytesOut"), num("dropped"), num("relayedIn")}
}

// The socket calls take the record open returned.

// open adopts pre (a socket init() made while the wasm loaded) or makes a
// socket for url; onOpen, onClose and onPong are called from its events.
func (l *loader) open(url string, onOpen, onClose, onPong, pre safejs.Value) (safejs.Value, error) {
	return l.call("open", jsArgs{url, onOpen, onClose, onPong, pre})
}

// live lets frames in (the open sequence is over) and dispatches early ones.
func (l *loader) live(rec safejs.Value) { _, _ = l.call("live", jsArgs{rec}) }

// closing stops direct sends: close() was called on the socket.
func (l *loader) closing(rec safejs.Value) { _, _ = l.call("closing", jsArgs{rec}) }

// detach removes the socket's listeners.
func (l *loader) detach(rec safejs.Value) { _, _ = l.call("detach", jsArgs{rec}) }

// send writes one text frame, tracked for reclaiming.
func (l *loader) send(rec safejs.Value, s string) error {
	_, err := l.call("send", jsArgs{rec, s})
	return err
}

// ping sends the heartbeat; the next "pong" goes to Go.
func (l *loader) ping(rec safejs.Value) error {
	_, err := l.call("ping", jsArgs{rec})
	return err
}

// unsent returns the frames the browser still held, oldest first.
func (l *loader) unsent(rec safejs.Value) [][]byte {
	v, err := l.call("unsent", jsArgs{rec})
	if err != nil {
		return nil
	}
	n, err := v.Length()
	if err != nil || n == 0 {
		return nil
	}
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		e, err := v.Index(i)
		if err != nil {
			return out
		}
		str, err := e.String()
		if err != nil {
			return out
		}
		out = append(out, []byte(str))
	}
	return out
}

// Shared mode: the typed calls into the loader's shared-mode file (its
// executor object, sh), which does what core.Group decides.

// shared returns the shared-mode executor when this tab shares a socket:
// asked (init's shared, or the script's data-shared) and the browser has
// Web Locks and BroadcastChannel (else it notes once that it cannot).
func (l *loader) shared(asked bool) (safejs.Value, bool) {
	v, err := l.call("shared", jsArgs{asked})
	if err != nil || !isObject(v) {
		return safejs.Undefined(), false
	}
	return v, true
}

func (l *loader) sh(sh safejs.Value, name string, args jsArgs) (safejs.Value, error) {
	v, err := sh.Call(name, args.list()...)
	if err != nil {
		l.mu.Lock()
		first := !l.failed["sh."+name]
		l.failed["sh."+name] = true
		l.mu.Unlock()
		if first {
			println("kiss.websocket: loader call sh." + name + " failed: " + err.Error())
		}
	}
	return v, err
}

// shStart hands the executor Go's entry: what happened, once per task.
func (l *loader) shStart(sh, entry safejs.Value) { _, _ = l.sh(sh, "start", jsArgs{entry}) }

// shStandin makes the stand-in a following tab shows as its connection.
func (l *loader) shStandin(sh safejs.Value, url string, conn float64) (safejs.Value, error) {
	return l.sh(sh, "standin", jsArgs{url, conn})
}

// shSource: the frames relayed on channel name are rec's (a stand-in).
func (l *loader) shSource(sh safejs.Value, name string, rec safejs.Value) {
	_, _ = l.sh(sh, "source", jsArgs{name, rec})
}

// shPending: rec's frames the leader has not yet confirmed written.
func (l *loader) shPending(sh, rec safejs.Value, n int) { _, _ = l.sh(sh, "pending", jsArgs{rec, n}) }

// shRule sets a rule by which the page acts without Go (sharedTab.rule):
// "fast", a following page posts what it sends on the stand-in rec
// itself; "lead", the leading page writes followers' batches on its
// socket rec itself. "" takes it away.
func (l *loader) shRule(sh safejs.Value, name string, rec safejs.Value, rule string) {
	_, _ = l.sh(sh, name, jsArgs{rec, rule})
}

// shOpened and shClosed are the stand-in's open and close.
func (l *loader) shOpened(sh, rec safejs.Value, protocol, extensions string) {
	_, _ = l.sh(sh, "opened", jsArgs{rec, protocol, extensions})
}

func (l *loader) shClosed(sh, rec safejs.Value, code int, reason string, wasClean bool) {
	_, _ = l.sh(sh, "closed", jsArgs{rec, code, reason, wasClean})
}

// shClosing stops the page's direct sends on a stand-in, after passing Go
// those it holds.
func (l *loader) shClosing(sh, rec safejs.Value) { _, _ = l.sh(sh, "closing", jsArgs{rec}) }

// shQuiet stops publishing a handed-over socket's frames.
func (l *loader) shQuiet(sh, rec safejs.Value) { _, _ = l.sh(sh, "quiet", jsArgs{rec}) }

// shWrite writes a follower's frames on the real socket, owned by from.
func (l *loader) shWrite(sh, rec safejs.Value, frames [][]byte, from string) {
	arr := make([]any, len(frames))
	for i, f := range frames {
		arr[i] = string(f)
	}
	_, _ = l.sh(sh, "write", jsArgs{rec, arr, from})
}

// shClose closes the real socket.
func (l *loader) shClose(sh, rec safejs.Value, code int, reason string) {
	_, _ = l.sh(sh, "close", jsArgs{rec, code, reason})
}

// shLeft is what the real socket still buffered at its end, and whose.
func (l *loader) shLeft(sh, rec safejs.Value) (frames [][]byte, owners []string) {
	v, err := l.sh(sh, "left", jsArgs{rec})
	if err != nil || !isObject(v) {
		return nil, nil
	}
	f, _ := v.Get("frames")
	o, _ := v.Get("owners")
	frames = jsStrings(f)
	for _, b := range jsStrings(o) {
		owners = append(owners, string(b))
	}
	return frames, owners
}

// shRelay turns the copy of rec's frames to channel name on or off.
func (l *loader) shRelay(sh safejs.Value, on bool, name string, rec safejs.Value) {
	_, _ = l.sh(sh, "relay", jsArgs{on, name, rec})
}

func (l *loader) shListen(sh safejs.Value, name string, on bool) {
	_, _ = l.sh(sh, "listen", jsArgs{name, on})
}

func (l *loader) shPost(sh safejs.Value, name, msg string) {
	_, _ = l.sh(sh, "post", jsArgs{name, msg})
}

func (l *loader) shLock(sh safejs.Value, name string, req uint64, steal bool) {
	_, _ = l.sh(sh, "lock", jsArgs{name, float64(req), steal})
}

func (l *loader) shAbortLock(sh safejs.Value, req uint64) {
	_, _ = l.sh(sh, "abortLock", jsArgs{float64(req)})
}

func (l *loader) shRelease(sh safejs.Value, req uint64) {
	_, _ = l.sh(sh, "release", jsArgs{float64(req)})
}

func (l *loader) shQuery(sh safejs.Value, name string, req uint64) {
	_, _ = l.sh(sh, "query", jsArgs{name, float64(req)})
}

func (l *loader) shTimer(sh safejs.Value, timer int, req uint64, after time.Duration) {
	_, _ = l.sh(sh, "timer", jsArgs{timer, float64(req), float64(after) / float64(time.Millisecond)})
}

func (l *loader) shStop(sh safejs.Value, timer int) { _, _ = l.sh(sh, "stop", jsArgs{timer}) }
