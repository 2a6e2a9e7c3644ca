//go:build !js

package faultproxy_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/faultproxy"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func dial(t *testing.T, p *faultproxy.Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func roundTrip(c net.Conn, r *bufio.Reader, within time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(within))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte("hi\n")); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

func newProxy(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestForwards(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	c, r := dial(t, p)
	if got, err := roundTrip(c, r, time.Second); err != nil || got != "hi\n" {
		t.Fatalf("got %q %v", got, err)
	}
}

func TestStallIsHalfOpenThenResumes(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	c, r := dial(t, p)
	roundTrip(c, r, time.Second)
	p.Stall(true)
	if _, err := roundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatal("traffic flowed while stalled")
	}
	p.Stall(false)
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "hi\n" {
		t.Fatalf("held traffic not delivered after the stall: %q %v", got, err)
	}
}

func TestDropResetsWithoutClosingHandshake(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	c, r := dial(t, p)
	roundTrip(c, r, time.Second)
	p.Drop()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection survived Drop")
	}
}

func TestHoldHandshakes(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	p.HoldHandshakes(true)
	c, r := dial(t, p)
	if _, err := roundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatal("a held connection was answered")
	}
	p.HoldHandshakes(false)
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "hi\n" {
		t.Fatalf("after release: %q %v", got, err)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	c, r := dial(t, p)
	p.Delay(100 * time.Millisecond)
	start := time.Now()
	if _, err := roundTrip(c, r, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("round trip took %v with 100 ms each way", took)
	}
}

// A vanished link swallows what is sent on it and closes nothing; a link
// made afterwards works.
func TestVanishSilencesOpenLinksOnly(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	old, oldR := dial(t, p)
	if _, err := roundTrip(old, oldR, time.Second); err != nil {
		t.Fatal(err)
	}
	p.Vanish()
	if _, err := old.Write([]byte("lost\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Lost() < int64(len("lost\n")) {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes discarded, want %d", p.Lost(), len("lost\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	c, r := dial(t, p)
	if got, err := roundTrip(c, r, 5*time.Second); err != nil || got != "hi\n" {
		t.Fatalf("a new link after Vanish: %q %v", got, err)
	}
}
