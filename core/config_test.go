package core_test

import (
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

func TestDefaultsMatchKissJS(t *testing.T) {
	t.Parallel()
	c := core.Defaults()
	r, h := c.Reconnection, c.Heartbeat
	if c.Port != 80 || c.SSLPort != 443 || !r.Enabled || r.Delay != 5*time.Second || r.Delta != 2 ||
		r.MaxAttempts != 10 || !h.Enabled || h.Delay != 10*time.Second || h.Timeout != 35*time.Second {
		t.Fatalf("defaults differ from KissJS: %+v", c)
	}
	if r.Factor != 1 || r.MaxDelay != 0 {
		t.Fatalf("backoff must be off by default: %+v", r)
	}
	if c.Outbox.MaxMessages != 1000 || c.Outbox.MaxBytes != 1<<20 {
		t.Fatalf("outbox limits: %+v", c.Outbox)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
