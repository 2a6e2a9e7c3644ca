//go:build !js

package kissserver_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

// TestMain fails the run when goroutines outlive the tests: every socket,
// stall waiter and push writer must be gone once its server is closed.
func TestMain(m *testing.M) { leakcheck.Main(m, 2*time.Second) }
