//go:build !js

package kissserver_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/kissjs/kiss-websocket/internal/kissserver"
)

func TestCountersAndReset(t *testing.T) {
	t.Parallel()
	ts := start(t, kissserver.Options{})
	var open []*websocket.Conn
	for range 3 {
		open = append(open, ts.mustDial(t, "dev"))
	}
	if err := open[0].Close(4003, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "socket closed", func() bool { return len(ts.openConns()) == 2 })
	last := ts.mustDial(t, "dev")
	ts.mustDial(t, "other")
	sendText(t, last, `{"channel":"a"}`)
	recv(t, last)

	check := func(when string, maxDev, upDev, maxAll, upAll, received int) {
		t.Helper()
		got := []int{ts.MaxSockets("dev"), ts.Upgrades("dev"), ts.MaxSockets(""), ts.Upgrades(""), len(ts.Received("dev"))}
		if want := []int{maxDev, upDev, maxAll, upAll, received}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: max/upgrades dev, max/upgrades all, received = %v, want %v", when, got, want)
		}
	}
	check("before Reset", 3, 4, 4, 5, 1)
	ts.Stall(true)
	ts.RefuseUpgrades(http.StatusServiceUnavailable, 0)
	ts.Reset()
	check("after Reset", 3, 0, 4, 0, 0) // open sockets are the new baseline
	if n := len(ts.Conns()); n != 4 {
		t.Fatalf("Conns after Reset: %d, want the 4 open ones", n)
	}
	sendText(t, last, "ping") // neither stalled nor refused any more
	if recv(t, last) != "pong" {
		t.Fatal("no pong after Reset")
	}
	ts.mustDial(t, "dev")
}

func TestAppendBoundedKeepsTheNewest(t *testing.T) {
	t.Parallel()
	var s []string
	for i := range kissserver.MaxReceived + 10 {
		s = kissserver.AppendBounded(s, fmt.Sprint(i))
	}
	if len(s) != kissserver.MaxReceived || s[0] != "10" || s[len(s)-1] != fmt.Sprint(kissserver.MaxReceived+9) {
		t.Fatalf("len %d, first %s, last %s", len(s), s[0], s[len(s)-1])
	}
}
