//go:build !js

package benchserver_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

// TestMain fails the run when goroutines outlive the tests: every bench
// socket and push writer must be gone once the bench server is closed.
func TestMain(m *testing.M) { leakcheck.Main(m, 2*time.Second) }
