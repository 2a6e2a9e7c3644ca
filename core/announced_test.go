//go:build !js

package core_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kissjs/kiss-websocket/core"
)

// announcedDialer opens a first socket whose open the page was told of
// before the client adopted it (core.Announced), as the browser's first
// socket while the wasm loads; the sockets after it are the client's own.
type announcedDialer struct {
	*openerDialer
	opened *atomic.Int32
}

type announcedOpening struct{ core.Opening }

type announcedConn struct{ core.Conn }

var (
	_ core.Opener    = announcedDialer{}
	_ core.Announced = announcedConn{}
)

func (d announcedDialer) Open(url, session string) (core.Opening, error) {
	op, err := d.openerDialer.Open(url, session)
	if err != nil || d.opened.Add(1) > 1 {
		return op, err
	}
	return announcedOpening{op}, nil
}

func (o announcedOpening) Wait(ctx core.Context) (core.Conn, error) {
	conn, err := o.Opening.Wait(ctx)
	if err != nil {
		return nil, err
	}
	return announcedConn{conn}, nil
}

func (announcedConn) Announced() bool { return true }

// An announced socket is adopted without a second EVT_CONNECTED: the attempt
// resolves, the outbox goes out first, then the heartbeat runs from the
// adoption, and a later drop is reported as for any open socket.
func TestAnAnnouncedSocketIsAdoptedWithoutASecondConnected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := newRecorder()
	c := e.client(t, rec, func(o *core.Options) {
		o.Dialer = announcedDialer{&openerDialer{inner: core.NativeDialer{HTTPClient: e.hc}}, new(atomic.Int32)}
	})
	cfg := fast()
	cfg.Heartbeat.Enabled = true
	res := start(t, c, cfg)
	if err := c.Send([]byte(`"queued"`)); err != nil {
		t.Fatal(err)
	}
	if r := result(t, res, wait); r != core.ResultOpened {
		t.Fatalf("attempt: %v; events:%s", r, rec.dump())
	}
	if err := c.Send([]byte(`"live"`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "both messages at the server, in order", func() bool {
		return strings.Join(e.srv.Received(e.user), ",") == `"queued","live"`
	})
	eventually(t, wait, "a heartbeat round trip", func() bool { return c.Stats().RTT > 0 })
	if s := c.State(); s != core.StateOpen {
		t.Fatalf("state %v, want open", s)
	}
	e.srv.DropAll()
	// The first event is the drop: nothing reported the adoption. The next
	// socket is the client's own, and its open is reported.
	expect(t, rec, wait, core.EventClose, core.EventDisconnected, core.EventReconnecting, core.EventReconnected)
}
