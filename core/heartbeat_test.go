package core_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// beats records when pings and the death happen, in seconds after start.
type beats struct {
	mu    sync.Mutex
	start time.Time
	pings []int
	dead  []int
}

func (b *beats) at() int { return int(time.Since(b.start) / time.Second) }
func (b *beats) ping()   { b.mu.Lock(); b.pings = append(b.pings, b.at()); b.mu.Unlock() }
func (b *beats) died()   { b.mu.Lock(); b.dead = append(b.dead, b.at()); b.mu.Unlock() }

// Pings and Dead read under the lock: a timer callback may be writing
// when the test reads (the race detector caught it).
func (b *beats) Pings() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.pings...)
}

func (b *beats) Dead() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.dead...)
}

func TestHeartbeatKissJSTimingWithoutPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &beats{start: time.Now()}
		p := core.StartPulse(core.Defaults().Heartbeat, b.ping, b.died)
		defer p.Stop()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		// pings at +10, 20, 30, 40 s; the timeout armed at +10 fires at +45.
		if got := b.Pings(); len(got) != 4 || got[0] != 10 || got[3] != 40 {
			t.Fatalf("pings at %v", got)
		}
		if len(b.Dead()) != 1 || b.Dead()[0] != 45 {
			t.Fatalf("dead at %v", b.Dead())
		}
	})
}

func TestHeartbeatPongClearsTimeoutAndMeasuresRTT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &beats{start: time.Now()}
		p := core.StartPulse(core.Defaults().Heartbeat, b.ping, b.died)
		defer p.Stop()
		time.Sleep(10*time.Second + 250*time.Millisecond)
		p.Pong() // answers the ping at +10 after 250 ms
		if rtt := p.RTT(); rtt != 250*time.Millisecond {
			t.Fatalf("rtt %v", rtt)
		}
		// Silence from now on: the ping at +20 arms a new timeout, due at +55.
		time.Sleep(44 * time.Second)
		synctest.Wait()
		if len(b.Dead()) != 0 {
			t.Fatalf("died at %v although the pong cleared the timeout", b.Dead())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if len(b.Dead()) != 1 || b.Dead()[0] != 55 {
			t.Fatalf("dead at %v, want [55]", b.Dead())
		}
	})
}

func TestHeartbeatLaterPingsDoNotRearm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &beats{start: time.Now()}
		p := core.StartPulse(core.Heartbeat{Enabled: true, Delay: time.Second, Timeout: 3500 * time.Millisecond}, b.ping, b.died)
		defer p.Stop()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		// first ping at 1 s arms the timeout for 4.5 s, whatever pings follow.
		if len(b.Dead()) != 1 || b.Dead()[0] != 4 || len(b.Pings()) != 4 {
			t.Fatalf("pings %v dead %v", b.Pings(), b.Dead())
		}
	})
}

func TestHeartbeatStopLeavesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &beats{start: time.Now()}
		p := core.StartPulse(core.Defaults().Heartbeat, b.ping, b.died)
		time.Sleep(15 * time.Second)
		p.Stop()
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(b.Pings()) != 1 || len(b.Dead()) != 0 {
			t.Fatalf("after Stop: pings %v dead %v", b.Pings(), b.Dead())
		}
	})
}
