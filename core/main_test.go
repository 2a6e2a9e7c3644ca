package core_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

// TestMain fails the run when goroutines outlive the tests: a closed client
// leaves no dial, token check, timer callback, reader or closing handshake
// behind, and every test closes its servers.
func TestMain(m *testing.M) { leakcheck.Main(m, 3*time.Second) }
