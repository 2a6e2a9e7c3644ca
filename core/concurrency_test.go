//go:build !js

package core_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

// TestConcurrentStartSendCloseKickUnderDrops hammers one client from 100
// goroutines while the server drops its connection, in two alternating
// windows. A stormy one lasts 50 ms and calls everything: Start, Send,
// Close and Reconnect (the kick, which supersedes the attempt in flight). A
// calm one calls no Close and no kick, so that a handshake can complete;
// it lasts until the client has opened a socket (at least 50 ms, at most
// 2 s). The calm windows were 50 ms at first, but a loaded machine then
// completed next to no handshake on the client (5879 attempts and 0
// upgrades; later 2000 upgrades the client had already given up on and 0-6
// sockets in a minute), and the test proved nothing: synchronising on the
// client's own count makes what it exercises independent of the load. It
// runs until the client has opened enough sockets (at least 2 s). The client
// must never dial twice at once nor hold two sockets, never deliver events
// concurrently, resolve every attempt exactly once, and leave nothing
// behind once closed. It is not parallel so that the goroutine count at the
// end is its own.
//
// The server's own count (MaxSockets) is only logged: under this load it
// lags behind the client, still reading the backlog of a socket the client
// has already dropped, so it can briefly list two. What the client controls
// is asserted on its side of the wire by countingDialer.
func TestConcurrentStartSendCloseKickUnderDrops(t *testing.T) {
	e := newEnv(t)
	var inside, overlaps, events atomic.Int32
	var mu sync.Mutex
	var results []<-chan core.Result
	keep := func(ch <-chan core.Result) {
		mu.Lock()
		results = append(results, ch)
		mu.Unlock()
	}
	d := &countingDialer{Dialer: core.NativeDialer{HTTPClient: e.hc}}
	c := core.New(core.Options{
		Dialer:     d,
		URL:        e.url,
		CheckToken: e.check,
		OnEvent: func(ev core.Event) {
			if inside.Add(1) != 1 {
				overlaps.Add(1)
			}
			events.Add(1)
			if ev.Kind == core.EventReconnecting {
				keep(ev.Result)
			}
			inside.Add(-1)
		},
	})
	before := clientGoroutines()
	cfg := fast()
	cfg.Reconnection.Delay, cfg.Reconnection.Delta, cfg.Reconnection.MaxAttempts = 5*time.Millisecond, 1, 3
	cfg.Heartbeat = core.Heartbeat{Enabled: true, Delay: 10 * time.Millisecond, Timeout: 40 * time.Millisecond}
	cfg.ConnectTimeout = 200 * time.Millisecond
	cfg.Outbox.MaxMessages = 200

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls [4]atomic.Int32
	var calm atomic.Bool // no Close nor kick in this window: handshakes can complete
	for g := range 100 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 42))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				op := r.IntN(10)
				switch {
				case op < 2:
					res, _, err := c.Start(cfg)
					if err != nil {
						t.Error(err)
						return
					}
					keep(res)
					calls[0].Add(1)
				case op < 7:
					err := c.Send([]byte(fmt.Sprintf(`{"channel":"g%d","n":%d}`, g, n)))
					if err != nil && err != core.ErrOutboxFull && err != core.ErrSendBeforeInit {
						t.Errorf("Send: %v", err)
					}
					calls[1].Add(1)
				case op < 8:
					if calm.Load() {
						break
					}
					if err := c.Close(); err != nil && err != core.ErrCloseBeforeInit {
						t.Errorf("Close: %v", err)
					}
					calls[2].Add(1)
				default:
					if calm.Load() {
						break
					}
					c.Reconnect()
					calls[3].Add(1)
				}
				_ = c.Stats()
				time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
			}
		})
	}
	wg.Go(func() {
		for {
			began, opened := time.Now(), d.opened.Load()
			for window := 50 * time.Millisecond; ; window = time.Millisecond {
				select {
				case <-stop:
					return
				case <-time.After(window):
				}
				if !calm.Load() || d.opened.Load() != opened || time.Since(began) > 2*time.Second {
					break
				}
			}
			e.srv.DropAll()
			calm.Store(!calm.Load())
		}
	})
	const enough = 10
	begun := time.Now()
	for time.Since(begun) < 2*time.Second || d.opened.Load() < enough {
		if time.Since(begun) > time.Minute {
			break // judged below
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	shutdown(t, c)

	t.Logf("start %d, send %d, close %d, kick %d; %d events; %d attempts; %d upgrades; %d sockets opened on the client; server max sockets %d; %v",
		calls[0].Load(), calls[1].Load(), calls[2].Load(), calls[3].Load(), events.Load(),
		c.Stats().Attempts, e.srv.Upgrades(e.user), d.opened.Load(), e.srv.MaxSockets(e.user), time.Since(begun))
	if n := d.opened.Load(); n < enough {
		t.Fatalf("only %d sockets opened on the client in %v: the hammering did not exercise it", n, time.Since(begun))
	}
	if n := d.maxDials.Load(); n != 1 {
		t.Errorf("%d dials in flight at once", n)
	}
	if n := d.maxLive.Load(); n != 1 {
		t.Errorf("%d sockets alive at once on the client", n)
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("OnEvent ran concurrently with itself %d times", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, ch := range results {
		select {
		case <-ch:
		default:
			t.Fatalf("attempt %d of %d never got its result", i, len(results))
		}
		select {
		case r := <-ch:
			t.Fatalf("attempt %d got a second result %v", i, r)
		default:
		}
	}
	// Everything the client started has ended: dials, checks, timers,
	// readers and closing handshakes.
	deadline := time.Now().Add(3 * time.Second)
	for {
		after := clientGoroutines()
		if after <= before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of the client before, %d after Close:\n%s", before, after, clientStacks())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// clientGoroutines counts the goroutines running client or socket code.
func clientGoroutines() int { return strings.Count(clientStacks(), "\n\n") }

func clientStacks() string {
	var b strings.Builder
	for _, g := range leakcheck.Others() {
		if strings.Contains(g, "kiss-websocket/core.") || strings.Contains(g, "coder/websocket") {
			b.WriteString(g + "\n\n")
		}
	}
	return b.String()
}
