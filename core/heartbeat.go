package core

import (
	"sync"
	"time"
)

// Pulse runs the heartbeat of one open socket with KissJS's timing: a "ping"
// every Delay (the first one Delay after open); the first unanswered ping arms
// a Timeout that later pings do not re-arm; a "pong" clears it. When it
// fires, the socket is declared dead. Pulse also measures ping-to-pong time.
type Pulse struct {
	mu       sync.Mutex
	cfg      Heartbeat
	ping     func()
	dead     func()
	tick     *time.Timer
	timeout  *time.Timer
	armed    int // identifies the pending timeout, so a stale one does nothing
	stopped  bool
	lastPing time.Time
	awaiting bool
	rtt      time.Duration
}

// StartPulse starts the heartbeat. ping sends the frame; dead is called once,
// at the timeout. Both run on timer goroutines without the Pulse's lock held.
func StartPulse(cfg Heartbeat, ping, dead func()) *Pulse {
	p := &Pulse{cfg: cfg, ping: ping, dead: dead}
	p.mu.Lock()
	p.tick = time.AfterFunc(cfg.Delay, p.onTick)
	p.mu.Unlock()
	return p
}

func (p *Pulse) onTick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.lastPing, p.awaiting = time.Now(), true
	if p.timeout == nil {
		p.armed++
		id := p.armed
		p.timeout = time.AfterFunc(p.cfg.Timeout, func() { p.onTimeout(id) })
	}
	p.tick.Reset(p.cfg.Delay)
	p.mu.Unlock()
	p.ping()
}

func (p *Pulse) onTimeout(id int) {
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
func (p *Pulse) Pong() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.awaiting {
		p.rtt, p.awaiting = time.Since(p.lastPing), false
	}
	if p.timeout != nil {
		p.timeout.Stop()
		p.timeout = nil
	}
}

// RTT is the latest ping-to-pong time, 0 before the first pong.
func (p *Pulse) RTT() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rtt
}

// Stop cancels both timers; no callback starts after it returns.
func (p *Pulse) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
}

func (p *Pulse) stopLocked() {
	p.stopped = true
	p.tick.Stop()
	if p.timeout != nil {
		p.timeout.Stop()
		p.timeout = nil
	}
}
