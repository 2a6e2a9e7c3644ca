package core_test

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when goroutines outlive the tests: a closed client
// leaves no dial, token check, timer callback, reader or closing handshake
// behind, and every test closes its servers.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leftovers(3 * time.Second); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: %d goroutine(s) outlived the tests:\n\n%s\n",
				len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// leftovers retries for up to wait, since goroutines that were told to stop
// may still be on their way out, and returns the stacks still there.
func leftovers(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		// A test that used the default client would leave its keep-alive
		// connections; they are the transport's, not a leak of ours.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		leaked := otherGoroutines()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// otherGoroutines returns the stacks of every goroutine except this one and
// those the testing package and the runtime keep for themselves.
func otherGoroutines() []string {
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
