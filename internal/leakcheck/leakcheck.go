// Package leakcheck fails a test binary whose goroutines outlive its tests:
// a closed client or server must leave no dial, reader, timer callback or
// closing handshake behind.
package leakcheck

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests, then waits up to wait for stray goroutines to end
// (ones told to stop may still be on their way out) and fails the binary,
// printing their stacks, if any remain. Call it from TestMain.
func Main(m *testing.M, wait time.Duration) {
	code := m.Run()
	if code == 0 {
		if leaked := leftovers(wait); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: %d goroutine(s) outlived the tests:\n\n%s\n",
				len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

func leftovers(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		// A test that used the default client leaves keep-alive
		// connections; they are the transport's, not a leak.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		leaked := Others()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Others returns the stacks of every goroutine except the caller's and
// those the runtime and the testing package keep for themselves.
func Others() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.TrimSpace(g) == "" || ownedByRuntime(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

func ownedByRuntime(stack string) bool {
	for _, s := range []string{
		"os/signal.signal_recv", // the signal loop lives forever
		"testing.(*M).",         // the test binary's own machinery
		"testing.runFuzzing",    // the fuzzing coordinator
		"testing.(*F).Fuzz",     // and its workers
		"runtime.ensureSigM",    // signal mask handler
		"internal/testlog",      // test log writer
	} {
		if strings.Contains(stack, s) && !strings.Contains(stack, "kiss-websocket") {
			return true
		}
	}
	return false
}
