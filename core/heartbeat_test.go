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
	mu     sync.Mutex
	start  time.Time
	pings  []int
	dead   []int
	probes []bool // of each death: was it a probe's
}

func (b *beats) at() int { return int(time.Since(b.start) / time.Second) }
func (b *beats) ping()   { b.mu.Lock(); b.pings = append(b.pings, b.at()); b.mu.Unlock() }
func (b *beats) died(probe bool) {
	b.mu.Lock()
	b.dead, b.probes = append(b.dead, b.at()), append(b.probes, probe)
	b.mu.Unlock()
}

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

// pulse runs body in a synctest bubble on a heartbeat of cfg that records
// into b, and stops it afterwards.
func pulse(t *testing.T, cfg core.Heartbeat, body func(t *testing.T, p *core.Pulse, b *beats)) {
	synctest.Test(t, func(t *testing.T) {
		b := &beats{start: time.Now()}
		p := core.StartPulse(cfg, b.ping, b.died)
		defer p.Stop()
		body(t, p, b)
	})
}

func TestHeartbeatKissJSTimingWithoutPong(t *testing.T) {
	pulse(t, core.Defaults().Heartbeat, func(t *testing.T, p *core.Pulse, b *beats) {
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
	pulse(t, core.Defaults().Heartbeat, func(t *testing.T, p *core.Pulse, b *beats) {
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
	pulse(t, core.Heartbeat{Enabled: true, Delay: time.Second, Timeout: 3500 * time.Millisecond}, func(t *testing.T, p *core.Pulse, b *beats) {
		time.Sleep(10 * time.Second)
		synctest.Wait()
		// first ping at 1 s arms the timeout for 4.5 s, whatever pings follow.
		if len(b.Dead()) != 1 || b.Dead()[0] != 4 || len(b.Pings()) != 4 {
			t.Fatalf("pings %v dead %v", b.Pings(), b.Dead())
		}
	})
}

// A delay longer than the timeout, as KissJS runs it: each ping arms the
// timeout (none is pending: the pong cleared the last one), so an answered
// heartbeat never dies and an unanswered ping dies Timeout after it.
func TestHeartbeatDelayLongerThanTimeout(t *testing.T) {
	cfg := core.Defaults().Heartbeat
	cfg.Delay = time.Minute // timeout stays 35 s
	pulse(t, cfg, func(t *testing.T, p *core.Pulse, b *beats) {
		for i := 1; i <= 3; i++ { // pings at +60, 120, 180, each answered
			time.Sleep(time.Minute + time.Second)
			synctest.Wait()
			if got := b.Pings(); len(got) != i {
				t.Fatalf("pings at %v after %d minutes", got, i)
			}
			p.Pong()
		}
		time.Sleep(2 * time.Minute) // the ping at +240 is not answered
		synctest.Wait()
		if got := b.Pings(); len(got) != 4 || got[3] != 240 {
			t.Fatalf("pings at %v", got)
		}
		if len(b.Dead()) != 1 || b.Dead()[0] != 275 {
			t.Fatalf("dead at %v, want [275]: 35 s after the unanswered ping", b.Dead())
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

// Resumed from a freeze: Probe pings at once and gives the pong 5 s, not 35;
// the ticks go on from the probe.
func TestHeartbeatProbeHasAShortDeadline(t *testing.T) {
	pulse(t, core.Defaults().Heartbeat, func(t *testing.T, p *core.Pulse, b *beats) {
		time.Sleep(3 * time.Second)
		p.Probe()
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := b.Pings(); len(got) == 0 || got[0] != 3 {
			t.Fatalf("pings at %v, want the probe's at 3", got)
		}
		if len(b.Dead()) != 1 || b.Dead()[0] != 8 || !b.probes[0] {
			t.Fatalf("dead at %v (probe %v), want [8] by the probe", b.Dead(), b.probes)
		}
	})
}

// An answered probe changes nothing but the schedule: ticks from the probe,
// KissJS's 35 s after the next unanswered ping.
func TestHeartbeatAnsweredProbe(t *testing.T) {
	pulse(t, core.Defaults().Heartbeat, func(t *testing.T, p *core.Pulse, b *beats) {
		time.Sleep(3 * time.Second)
		p.Probe()
		time.Sleep(100 * time.Millisecond)
		p.Pong()
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := b.Pings(); len(got) < 2 || got[0] != 3 || got[1] != 13 {
			t.Fatalf("pings at %v, want 3, 13, ...", got)
		}
		if len(b.Dead()) != 1 || b.Dead()[0] != 48 || b.probes[0] {
			t.Fatalf("dead at %v (probe %v), want [48] by the ordinary timeout", b.Dead(), b.probes)
		}
	})
}

// A tick that fires more than a Delay late (the page was frozen, the machine
// slept) probes; one that is merely late (a hidden tab's timers run once a
// second) keeps KissJS's timeout.
func TestHeartbeatFarLateTickProbes(t *testing.T) {
	for _, tc := range []struct {
		late      time.Duration
		wantDead  int
		wantProbe bool
	}{
		{900 * time.Millisecond, 45, false},
		{11 * time.Second, 15, true},
	} {
		pulse(t, core.Defaults().Heartbeat, func(t *testing.T, p *core.Pulse, b *beats) {
			core.FireLate(p, tc.late) // the first tick, due at 10, counts as tc.late late
			time.Sleep(2 * time.Minute)
			synctest.Wait()
			if len(b.Dead()) != 1 || b.Dead()[0] != tc.wantDead || b.probes[0] != tc.wantProbe {
				t.Fatalf("%v late: dead at %v (probe %v), want [%d] (probe %v)", tc.late, b.Dead(), b.probes, tc.wantDead, tc.wantProbe)
			}
		})
	}
}
