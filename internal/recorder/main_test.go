//go:build !js

package recorder_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

// TestMain fails the run when a closed recorder leaves a handler or socket behind.
func TestMain(m *testing.M) { leakcheck.Main(m, 2*time.Second) }
