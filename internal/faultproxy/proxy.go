//go:build !js

// Package faultproxy is a TCP proxy on loopback that injects the faults a
// real network has and a server cannot fake from inside: connections cut
// without a close frame, traffic that stops flowing both ways while the TCP
// connection stays up (half-open), handshakes that hang, and delayed frames.
package faultproxy

import (
	"net"
	"sync"
	"time"
)

// Proxy forwards every connection it accepts to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever a setting changes
	stalled  bool
	holdNew  bool
	delay    time.Duration
	links    map[*link]struct{}
	closed   bool
	accepted int
	lost     int64 // bytes discarded on vanished links
	wg       sync.WaitGroup
}

type link struct {
	client, server net.Conn
	gone           bool // Vanish: its traffic is discarded, nothing closes
}

// New listens on 127.0.0.1 (a free port) and forwards to target.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, changed: make(chan struct{}), links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is host:port of the proxy.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted counts the connections accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve holds a new connection while handshakes are stalled, then links it.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		hold, closed, changed := p.holdNew, p.closed, p.changed
		p.mu.Unlock()
		if closed {
			c.Close()
			return
		}
		if !hold {
			break
		}
		<-changed
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	l := &link{client: c, server: s}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); p.pump(l, s, c) }()
	go func() { defer pumps.Done(); p.pump(l, c, s) }()
	pumps.Wait()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// pump copies src to dst, honouring stall and delay; either side ending
// ends both.
func (p *Proxy) pump(l *link, dst, src net.Conn) {
	defer l.client.Close()
	defer l.server.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && p.discard(l, n) {
			continue
		}
		if n > 0 {
			if !p.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or reset: the link is over
			return
		}
	}
}

// wait blocks while traffic is stalled and sleeps the delay; false once the
// proxy is closed.
func (p *Proxy) wait() bool {
	for {
		p.mu.Lock()
		stalled, delay, closed, changed := p.stalled, p.delay, p.closed, p.changed
		p.mu.Unlock()
		if closed {
			return false
		}
		if !stalled {
			if delay > 0 {
				time.Sleep(delay)
			}
			return true
		}
		<-changed
	}
}

func (p *Proxy) set(fn func()) {
	p.mu.Lock()
	fn()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Stall stops (on) or resumes traffic in both directions on every link
// without closing anything: a half-open peer.
func (p *Proxy) Stall(on bool) { p.set(func() { p.stalled = on }) }

// HoldHandshakes keeps new connections accepted but unanswered while on.
func (p *Proxy) HoldHandshakes(on bool) { p.set(func() { p.holdNew = on }) }

// Delay holds every chunk of traffic for d before forwarding it.
func (p *Proxy) Delay(d time.Duration) { p.set(func() { p.delay = d }) }

// Vanish makes every link open now go silent for good, in both directions,
// without closing anything: the peer vanished (a NAT forgot the mapping, a
// server machine died). Links made afterwards work.
func (p *Proxy) Vanish() {
	p.mu.Lock()
	for l := range p.links {
		l.gone = true
	}
	p.mu.Unlock()
}

// Lost is how many bytes vanished links have discarded.
func (p *Proxy) Lost() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

func (p *Proxy) discard(l *link, n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l.gone {
		p.lost += int64(n)
	}
	return l.gone
}

// Drop cuts every link at once with a TCP reset: no close frame.
func (p *Proxy) Drop() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		if tc, ok := l.client.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		l.client.Close()
		l.server.Close()
	}
}

// Close stops accepting, cuts every link and waits for its goroutines.
func (p *Proxy) Close() {
	p.set(func() { p.closed = true })
	p.ln.Close()
	p.Drop()
	p.wg.Wait()
}
