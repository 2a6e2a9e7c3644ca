//go:build js && wasm

package main

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/kissjs/kiss-websocket/core"
)

// sharedTab is this tab's part in shared mode: core.Group decides,
// core.GroupTab turns the client's calls into its events and its effects
// into the client's calls, and this is the world they run in: the
// loader's shared-mode file (web/kiss-websocket-shared.js) posts and
// listens on BroadcastChannels, asks Web Locks, runs timers and the
// stand-in a following tab shows as its connection, and hands what
// happened back in one call per task. Server frames never come here: the
// leader's loader relays them and a follower's publishes them (rules set
// by FxRelay and the stand-in's source).
type sharedTab struct {
	js    *loader
	sh    safejs.Value // the shared file's executor
	tab   *core.GroupTab
	g     *core.Group
	entry safejs.Value
	rel   func()

	waking atomic.Bool

	mu       sync.Mutex // guards own, standins and the fields below
	own      map[core.ConnID]*ownSock
	standins map[core.ConnID]safejs.Value
	url      string // of the last Open: a stand-in shows it
	si       core.ConnID
	source   string
	pending  int
}

// ownSock is the real socket this tab holds while it leads.
type ownSock struct {
	rec     safejs.Value
	release []func()
}

func newSharedTab(js *loader, sh safejs.Value, client *core.Client, hidden bool) *sharedTab {
	s := &sharedTab{js: js, sh: sh, own: map[core.ConnID]*ownSock{}, standins: map[core.ConnID]safejs.Value{}}
	s.g = core.NewGroup(core.GroupOptions{
		Tab:  strconv.FormatUint(rand.Uint64(), 36),
		Rand: rand.Float64,
		RTT:  func() time.Duration { return client.Stats().RTT },
	})
	s.tab = core.NewGroupTab(core.GroupTabOptions{Group: s.g, World: s, Direct: true,
		Now: func() time.Duration { return time.Duration(time.Now().UnixMilli()) * time.Millisecond }})
	s.tab.Attach(client)
	entry, rel, err := newFunc(func(_ safejs.Value, args []safejs.Value) any {
		s.in(arg(args, 0))
		return nil
	})
	if err == nil {
		s.entry, s.rel = entry, rel
		js.shStart(sh, entry)
	}
	if hidden {
		s.page(core.EvHidden, false)
	}
	return s
}

// open is the client's Opener in shared mode.
func (s *sharedTab) open(url, session string) (core.Opening, error) {
	s.mu.Lock()
	s.url = url
	s.mu.Unlock()
	return s.tab.Open(url, session)
}

// Wake runs the client's queued calls once the caller is done (Go runs
// its goroutines before it gives the page back).
func (s *sharedTab) Wake() {
	if s.waking.Swap(true) {
		return
	}
	go func() {
		s.waking.Store(false)
		s.run()
	}()
}

func (s *sharedTab) run() {
	s.tab.Run()
	s.sync()
}

// step is an event of the real socket, after the client's calls before it.
func (s *sharedTab) step(ev core.GroupEvent) {
	s.tab.Run()
	s.tab.Step(ev)
	s.sync()
}

// page is a page event the Group acts on, in order with the client's
// calls: now (a page listener: the page may go when it returns), or once
// the caller is done (the client's events, which may come from a Step).
func (s *sharedTab) page(kind core.GroupEventKind, now bool) {
	s.tab.Queue(func() { s.tab.Step(core.GroupEvent{Kind: kind}) })
	if now {
		s.run()
	} else {
		s.Wake()
	}
}

// in takes what the loader saw since its last call: a flat array of
// entries, each a kind and its arguments.
func (s *sharedTab) in(list safejs.Value) {
	n, err := list.Length()
	if err != nil {
		return
	}
	l := jsList{list}
	var evs []core.GroupEvent
	for i := 0; i < n; {
		var ev core.GroupEvent
		switch l.str(i) {
		case "m":
			if m, ok := core.DecodeMsg(l.str(i + 2)); ok {
				ev = core.GroupEvent{Kind: core.EvMessage, Name: l.str(i + 1), Msg: m}
			}
			i += 3
		case "g":
			ev = core.GroupEvent{Kind: core.EvLockGranted, Req: l.num(i + 1)}
			i += 2
		case "f":
			ev = core.GroupEvent{Kind: core.EvLockFailed, Req: l.num(i + 1)}
			i += 2
		case "q":
			ev = core.GroupEvent{Kind: core.EvLockState, Req: l.num(i + 1), Holder: l.str(i + 2)}
			i += 3
		case "t":
			ev = core.GroupEvent{Kind: core.EvTimer, Timer: core.GroupTimer(l.num(i + 1)), Req: l.num(i + 2)}
			i += 3
		case "s": // the page's sends on the stand-in, one task's
			s.tab.Send(core.ConnID(l.num(i+1)), jsStrings(l.at(i+2)))
			i += 3
		case "S": // the same, posted to the leader by the page itself (FxFast)
			s.tab.Sent(core.ConnID(l.num(i+1)), l.num(i+2), jsStrings(l.at(i+3)))
			i += 4
		case "W": // a follower's batch the leading page wrote itself (FxLead)
			ev = core.GroupEvent{Kind: core.EvWritten, Conn: core.ConnID(l.num(i + 1)), Code: int(l.num(i + 2))}
			i += 3
		case "c": // the page's close() on its stand-in
			s.tab.Close(core.ConnID(l.num(i+1)), int(l.float(i+2)), l.str(i+3))
			i += 4
		default:
			i = n
		}
		if ev.Kind != 0 {
			evs = append(evs, ev) // one append: each copies a large event
		}
	}
	if len(evs) > 0 {
		s.tab.Queue(func() { s.tab.Step(evs...) })
	}
	s.Wake() // not here: this may run inside a call of the client
}

// jsList reads the entries of a JavaScript array; its methods stay out of
// line, where inlined each of in's reads grew by safejs's error handling.
type jsList struct{ v safejs.Value }

//go:noinline
func (l jsList) at(i int) safejs.Value {
	v, _ := l.v.Index(i)
	return v
}

//go:noinline
func (l jsList) float(i int) float64 {
	f, _ := l.at(i).Float()
	return f
}

func (l jsList) num(i int) uint64 { return uint64(l.float(i)) }

//go:noinline
func (l jsList) str(i int) string {
	v, _ := l.at(i).String()
	return v
}

func jsStrings(v safejs.Value) [][]byte {
	n, err := v.Length()
	if err != nil {
		return nil
	}
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		e, err := v.Index(i)
		if err != nil {
			break
		}
		str, _ := e.String()
		out = append(out, []byte(str))
	}
	return out
}

// sync shows the page the stand-in of the moment: its object, where its
// frames come from, how much it still waits to see written.
func (s *sharedTab) sync() {
	conn, source := s.g.StandIn()
	pending := s.g.Pending()
	s.mu.Lock()
	url := s.url
	rec, known := s.standins[conn]
	newSI := conn != 0 && !known
	changed := conn != s.si || source != s.source
	s.si, s.source = conn, source
	pchanged := pending != s.pending
	s.pending = pending
	s.mu.Unlock()
	if newSI {
		r, err := s.js.shStandin(s.sh, url, float64(conn))
		if err != nil {
			return
		}
		rec = r
		s.mu.Lock()
		s.standins[conn] = rec
		s.mu.Unlock()
	}
	if changed {
		s.js.shSource(s.sh, source, rec)
	}
	if pchanged && conn != 0 {
		s.js.shPending(s.sh, rec, pending)
	}
}

func (s *sharedTab) standin(conn core.ConnID) (safejs.Value, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.standins[conn]
	return r, ok
}

func (s *sharedTab) ownSock(conn core.ConnID) *ownSock {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own[conn]
}

// Write is the leading tab's client writing on its own socket.
func (s *sharedTab) Write(conn core.ConnID, data []byte, ping bool) error {
	o := s.ownSock(conn)
	if o == nil {
		return errNotOpen
	}
	if ping {
		return s.js.ping(o.rec)
	}
	return s.js.send(o.rec, string(data))
}

// Serve lets frames in: the real socket's, or the stand-in's.
func (s *sharedTab) Serve(conn core.ConnID) {
	if o := s.ownSock(conn); o != nil {
		s.js.live(o.rec)
	} else if rec, ok := s.standin(conn); ok {
		s.js.live(rec)
	}
}

// Closing stops the page's direct sends on conn, handing Go those of the
// task so far first (core.GroupCloser).
func (s *sharedTab) Closing(conn core.ConnID) {
	if o := s.ownSock(conn); o != nil {
		s.js.closing(o.rec)
	} else if rec, ok := s.standin(conn); ok {
		s.js.shClosing(s.sh, rec)
	}
}

// Do carries out the Group's effects on the page.
func (s *sharedTab) Do(fx *core.GroupEffect) {
	js, sh := s.js, s.sh
	switch fx.Kind {
	case core.FxOpened:
		if rec, ok := s.standin(fx.Conn); ok {
			js.shOpened(sh, rec, fx.Info.Protocol, fx.Info.Extensions)
		}
	case core.FxClosed, core.FxHandover:
		if rec, ok := s.standin(fx.Conn); ok {
			ce := fx.Close
			if fx.Kind == core.FxHandover {
				ce = core.CloseError{Code: core.CodeNormal, Reason: "HANDOVER", WasClean: true}
			}
			js.shClosed(sh, rec, ce.Code, ce.Reason, ce.WasClean)
			s.mu.Lock()
			delete(s.standins, fx.Conn)
			s.mu.Unlock()
		} else if o := s.ownSock(fx.Conn); o != nil && fx.Kind == core.FxHandover {
			js.shQuiet(sh, o.rec) // its frames are the next leader's to publish
		}
	case core.FxOpenSocket:
		s.openSocket(fx.Conn, fx.URL)
	case core.FxWrite:
		if o := s.ownSock(fx.Conn); o != nil {
			js.shWrite(sh, o.rec, fx.Frames, fx.From)
		}
	case core.FxCloseSocket:
		if o := s.ownSock(fx.Conn); o != nil {
			js.shClose(sh, o.rec, fx.Code, fx.Reason)
		}
	case core.FxFast, core.FxLead:
		s.rule(fx)
	case core.FxRelay:
		rec := safejs.Undefined()
		if o := s.ownSock(fx.Conn); o != nil {
			rec = o.rec
		}
		js.shRelay(sh, fx.On, fx.Name, rec)
	case core.FxListen:
		js.shListen(sh, fx.Name, fx.On)
	case core.FxPost:
		js.shPost(sh, fx.Name, core.EncodeMsg(&fx.Msg))
	case core.FxLock:
		js.shLock(sh, fx.Name, fx.Req, fx.Steal)
	case core.FxAbortLock:
		js.shAbortLock(sh, fx.Req)
	case core.FxRelease:
		js.shRelease(sh, fx.Req)
	case core.FxQuery:
		js.shQuery(sh, fx.Name, fx.Req)
	case core.FxStartTimer:
		js.shTimer(sh, int(fx.Timer), fx.Req, fx.After)
	case core.FxStopTimer:
		js.shStop(sh, int(fx.Timer))
	case core.FxUnsent, core.FxLost:
		js.warn("shared mode: " + strconv.Itoa(len(fx.Frames)) + " frames lost (" + fx.Kind.String() + ")")
	}
}

// rule hands the page the rule of FxFast or FxLead as one string, its
// parts each on a line (none holds a newline: channel names, tab ids and
// the encoded fields of a template whose strings are those), "" for none.
//
//go:noinline
func (s *sharedTab) rule(fx *core.GroupEffect) {
	u := strconv.FormatUint
	if fx.Kind == core.FxFast {
		rule := ""
		if fx.On {
			head, tail := core.SendParts(&fx.Msg)
			rule = fx.Name + "\n" + head + "\n" + tail + "\n" + u(fx.Msg.Seq, 10) + "\n" + u(fx.Req, 10)
		}
		if rec, ok := s.standin(fx.Conn); ok {
			s.js.shRule(s.sh, "fast", rec, rule)
		}
		return
	}
	rule := ""
	if fx.On {
		a, b, c := core.AckParts(&fx.Msg)
		rule = fx.Name + "\n" + fx.Reason + "\n" + u(fx.Req, 10) + "\n" + u(uint64(fx.After.Milliseconds()), 10) + "\n" +
			u(uint64(core.MsgSend), 10) + "\n" + a + "\n" + b + "\n" + c + "\n" + u(uint64(fx.Conn), 10)
	}
	if o := s.ownSock(fx.Conn); o != nil {
		s.js.shRule(s.sh, "lead", o.rec, rule)
	}
}

// openSocket makes the real socket: its open and close are the Group's
// events, its pong the client's heartbeat.
func (s *sharedTab) openSocket(conn core.ConnID, url string) {
	o := &ownSock{}
	onOpen, rel1, err1 := newFunc(func(safejs.Value, []safejs.Value) any {
		info := core.SocketInfo{}
		if ws, err := o.rec.Get("ws"); err == nil {
			info.Protocol, _ = getString(ws, "protocol")
			info.Extensions, _ = getString(ws, "extensions")
		}
		s.step(core.GroupEvent{Kind: core.EvSocketOpen, Conn: conn, Info: info})
		return nil
	})
	onClose, rel2, err2 := newFunc(func(_ safejs.Value, args []safejs.Value) any {
		ce := closeEventOf(arg(args, 0))
		ev := core.GroupEvent{Kind: core.EvSocketClose, Conn: conn, Close: *ce}
		if !ce.WasClean {
			ev.Frames, ev.Owners = s.js.shLeft(s.sh, o.rec)
		}
		s.js.detach(o.rec)
		s.mu.Lock()
		delete(s.own, conn)
		s.mu.Unlock()
		for _, r := range o.release {
			r()
		}
		s.step(ev)
		return nil
	})
	onPong, rel3, err3 := newFunc(func(safejs.Value, []safejs.Value) any {
		s.tab.Pong(conn)
		return nil
	})
	o.release = []func(){rel1, rel2, rel3}
	var err error
	for _, e := range []error{err1, err2, err3} {
		if e != nil {
			err = e
		}
	}
	if err == nil {
		o.rec, err = s.js.open(url, onOpen, onClose, onPong, safejs.Undefined())
	}
	if err != nil {
		for _, r := range o.release {
			r()
		}
		// as a browser reports a socket it could not make
		go s.step(core.GroupEvent{Kind: core.EvSocketClose, Conn: conn, Close: core.CloseError{Code: core.CodeAbnormal, Reason: "INVALID_URL"}})
		return
	}
	s.mu.Lock()
	s.own[conn] = o
	s.mu.Unlock()
}

// stats is stats().shared: null while the tab is in no group.
func (s *sharedTab) stats(relayedIn float64) any {
	if s.g.Key() == "" {
		return nil
	}
	st := s.g.Stats()
	out := map[string]any{
		"role":       st.Role,
		"socketRtt":  float64(st.SocketRTT) / float64(time.Millisecond),
		"relayedIn":  float64(st.RelayedIn) + relayedIn,
		"relayedOut": float64(st.RelayedOut),
		"takeovers":  float64(st.Takeovers),
	}
	if st.Role == "leader" {
		out["tabs"] = st.Tabs
	}
	return out
}
