//go:build !js

package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

// quietWorld is a GroupWorld that carries nothing out: what is under test
// is the tab's own queue.
type quietWorld struct{}

func (quietWorld) Wake()                                 {}
func (quietWorld) Do(*core.GroupEffect)                  {}
func (quietWorld) Write(core.ConnID, []byte, bool) error { return nil }
func (quietWorld) Serve(core.ConnID)                     {}

// A call whose effects come back into the tab (a page handler inside it,
// the goroutines it woke) queues more and runs the tab again: every call
// is still carried out once, in the order queued. Two Runs at once used
// to lose what was queued during the outer one.
func TestGroupTabRunComesBackIn(t *testing.T) {
	tab := core.NewGroupTab(core.GroupTabOptions{
		Group: core.NewGroup(core.GroupOptions{Tab: "t1"}),
		World: quietWorld{},
		Now:   func() time.Duration { return 0 },
	})
	var ran []string
	tab.Queue(func() {
		ran = append(ran, "a")
		tab.Queue(func() { ran = append(ran, "b") })
		tab.Run() // back in, while a is carried out
		tab.Queue(func() { ran = append(ran, "c") })
		tab.Queue(func() {
			ran = append(ran, "d")
			tab.Run()
		})
	})
	tab.Run()
	if got := strings.Join(ran, ""); got != "abcd" {
		t.Fatalf("ran %q, want abcd: each call once, in order", got)
	}
}
