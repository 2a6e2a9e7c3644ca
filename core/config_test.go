package core_test

import (
	"errors"
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

// Validate checks what a Go program builds by hand as Decode checks what a
// page passes: one table of fields serves both.
func TestValidateCatchesWhatDecodeCatches(t *testing.T) {
	t.Parallel()
	for field, mod := range map[string]func(*core.Config){
		"outbox.maxMessages": func(c *core.Config) { c.Outbox.MaxMessages = -1 },
		"outbox.maxBytes":    func(c *core.Config) { c.Outbox.MaxBytes = -1 },
		"heartbeat.delay":    func(c *core.Config) { c.Heartbeat.Delay = 0 },
		"port":               func(c *core.Config) { c.Port = 70000 },
	} {
		c := core.Defaults()
		mod(&c)
		var ce *core.ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: Validate() = %v", field, err)
		}
	}
	// a heartbeat under a millisecond is odd but was always accepted
	if c, err := core.Decode(map[string]any{"heartbeat": map[string]any{"delay": 0.5}}); err != nil || c.Heartbeat.Delay != 500*time.Microsecond {
		t.Errorf("heartbeat.delay 0.5: %v %v", c.Heartbeat.Delay, err)
	}
}
