//go:build !js

package faultproxy_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/leakcheck"
)

// TestMain fails the run when a closed proxy leaves a pump or link behind.
func TestMain(m *testing.M) { leakcheck.Main(m, 2*time.Second) }
