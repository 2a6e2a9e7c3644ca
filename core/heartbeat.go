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
type heartbeat struct {
	mu       sync.Mutex
	cfg      Heartbeat
	ping     func()
	dead     func()
	tick     *timer
	timeout  *timer
	armed    int // identifies the pending timeout, so a stale one does nothing
	stopped  bool
	lastPing time.Duration // since clockBase: a time.Time here would link time formatting into the wasm
	awaiting bool
	rtt      time.Duration
}

// clockBase is the origin of heartbeat's monotonic readings: a time.Time
// field would keep time.Time's formatter in the wasm (see timer).
var clockBase = time.Now()

// startHeartbeat starts it. ping sends the frame; dead is called once, at
// the timeout. Both run on timer goroutines without the heartbeat's lock held.
func startHeartbeat(cfg Heartbeat, ping, dead func()) *heartbeat {
	p := &heartbeat{cfg: cfg, ping: ping, dead: dead}
	p.mu.Lock()
	p.tick = afterFunc(cfg.Delay, p.onTick)
	p.mu.Unlock()
	return p
}

func (p *heartbeat) onTick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.lastPing, p.awaiting = time.Since(clockBase), true
	if p.timeout == nil {
		p.armed++
		id := p.armed
		p.timeout = afterFunc(p.cfg.Timeout, func() { p.onTimeout(id) })
	}
	p.tick.Reset(p.cfg.Delay)
	p.mu.Unlock()
	p.ping()
}

func (p *heartbeat) onTimeout(id int) {
	p.mu.Lock()
	if p.stopped || id != p.armed || p.timeout == nil {
		p.mu.Unlock()
		return
	}
	p.stopLocked()
	p.mu.Unlock()
	p.dead()
}

// Pong records the server's answer: it clears the pending timeout and takes
// the round-trip time from the latest ping.
func (p *heartbeat) Pong() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.awaiting {
		p.rtt, p.awaiting = time.Since(clockBase)-p.lastPing, false
	}
	if p.timeout != nil {
		p.timeout.Stop()
		p.timeout = nil
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
