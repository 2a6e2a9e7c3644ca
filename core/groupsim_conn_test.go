//go:build !js

package core_test

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// A simulated tab's client timers, which run as tasks of the page (its
// connections are core.GroupTab's), and the trace of the group's effects.

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
	h.t.queue(tabInput{timer: h, gen: g, after: d})
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
