//go:build !js

package core_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// The leading tab, the visible one, closes; the browser shows another tab
// a little before or after. The tabs left must be open again through one
// of them at once: no reconnection delay, no yield that waits for its
// timer. Each seed places the close and the show differently.
func TestGroupSimLeaderClosedHandsOverAtOnce(t *testing.T) {
	worst := time.Duration(0)
	for seed := uint64(1); seed <= 400; seed++ {
		var d time.Duration
		var log string
		synctest.Test(t, func(*testing.T) { d, log = leaderClosedHandover(seed) })
		if d > time.Second {
			t.Errorf("seed %d: open again %v after the leader closed\n%s", seed, d, log)
			return
		}
		worst = max(worst, d)
	}
	t.Logf("worst: %v", worst)
}

func leaderClosedHandover(seed uint64) (time.Duration, string) {
	w := newWorld(seed, true)
	r := &simRun{w: w, rng: rand.New(rand.NewPCG(seed, 1)), seed: seed}
	r.cfg = simConfig(r.rng)
	defer r.shutdown()
	for i := range 3 {
		t := newTab(w, i, r.cfg, seed)
		w.tabs = append(w.tabs, t)
		for _, o := range w.tabs[:i] {
			if !o.hidden {
				o.hidden = true
				o.step(core.GroupEvent{Kind: core.EvHidden})
			}
		}
		r.start(t)
		w.runFor(w.lat(0, 50*time.Millisecond))
	}
	r.settle("start")
	l := r.leader()
	if l == nil {
		return -1, w.trace.String()
	}
	var rest []*simTab
	for _, t := range r.alive() {
		if t != l {
			rest = append(rest, t)
		}
	}
	shown := rest[r.rng.IntN(len(rest))]
	show := func() {
		if shown.hidden {
			shown.hidden = false
			w.logf("%s hidden false", shown.id)
			shown.step(core.GroupEvent{Kind: core.EvVisible})
			w.async = true
			shown.client.Reconnect()
		}
	}
	lag := time.Duration(r.rng.Int64N(int64(300 * time.Millisecond)))
	began := w.now
	if r.rng.IntN(2) == 0 {
		show()
		w.runFor(lag)
		r.closeTab(l)
	} else {
		r.closeTab(l)
		w.runFor(lag)
		show()
	}
	w.logf("closed %s, showed %s, %v apart", l.id, shown.id, lag)
	ok := w.runUntilTrue(30*time.Second, 10*time.Millisecond, func() bool {
		for _, t := range rest {
			if t.client.State() != core.StateOpen {
				return false
			}
		}
		return r.settled() == ""
	})
	d := w.now - began
	if !ok {
		d = 30 * time.Second
	}
	return d, fmt.Sprint(w.trace.String())
}
