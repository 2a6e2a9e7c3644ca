//go:build js && wasm

package main

import (
	"errors"
	"sync"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// browserDialer opens the page's own WebSocket, through the loader, which
// creates it (or adopts the one init() made while the wasm was loading) and
// makes it kiss.websocket.connection. Frames never come to Go: the loader's
// onmessage handles them, and Go hears only open, close and the pong that
// answers its ping. It is a core.Opener: the socket exists from the moment
// the attempt starts, as in KissJS.
type browserDialer struct {
	js *loader
	// adopt is the loader's record of a socket init() made while the wasm
	// loaded; the bridge sets it around the Start of that init.
	adopt safejs.Value
	// shared is the config's shared flag of the init that started the
	// client (init({shared: true})): every attempt asks for the shared socket.
	shared bool
	// client is the one the dialer opens for; group its tab's part in
	// shared mode, made at the first attempt that shares.
	client *core.Client
	group  *sharedTab
}

// sock is one browser WebSocket, implementing core.Opening and core.Conn.
type sock struct {
	rec     safejs.Value // the loader's record of the socket: {ws, ...}
	ws      safejs.Value
	js      *loader
	opened  chan struct{}
	failed  chan *core.CloseError
	release []func()
	madeIn  string // the session of a socket init() made while the wasm loaded
	// announced: the loader reported this socket's open before Go adopted
	// it (core.Announced).
	announced bool

	mu     sync.Mutex
	h      core.Handler
	early  *core.CloseError // closed after open but before Serve
	done   bool
	unsent [][]byte // read at detach, while the loader still tracks this socket
}

// The page's socket is an Opener (made inside init(), as KissJS's), and the
// one init() made while the wasm loaded knows its session and whether the
// page was told of its open.
var (
	_ core.Opener    = (*browserDialer)(nil)
	_ core.MadeIn    = (*sock)(nil)
	_ core.Announced = (*sock)(nil)
)

func (d *browserDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	op, err := d.Open(url, "")
	if err != nil {
		return nil, err
	}
	return op.Wait(ctx)
}

// Open runs with the client's lock held: it only calls JavaScript, which
// calls back into Go later, from events.
func (d *browserDialer) Open(url, session string) (core.Opening, error) {
	if sh, ok := d.js.shared(d.shared); ok && !isObject(d.adopt) {
		if d.group == nil {
			d.group = newSharedTab(d.js, sh, d.client, documentHidden())
		}
		return d.group.open(url, session)
	}
	if d.group != nil {
		d.group.page(core.EvLeave, false) // no longer shared: this tab leaves its group
	}
	s := &sock{js: d.js, opened: make(chan struct{}), failed: make(chan *core.CloseError, 1)}
	var once sync.Once
	onOpen, rel1, err1 := newFunc(func(safejs.Value, []safejs.Value) any {
		once.Do(func() { close(s.opened) })
		return nil
	})
	onClose, rel2, err2 := newFunc(func(_ safejs.Value, args []safejs.Value) any {
		s.closed(closeEventOf(arg(args, 0)))
		return nil
	})
	onPong, rel3, err3 := newFunc(func(safejs.Value, []safejs.Value) any {
		s.mu.Lock()
		h := s.h
		s.mu.Unlock()
		if h != nil {
			h.HandlePong()
		}
		return nil
	})
	s.release = []func(){rel1, rel2, rel3}
	for _, e := range []error{err1, err2, err3} {
		if e != nil {
			s.releaseFuncs()
			return nil, e
		}
	}
	pre := d.adopt
	d.adopt = safejs.Undefined()
	rec, err := d.js.open(url, onOpen, onClose, onPong, pre)
	if err == nil {
		s.rec = rec
		s.ws, err = rec.Get("ws")
		if f, ferr := rec.Get("facts"); ferr == nil && isObject(f) {
			s.madeIn = factsOf(f).Session()
		}
		if a, aerr := rec.Get("announced"); aerr == nil {
			s.announced, _ = a.Truthy()
		}
	}
	if err != nil {
		s.releaseFuncs()
		// an invalid URL throws SyntaxError: retrying will not help, but the
		// reason keeps it from passing for a refused token.
		return nil, &core.CloseError{Code: core.CodeAbnormal, Reason: "INVALID_URL"}
	}
	return s, nil
}

// MadeIn is the session the adopted socket was made in (core.MadeIn), ""
// for a socket made now.
func (s *sock) MadeIn() string { return s.madeIn }

// Announced reports whether the loader ran this socket's open sequence
// before Go adopted it: the first socket, opened while the wasm loaded.
func (s *sock) Announced() bool { return s.announced }

// Wait returns once the socket is open, or how it failed.
func (s *sock) Wait(ctx core.Context) (core.Conn, error) {
	select {
	case <-s.opened:
		return s, nil
	case ce := <-s.failed:
		select {
		case <-s.opened: // opened, then closed at once: Serve reports the close
			return s, nil
		default:
			return nil, ce
		}
	case <-ctx.Done():
		s.Abort()
		return nil, ctx.Err()
	}
}

func (s *sock) releaseFuncs() {
	for _, r := range s.release {
		r()
	}
}

// closeEventOf reads code, reason and wasClean exactly as the browser gives them.
func closeEventOf(ev safejs.Value) *core.CloseError {
	ce := &core.CloseError{Code: core.CodeAbnormal}
	if v, err := ev.Get("code"); err == nil {
		if n, err := v.Int(); err == nil {
			ce.Code = n
		}
	}
	if r, ok := getString(ev, "reason"); ok {
		ce.Reason = r
	}
	if v, err := ev.Get("wasClean"); err == nil {
		ce.WasClean, _ = v.Bool()
	}
	return ce
}

// closed handles the close event: it runs in a JavaScript callback.
func (s *sock) closed(ce *core.CloseError) {
	s.detach()
	s.mu.Lock()
	h := s.h
	if h == nil {
		s.early = ce
	}
	s.mu.Unlock()
	if h != nil {
		h.HandleClose(ce)
		return
	}
	select {
	case s.failed <- ce:
	default:
	}
}

// detach removes our listeners and releases their functions, once.
func (s *sock) detach() {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return
	}
	s.done = true
	s.mu.Unlock()
	unsent := s.readUnsent()
	s.mu.Lock()
	s.unsent = unsent
	s.mu.Unlock()
	s.js.detach(s.rec)
	s.releaseFuncs()
}

func (s *sock) Serve(h core.Handler) {
	s.mu.Lock()
	s.h = h
	early := s.early
	s.mu.Unlock()
	if early != nil {
		h.HandleClose(early)
		return
	}
	s.js.live(s.rec)
}

// errNotOpen keeps a frame the browser would drop silently (socket closing)
// in the outbox: the client requeues it for the next socket.
var errNotOpen = errors.New("socket is not open")

func (s *sock) WriteText(data []byte) error {
	if err := s.isOpen(); err != nil {
		return err
	}
	return s.js.send(s.rec, string(data))
}

// Ping sends "ping" and has the loader hand the next "pong" to Go.
func (s *sock) Ping() error {
	if err := s.isOpen(); err != nil {
		return err
	}
	return s.js.ping(s.rec)
}

func (s *sock) isOpen() error {
	if s.readyState() != wsOpen {
		return errNotOpen
	}
	return nil
}

// Unsent reports the frames still in the browser's buffer at an abnormal
// close, oldest first (core.Reclaimer): they go back to the outbox.
func (s *sock) Unsent() [][]byte {
	s.mu.Lock()
	u, done := s.unsent, s.done
	s.mu.Unlock()
	if done {
		return u
	}
	return s.readUnsent()
}

func (s *sock) readUnsent() [][]byte { return s.js.unsent(s.rec) }

// Close is the page's close() on this socket, whatever its state but
// CLOSED: connecting, open, or closing already (KissJS calls it again then,
// and so do we). A page that wraps WebSocket sees KissJS's calls, no more.
func (s *sock) Close(code int, reason string) error {
	if s.readyState() == wsClosed {
		return nil
	}
	s.js.closing(s.rec)
	_, err := s.ws.Call("close", code, reason)
	return err
}

// Abort drops the socket without waiting: the close event is not awaited
// (a hung server takes about 60 s to complete it). A socket already
// closing or closed is left alone: nothing more to call on it.
func (s *sock) Abort() {
	s.detach()
	switch s.readyState() {
	case wsOpen:
		_, _ = s.ws.Call("close", core.CodeNotResponding, "SERVER_NOT_RESPONDING")
	case wsConnecting:
		_, _ = s.ws.Call("close")
	}
}

// WebSocket's readyState values.
const (
	wsConnecting = 0
	wsOpen       = 1
	wsClosed     = 3
)

// readyState is the socket's, or CLOSED when it cannot be read.
func (s *sock) readyState() int {
	rs, err := s.ws.Get("readyState")
	if err != nil {
		return wsClosed
	}
	n, err := rs.Int()
	if err != nil {
		return wsClosed
	}
	return n
}

// documentHidden reads document.hidden.
func documentHidden() bool {
	doc, err := global("document")
	if err != nil || !isObject(doc) {
		return false
	}
	v, err := doc.Get("hidden")
	if err != nil {
		return false
	}
	h, _ := v.Truthy()
	return h
}
