package core

import (
	"sync"
	"time"
)

// heartbeat runs the Heartbeat config on one open socket with KissJS's
// timing: a "ping" every Delay (the first one Delay after open); the first
// unanswered ping arms a Timeout that later pings do not re-arm; a "pong"
// clears it. When it fires, the socket is declared dead. It also measures
// the ping-to-pong time.
//
// Deadlines count from when a ping was really sent, and only a pong clears
// them, so timers that a hidden tab runs late (once a second, or a minute)
// never declare a healthy socket dead: the pong arrives as an event, which
// the browser does not throttle. A tick that comes far later than due (more
// than a Delay late: the page was frozen, the machine slept) probes instead:
// its ping gets the short probeTimeout, as Probe's does.
type heartbeat struct {
	mu       sync.Mutex
	cfg      Heartbeat
	ping     func()
	dead     func(probe bool)
	after    func(time.Duration, func()) *timer
	tick     *timer
	timeout  *timer
	armed    int // identifies the pending timeout, so a stale one does nothing
	stopped  bool
	due      time.Duration // when the pending tick should fire, since clockBase
	deadline time.Duration // when the pending timeout ends
	probed   bool          // the pending timeout is a probe's
	lastPing time.Duration // since clockBase: a time.Time here would link time formatting into the wasm
	awaiting bool
	rtt      time.Duration
}

// probeTimeout is how long a probe waits for its pong (at most the
// heartbeat's own Timeout).
const probeTimeout = 5 * time.Second

// clockBase is the origin of heartbeat's monotonic readings: a time.Time
// field would keep time.Time's formatter in the wasm (see timer).
var clockBase = time.Now()

func monotonic() time.Duration { return time.Since(clockBase) }

// startHeartbeat starts it. ping sends the frame; dead is called once, at
// the timeout, with probe set when it was a probe's. Both run on timer
// goroutines without the heartbeat's lock held.
func startHeartbeat(cfg Heartbeat, ping func(), dead func(probe bool)) *heartbeat {
	return startHeartbeatOn(afterFunc, cfg, ping, dead)
}

// startHeartbeatOn is startHeartbeat on the client's timers.
func startHeartbeatOn(after func(time.Duration, func()) *timer, cfg Heartbeat, ping func(), dead func(probe bool)) *heartbeat {
	p := &heartbeat{cfg: cfg, ping: ping, dead: dead, after: after}
	p.mu.Lock()
	p.due = monotonic() + cfg.Delay
	p.tick = after(cfg.Delay, p.onTick)
	p.mu.Unlock()
	return p
}

func (p *heartbeat) onTick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	now := monotonic()
	p.pingLocked(now, now-p.due > p.cfg.Delay)
	p.mu.Unlock()
	p.ping()
}

// Probe pings now with the short probeTimeout, for a socket that may have
// died unseen: the page was frozen, the machine asleep. The ticks go on
// from now.
func (p *heartbeat) Probe() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.pingLocked(monotonic(), true)
	p.mu.Unlock()
	p.ping()
}

// pingLocked records a ping sent at now, schedules the next tick, and arms
// the timeout: Timeout after the first unanswered ping, or for a probe
// probeTimeout, unless the pending one ends sooner.
func (p *heartbeat) pingLocked(now time.Duration, probe bool) {
	p.lastPing, p.awaiting = now, true
	p.due = now + p.cfg.Delay
	p.tick.Reset(p.cfg.Delay)
	wait := p.cfg.Timeout
	if probe {
		wait = min(probeTimeout, p.cfg.Timeout)
	}
	if p.timeout != nil {
		if !probe || p.deadline <= now+wait {
			return
		}
		p.timeout.Stop()
	}
	p.armed++
	id := p.armed
	p.deadline, p.probed = now+wait, probe
	p.timeout = p.after(wait, func() { p.onTimeout(id) })
}

func (p *heartbeat) onTimeout(id int) {
	p.mu.Lock()
	if p.stopped || id != p.armed || p.timeout == nil {
		p.mu.Unlock()
		return
	}
	probe := p.probed
	p.stopLocked()
	p.mu.Unlock()
	p.dead(probe)
}

// Pong records the server's answer: it clears the pending timeout and takes
// the round-trip time from the latest ping.
func (p *heartbeat) Pong() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.awaiting {
		p.rtt, p.awaiting = monotonic()-p.lastPing, false
	}
	if p.timeout != nil {
		p.timeout.Stop()
		p.timeout = nil
		p.probed = false
	}
}

// RTT is the latest ping-to-pong time, 0 before the first pong.
func (p *heartbeat) RTT() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rtt
}

// Stop cancels both timers; no callback starts after it returns.
func (p *heartbeat) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
}

func (p *heartbeat) stopLocked() {
	p.stopped = true
	p.tick.Stop()
	if p.timeout != nil {
		p.timeout.Stop()
		p.timeout = nil
	}
}
