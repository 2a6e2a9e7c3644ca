//go:build !js

package kissserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

func TestCloseAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   websocket.StatusCode
		reason string
	}{
		{4002, "too many sockets"},
		{4003, "DEFINITIVE_CLOSE"},
		{1001, "going away"},
		{1000, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			t.Parallel()
			ts := start(t, kissserver.Options{})
			errs := []<-chan error{readErr(ts.mustDial(t, "dev")), readErr(ts.mustDial(t, "other"))}
			ts.CloseAll(int(tt.code), tt.reason)
			for _, errc := range errs {
				wantClose(t, errc, tt.code, tt.reason)
			}
			if open := ts.openConns(); len(open) != 0 {
				t.Fatalf("after CloseAll: %+v still open", open)
			}
			for _, c := range ts.Conns() {
				if c.Ended.IsZero() {
					t.Fatalf("conn %d closed without an end time", c.ID)
				}
			}
		})
	}
}

// openConns lists the open sockets.
func (ts *testServer) openConns() []kissserver.ConnInfo {
	var out []kissserver.ConnInfo
	for _, c := range ts.Conns() {
		if c.Open {
			out = append(out, c)
		}
	}
	return out
}

func TestDropAllSendsNoCloseFrame(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	errc := readErr(ts.mustDial(t, "dev"))
	ts.DropAll()
	select {
	case err := <-errc:
		if code := websocket.CloseStatus(err); code != -1 {
			t.Fatalf("got close frame %d, want a bare TCP cut", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("socket still open")
	}
	if open := ts.openConns(); len(open) != 0 {
		t.Fatalf("after DropAll: %+v still open", open)
	}
}

func TestStall(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	before := ts.mustDial(t, "dev")
	ts.Stall(true)
	after := ts.mustDial(t, "dev") // upgrades still succeed, sockets stall
	for _, c := range []*websocket.Conn{before, after} {
		sendText(t, c, "ping")
	}
	errc := make(chan error, 2)
	for _, c := range []*websocket.Conn{before, after} {
		go func() {
			_, b, err := c.Read(ctx(t))
			if err == nil && string(b) != "pong" {
				err = fmt.Errorf("got %q, want pong", b)
			}
			errc <- err
		}()
	}
	select {
	case err := <-errc:
		t.Fatalf("answer while stalled (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	ts.Stall(false) // the held pings are answered late, like a peer waking up
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerCloseWhileStalled(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	errc := readErr(ts.mustDial(t, "dev"))
	ts.Stall(true)
	done := make(chan struct{})
	go func() { ts.Close(); close(done) }()
	wantClose(t, errc, websocket.StatusGoingAway, "server shutting down")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if st := ts.refusedWith(t, ts.Login("dev").Token, nil); st != http.StatusServiceUnavailable {
		t.Fatalf("upgrade after Close: %d, want 503", st)
	}
}

func TestRefuseUpgrades(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	tok := ts.Login("dev").Token
	ts.RefuseUpgrades(http.StatusUnauthorized, 0)
	if st := ts.refusedWith(t, tok, nil); st != http.StatusUnauthorized {
		t.Fatalf("refused with %d, want 401", st)
	}
	ts.RefuseUpgrades(0, 0)
	ts.mustDialToken(t, tok)

	ts.refusedForAWhile(t, tok, http.StatusBadGateway, 200*time.Millisecond, func(d time.Duration) {
		ts.RefuseUpgrades(http.StatusBadGateway, d)
	})
}

// A held upgrade waits, unanswered, until the hold ends; then it is
// checked as usual. One whose client gives up stops counting.
func TestHoldUpgrades(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	tok := ts.Login("dev").Token
	ts.HoldUpgrades(true)
	dialed := make(chan error, 1)
	go func() {
		c, _, err := ts.dial(t, tok, nil)
		if err == nil {
			c.CloseNow()
		}
		dialed <- err
	}()
	gaveUp, cancel := context.WithCancel(context.Background())
	go func() {
		c, _, err := websocket.Dial(gaveUp, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?token="+tok, &websocket.DialOptions{HTTPClient: ts.hs.Client()})
		if err == nil {
			c.CloseNow()
		}
	}()
	eventually(t, "two held upgrades", func() bool { return ts.HeldUpgrades() == 2 })
	if n := ts.Upgrades("dev"); n != 0 {
		t.Fatalf("%d upgrades while held", n)
	}
	cancel()
	eventually(t, "the abandoned one released", func() bool { return ts.HeldUpgrades() == 1 })
	ts.RefuseUpgrades(http.StatusBadGateway, 0) // checked once let on
	ts.HoldUpgrades(false)
	if err := <-dialed; err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("the held dial: %v, want refused with 502", err)
	}
	ts.RefuseUpgrades(0, 0)
	ts.mustDialToken(t, tok)
}

func TestGoAway(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	tok := ts.Login("dev").Token
	errc := readErr(ts.mustDialToken(t, tok))
	ts.refusedForAWhile(t, tok, http.StatusServiceUnavailable, 300*time.Millisecond, ts.GoAway)
	wantClose(t, errc, websocket.StatusGoingAway, "going away")
}

func TestPush(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	dev := []*websocket.Conn{ts.mustDial(t, "dev"), ts.mustDial(t, "dev")}
	other := ts.mustDial(t, "other")
	if n := ts.Push("dev", 3, "EVT_TEST"); n != 2 {
		t.Fatalf("Push(dev) reached %d, want 2", n)
	}
	for _, c := range dev {
		for i := 1; i <= 3; i++ {
			want := fmt.Sprintf(`{"channel":"EVT_TEST","n":%d,"data":"push"}`, i)
			if got := recv(t, c); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		}
	}
	if n := ts.Push("", 1, "ALL"); n != 3 {
		t.Fatalf("Push(all) reached %d, want 3", n)
	}
	if got := recv(t, other); got != `{"channel":"ALL","n":1,"data":"push"}` {
		t.Fatalf("other got %s", got)
	}
	if n := ts.Push("nobody", 1, "x"); n != 0 {
		t.Fatalf("Push(nobody) reached %d, want 0", n)
	}
}

func TestSendRawWritesFramesAsGiven(t *testing.T) {
	t.Parallel()
	srv := kissserver.New(kissserver.Options{Controls: true})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	tok := srv.Login("raw").Token
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/?token="+tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, tc := range []struct {
		frame  string
		binary bool
	}{{"not json", false}, {"\x00\x01", true}} {
		if n := srv.SendRaw("raw", []byte(tc.frame), tc.binary); n != 1 {
			t.Fatalf("reached %d sockets", n)
		}
		typ, data, err := c.Read(ctx)
		if err != nil || string(data) != tc.frame || (typ == websocket.MessageBinary) != tc.binary {
			t.Fatalf("got %v %q %v", typ, data, err)
		}
	}
}

// A KissJS server that limits sockets per user answers the one beyond the
// limit with 4002; the others, and other users, are untouched, and closing
// one makes room again.
func TestSocketLimitClosesTheExtraOneWith4002(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{MaxSocketsPerUser: 1})
	first := readErr(ts.mustDial(t, "dev"))
	other := readErr(ts.mustDial(t, "other"))
	wantClose(t, readErr(ts.mustDial(t, "dev")), 4002, "TOO_MANY_SOCKETS")
	if n, o := ts.TooMany("dev"), ts.TooMany("other"); n != 1 || o != 0 {
		t.Fatalf("too many: dev %d, other %d; want 1, 0", n, o)
	}
	if open := ts.openConns(); len(open) != 2 {
		t.Fatalf("open after the refusal: %+v, want the first two", open)
	}
	ts.SetSocketLimit(0)
	third := readErr(ts.mustDial(t, "dev"))
	if open := ts.openConns(); len(open) != 3 {
		t.Fatalf("open with no limit: %+v, want 3", open)
	}
	ts.CloseAll(1000, "")
	for _, errc := range []<-chan error{first, other, third} {
		wantClose(t, errc, 1000, "")
	}
}
