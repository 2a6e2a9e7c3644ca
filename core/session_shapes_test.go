//go:build !js

package core_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

// identityShape is one way a page names its login, and one way it changes.
type identityShape struct {
	name       string
	idA, idB   string // KissJS user ids before and after ("" without KissJS)
	userB      string // whom the new token belongs to at the server
	reset      bool   // kiss.session.reset() comes first (a logout)
	sameSwitch bool   // the change keeps the session
}

var identityShapes = []identityShape{
	{name: "user ids", idA: "alice", idB: "bob", userB: "bob", reset: true},
	{name: "the same user again", idA: "alice", idB: "alice", userB: "alice", reset: true},
	{name: "anonymous", idA: "anonymous", idB: "anonymous", userB: "bob", reset: true},
	{name: "token only", idA: "anonymous", idB: "anonymous", userB: "bob"},
	{name: "no KissJS", userB: "bob"},
	{name: "a user's new token", idA: "alice", idB: "alice", userB: "alice", sameSwitch: true},
}

// gatedDialer holds every dial until open is closed: the attempt stays
// CONNECTING for as long as the test needs.
type gatedDialer struct {
	inner core.NativeDialer
	open  chan struct{}
	once  sync.Once
}

func (d *gatedDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	select {
	case <-d.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return d.inner.Dial(ctx, url)
}

func (d *gatedDialer) release() { d.once.Do(func() { close(d.open) }) }

// slowCloseDialer's sockets start their closing handshake only once done
// is closed: the client stays CLOSING for as long as the test needs.
type slowCloseDialer struct {
	inner core.NativeDialer
	done  chan struct{}
}

func (d slowCloseDialer) Dial(ctx core.Context, url string) (core.Conn, error) {
	c, err := d.inner.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return slowClose{c, d.done}, nil
}

type slowClose struct {
	core.Conn
	done chan struct{}
}

func (s slowClose) Close(code int, reason string) error {
	go func() {
		<-s.done
		_ = s.Conn.Close(code, reason)
	}()
	return nil
}

// Every identity shape, switched while the client is connecting, open,
// closing (a logout's close()), reconnecting and after it gave up: what was
// queued in the first login goes out only if the change kept the session,
// and then before the next login's first message; otherwise it is
// discarded and counted, and never reaches the server.
func TestEveryIdentityShapeInEveryPhase(t *testing.T) {
	t.Parallel()
	for _, phase := range []string{"connecting", "open", "closing", "reconnecting", "given up"} {
		for _, sh := range identityShapes {
			t.Run(phase+"/"+sh.name, func(t *testing.T) {
				t.Parallel()
				switchIn(t, phase, sh)
			})
		}
	}
}

func switchIn(t *testing.T, phase string, sh identityShape) {
	e := newEnv(t)
	rec := newRecorder()
	p := &page{e: e, user: sh.idA}
	sessions := &core.Sessions{Read: p.facts, Keep: p.keep}
	gate := &gatedDialer{inner: core.NativeDialer{HTTPClient: e.hc}, open: make(chan struct{})}
	var unsent [][]byte
	closing := make(chan struct{})
	mods := []func(*core.Options){func(o *core.Options) { o.Session = sessions.ID }}
	switch phase {
	case "connecting":
		mods = append(mods, func(o *core.Options) { o.Dialer = gate })
	case "closing":
		mods = append(mods, func(o *core.Options) { o.Dialer = slowCloseDialer{core.NativeDialer{HTTPClient: e.hc}, closing} })
	case "open":
		// its sockets hand back A's last frame as still buffered when they die
		unsent = [][]byte{[]byte(`"A-1"`)}
		mods = append(mods, func(o *core.Options) {
			o.Dialer = reclaimDialer{inner: core.NativeDialer{HTTPClient: e.hc}, unsent: unsent}
		})
	}
	c := e.client(t, rec, mods...)
	cfg := fast()
	if phase == "given up" {
		cfg.Reconnection.MaxAttempts = 1
	}
	queueA := func(msgs ...string) {
		t.Helper()
		for _, m := range msgs {
			if err := c.Send([]byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		if q := c.Stats().Queued; q != len(msgs) {
			t.Fatalf("%d queued in %s, want %d", q, phase, len(msgs))
		}
	}
	switchToB := func() { p.switchTo(sh.userB, sh.idB, sh.reset) }
	queuedA := []string{`"A-1"`, `"A-2"`}

	switch phase {
	case "connecting":
		// A's attempt is held; then refused: the next attempt is B's.
		res := start(t, c, cfg)
		queueA(queuedA...)
		switchToB()
		e.srv.RefuseUpgrades(503, 0)
		gate.release()
		if r := result(t, res, wait); r != core.ResultFailed {
			t.Fatalf("A's attempt: %v", r)
		}
		e.srv.RefuseUpgrades(0, 0)
		waitFor(t, rec, core.EventReconnected, wait)
	case "open":
		// A's last frame is still buffered (never reached the server) when
		// the switch comes and the socket dies: it goes back to the outbox
		// as A's.
		connected(t, c, rec, cfg)
		switchToB()
		queuedA = []string{string(unsent[0])}
		e.goDown()
		waitFor(t, rec, core.EventDisconnected, wait)
		e.comeBack(t, rec)
	case "closing":
		// logout(): close(), A's sends while the socket closes, reset(),
		// then B's login calls init().
		connected(t, c, rec, cfg)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if s := c.State(); s != core.StateClosing {
			t.Fatalf("state %v after close(), want closing", s)
		}
		queueA(queuedA...)
		switchToB()
		close(closing) // the closing handshake now
		waitFor(t, rec, core.EventConnectionClosed, wait)
		connected(t, c, rec, cfg)
	case "reconnecting":
		connected(t, c, rec, cfg)
		e.goDown()
		waitFor(t, rec, core.EventDisconnected, wait)
		queueA(queuedA...)
		switchToB()
		e.comeBack(t, rec)
	case "given up":
		connected(t, c, rec, cfg)
		e.goDown()
		waitFor(t, rec, core.EventConnectionLost, wait)
		queueA(queuedA...)
		switchToB()
		e.srv.RefuseUpgrades(0, 0)
		connected(t, c, rec, cfg) // B's login calls init()
	}
	if err := c.Send([]byte(`"B-1"`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "B's message at the server", func() bool {
		return strings.Contains(strings.Join(e.srv.Received(""), ","), `"B-1"`)
	})
	want, discarded := []string{`"B-1"`}, len(queuedA)
	if sh.sameSwitch {
		want, discarded = append(append([]string{}, queuedA...), `"B-1"`), 0
	}
	got := e.srv.Received("")
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("the server received %q after the switch, want %q", got, want)
	}
	if s := c.Stats(); s.Discarded != uint64(discarded) || s.Queued != 0 {
		t.Fatalf("stats: %d discarded, %d queued; want %d discarded", s.Discarded, s.Queued, discarded)
	}
	if !sh.sameSwitch {
		if n := strings.Count(strings.Join(rec.logLines(), "\n"), "discarded "+strconv.Itoa(discarded)+" queued"); n != 1 {
			t.Fatalf("%d warnings of %d discarded, want one; log %q", n, discarded, rec.logLines())
		}
	}
}
