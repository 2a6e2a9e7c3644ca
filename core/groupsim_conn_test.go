//go:build !js

package core_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// What the client holds in a simulated tab: its connections (a stand-in or
// the real socket, as the group decides) and its timers, which run as
// tasks of the page. Every call only queues an input for the loop.

// simTimer is one of a client's timers (Options.AfterFunc): it fires as a
// task of its tab's page, so not while the page is frozen or stuck, as in
// a browser, and on the loop, in order.
type simTimer struct {
	t       *simTab
	f       func()
	gen     atomic.Int64 // bumped by stop and reset: an older firing does nothing
	pending atomic.Bool
}

func (t *simTab) afterFunc(d time.Duration, f func()) (stop func() bool, reset func(time.Duration) bool) {
	h := &simTimer{t: t, f: f}
	h.arm(d)
	return h.stop, h.reset
}

func (h *simTimer) arm(d time.Duration) {
	g := h.gen.Add(1)
	h.pending.Store(true)
	h.t.queue(tabInput{kind: inTimer, timer: h, gen: g, after: d})
}

func (h *simTimer) stop() bool {
	h.gen.Add(1)
	return h.pending.Swap(false)
}

func (h *simTimer) reset(d time.Duration) bool {
	was := h.pending.Load()
	h.arm(d)
	return was
}

// schedule runs on the loop: the timer was armed now.
func (h *simTimer) schedule(g int64, d time.Duration) {
	t := h.t
	t.w.after(d, func() {
		if h.gen.Load() != g {
			return
		}
		t.task(func() {
			if h.gen.Load() == g && h.pending.Swap(false) {
				t.w.async = true
				h.f()
			}
		})
	})
}

var errSimNotOpen = errors.New("socket is not open")

type connState uint8

// simConn is what the client holds: core.Opening, core.Conn and
// core.Reclaimer over the group's connection (a stand-in or the real
// socket). Its calls only queue inputs for the loop.
type simConn struct {
	t       *simTab
	id      core.ConnID
	session string
	opened  chan struct{}
	failed  chan error
	sock    *simSock // the real socket, while this tab leads

	mu          sync.Mutex
	state       connState
	h           core.Handler
	early       *core.GroupEffect // closed before Serve
	unsent      [][]byte
	aborted     bool
	earlyFrames [][]byte
}

func (c *simConn) Wait(ctx core.Context) (core.Conn, error) {
	select {
	case <-c.opened:
		return c, nil
	case err := <-c.failed:
		select {
		case <-c.opened:
			return c, nil // opened, then closed at once: Serve reports the close
		default:
			return nil, err
		}
	case <-ctx.Done():
		c.Abort()
		return nil, ctx.Err()
	}
}

func (c *simConn) Serve(h core.Handler) {
	c.mu.Lock()
	c.h = h
	early := c.early
	c.mu.Unlock()
	if early != nil {
		if early.Kind == core.FxHandover {
			h.HandleHandover()
		} else {
			ce := early.Close
			h.HandleClose(&ce)
		}
		return
	}
	c.t.queue(tabInput{kind: inServe, conn: c})
}

func (c *simConn) isOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == connOpen
}

func (c *simConn) WriteText(data []byte) error {
	if !c.isOpen() {
		return errSimNotOpen
	}
	c.t.queue(tabInput{kind: inSend, conn: c, data: data})
	return nil
}

func (c *simConn) Ping() error {
	if !c.isOpen() {
		return errSimNotOpen
	}
	c.t.queue(tabInput{kind: inPing, conn: c})
	return nil
}

func (c *simConn) Close(code int, reason string) error {
	c.t.queue(tabInput{kind: inClose, conn: c, code: code, reason: reason})
	return nil
}

func (c *simConn) Abort() {
	c.mu.Lock()
	done := c.aborted
	c.aborted = true
	c.mu.Unlock()
	if !done {
		c.t.queue(tabInput{kind: inAbort, conn: c})
	}
}

func (c *simConn) Unsent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unsent
}

func describeFx(fx *core.GroupEffect) string {
	s := fx.Kind.String()
	switch fx.Kind {
	case core.FxPost:
		s += " " + short(fx.Name) + " " + fx.Msg.T.String()
		if fx.Msg.To != "" {
			s += " to " + fx.Msg.To
		}
		if fx.Msg.Next != "" {
			s += " next " + fx.Msg.Next
		}
		if fx.Msg.T == core.MsgSend || fx.Msg.T == core.MsgAck {
			s += " seq " + strconv.FormatUint(fx.Msg.Seq, 10) + " n " + strconv.Itoa(len(fx.Msg.Frames))
		}
	case core.FxListen, core.FxRelay:
		s += " " + short(fx.Name) + " " + strconv.FormatBool(fx.On)
	case core.FxLock:
		s += " #" + strconv.FormatUint(fx.Req, 10)
		if fx.Steal {
			s += " steal"
		}
	case core.FxRelease, core.FxAbortLock, core.FxQuery:
		s += " #" + strconv.FormatUint(fx.Req, 10)
	case core.FxStartTimer, core.FxStopTimer:
		s += " " + fx.Timer.String()
	case core.FxClosed:
		s += " conn " + strconv.FormatUint(uint64(fx.Conn), 10) + " " + strconv.Itoa(fx.Close.Code) + " unsent " + strconv.Itoa(len(fx.Frames))
	case core.FxHandover, core.FxOpened, core.FxOpenSocket, core.FxCloseSocket:
		s += " conn " + strconv.FormatUint(uint64(fx.Conn), 10)
		if len(fx.Frames) > 0 {
			s += " unsent " + strconv.Itoa(len(fx.Frames))
		}
	case core.FxWrite:
		s += " " + strconv.Itoa(len(fx.Frames)) + " of " + fx.From
	}
	return s
}
