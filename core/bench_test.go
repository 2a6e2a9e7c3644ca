//go:build !js

package core_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/bench/benchserver"
	"github.com/kissjs/kiss-websocket/core"
	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

// A typical KissJS frame, about 100 bytes.
var benchMsg = []byte(`{"channel":"EVT_DB_UPDATE:M1","dbMode":"online","accountId":"a1","modelId":"M1","id":"r42","data":{"n":7}}`)

func BenchmarkClassify(b *testing.B) {
	for _, bc := range []struct {
		name string
		text bool
		data []byte
	}{
		{"message-100B", true, benchMsg},
		{"message-4KB", true, []byte(`{"channel":"c","data":"` + strings.Repeat("x", 4000) + `"}`)},
		{"pong", true, []byte("pong")},
		{"not-json", true, []byte("hello, this is not JSON at all")},
		{"binary", false, benchMsg},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				core.Classify(bc.text, bc.data)
			}
		})
	}
}

func BenchmarkNextDelay(b *testing.B) {
	kiss := core.Defaults().Reconnection
	backoff := kiss
	backoff.Factor, backoff.MaxDelay = 2, time.Minute
	for _, bc := range []struct {
		name string
		r    core.Reconnection
	}{{"kissjs", kiss}, {"exponential-capped", backoff}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				bc.r.NextDelay(i%12+1, 0.37)
			}
		})
	}
}

// BenchmarkOutboxFlushRequeue is the flush on open when a write fails
// halfway: pop, put the failed one back, pop again.
func BenchmarkOutboxFlushRequeue(b *testing.B) {
	o := core.NewOutbox(core.OutboxLimits{MaxMessages: 1000, MaxBytes: 1 << 20})
	b.ReportAllocs()
	for b.Loop() {
		for range 100 {
			o.Push(benchMsg)
		}
		for k := 0; ; k++ {
			m, ok := o.Pop()
			if !ok {
				break
			}
			if k == 50 {
				o.Requeue(m)
			}
		}
	}
}

// BenchmarkOutboxRefused is send() on a full outbox: it must stay cheap
// when a page keeps sending through a long outage.
func BenchmarkOutboxRefused(b *testing.B) {
	o := core.NewOutbox(core.OutboxLimits{MaxMessages: 1, MaxBytes: 1 << 20})
	o.Push(benchMsg)
	b.ReportAllocs()
	for b.Loop() {
		if o.Push(benchMsg) == nil {
			b.Fatal("accepted past the limit")
		}
	}
}

// benchConn is a socket that hands its Handler to the test, so frames can
// be fed through the client's whole receive path without a network.
type benchConn struct{ h chan core.Handler }

func (c *benchConn) Serve(h core.Handler)   { c.h <- h }
func (c *benchConn) WriteText([]byte) error { return nil }
func (c *benchConn) Ping() error            { return nil }
func (c *benchConn) Abort()                 {}
func (c *benchConn) Close(code int, r string) error {
	h := <-c.h
	h.HandleClose(&core.CloseError{Code: code, Reason: r, WasClean: true})
	return nil
}

type benchDialer struct{ conn *benchConn }

func (d benchDialer) Dial(core.Context, string) (core.Conn, error) { return d.conn, nil }

// benchClient is an open client over a benchConn; messages counts the
// message events delivered.
func benchClient(tb testing.TB, messages *atomic.Int64) core.Handler {
	tb.Helper()
	conn := &benchConn{h: make(chan core.Handler, 1)}
	openBenchClient(tb, benchDialer{conn}, "ws://bench.invalid/", func() { messages.Add(1) })
	h := <-conn.h
	conn.h <- h // for Close
	return h
}

// openBenchClient starts a client without heartbeat on url, waits until it
// is open and closes it at cleanup; onMessage runs for every message event.
func openBenchClient(tb testing.TB, d core.Dialer, url string, onMessage func()) {
	tb.Helper()
	closed := make(chan struct{})
	c := core.New(core.Options{
		Dialer: d,
		URL:    func(core.Config) (string, error) { return url, nil },
		OnEvent: func(e core.Event) {
			switch e.Kind {
			case core.EventMessage:
				onMessage()
			case core.EventConnectionClosed:
				close(closed)
			}
		},
	})
	cfg := core.Defaults()
	cfg.Heartbeat.Enabled = false
	res, _, err := c.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if r := <-res; r != core.ResultOpened {
		tb.Fatalf("start: %v", r)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Error(err)
		}
		<-closed
		c.Wait()
	})
}

// TestReceivePathDoesNotAllocate feeds a message frame through a real
// client's socket handler (what the native reader calls for every frame):
// counting, classification, and delivery to OnEvent must not allocate.
func TestReceivePathDoesNotAllocate(t *testing.T) {
	var messages atomic.Int64
	h := benchClient(t, &messages)
	allocs := testing.AllocsPerRun(1000, func() { h.HandleFrame(true, benchMsg) })
	if allocs != 0 {
		t.Fatalf("a received message costs %v allocations", allocs)
	}
	if messages.Load() < 1000 {
		t.Fatalf("%d messages delivered", messages.Load())
	}
}

func BenchmarkClientReceive(b *testing.B) {
	var messages atomic.Int64
	h := benchClient(b, &messages)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		h.HandleFrame(true, benchMsg)
	}
}

// BenchmarkNativeReceive pushes 100-byte frames from the bench server over
// loopback to a native client: coder/websocket's reader, the client's
// receive path, OnEvent. Allocations include the server's, which runs in
// this process.
func BenchmarkNativeReceive(b *testing.B) {
	srv := kissserver.New(kissserver.Options{})
	bench := benchserver.NewBench(srv, http.NotFoundHandler())
	hs := httptest.NewServer(bench)
	tr := &http.Transport{}
	b.Cleanup(func() { // after the client's close, registered below
		bench.Close()
		srv.Close()
		hs.Close()
		tr.CloseIdleConnections()
	})
	var got, want atomic.Int64
	done := make(chan struct{}, 1)
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/bench/ws?id=native"
	openBenchClient(b, core.NativeDialer{HTTPClient: &http.Client{Transport: tr}}, url, func() {
		if got.Add(1) == want.Load() {
			done <- struct{}{}
		}
	})
	hc := &http.Client{Transport: tr}
	b.SetBytes(100)
	b.ReportAllocs()
	b.ResetTimer()
	want.Store(int64(b.N))
	for left := b.N; left > 0; {
		n := min(left, 1_000_000)
		resp, err := hc.Post(fmt.Sprintf("%s/bench/push?id=native&n=%d&size=100", hs.URL, n), "", nil)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("push: %s", resp.Status)
		}
		left -= n
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d frames arrived", got.Load(), b.N)
	}
	b.StopTimer()
}
