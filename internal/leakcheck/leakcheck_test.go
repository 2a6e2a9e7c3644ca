package leakcheck_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

func TestOthersSeesAStrayGoroutineAndNotItself(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }()
	found := func() bool {
		for _, g := range leakcheck.Others() {
			if strings.Contains(g, "TestOthersSeesAStrayGoroutineAndNotItself.func1") {
				return true
			}
		}
		return false
	}
	if !found() {
		t.Fatal("a parked goroutine was not reported")
	}
	close(stop)
	deadline := time.Now().Add(2 * time.Second)
	for found() {
		if time.Now().After(deadline) {
			t.Fatal("an ended goroutine is still reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
