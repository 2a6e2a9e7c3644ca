package core_test

import (
	"math"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/core"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code   int
		reason string
		want   core.Action
	}{
		{4002, "", core.ActionLost},
		{4003, "DEFINITIVE_CLOSE", core.ActionClosed},
		{1001, "", core.ActionServerGone},
		{1006, "", core.ActionCheckToken},
		{1006, "CONNECT_TIMEOUT", core.ActionReconnect},
		{1000, "", core.ActionReconnect},
		{4000, "SERVER_NOT_RESPONDING", core.ActionReconnect},
		{1011, "boom", core.ActionReconnect},
	}
	for _, c := range cases {
		if got := core.Decide(c.code, c.reason); got != c.want {
			t.Errorf("Decide(%d, %q) = %v, want %v", c.code, c.reason, got, c.want)
		}
	}
}

func TestNextDelay(t *testing.T) {
	t.Parallel()
	kiss := core.Defaults().Reconnection
	exp := kiss
	exp.Factor, exp.MaxDelay, exp.Delta = 2, 30*time.Second, 0.5
	nojit := kiss
	nojit.Delta = 0
	ms := time.Millisecond
	cases := []struct {
		name    string
		r       core.Reconnection
		attempt int
		rnd     float64
		want    time.Duration
	}{
		// KissJS: delay + floor(r * (delay*delta + 1)) = 5000 + floor(r*10001)
		{"kissjs r=0", kiss, 1, 0, 5000 * ms},
		{"kissjs r=0.5", kiss, 1, 0.5, 10000 * ms},
		{"kissjs r=0.99999", kiss, 7, 0.99999, 15000 * ms},
		{"kissjs same every attempt", kiss, 10, 0.25, 7500 * ms},
		{"no jitter", nojit, 3, 0.9, 5000 * ms},
		{"exp attempt 1", exp, 1, 0, 5000 * ms},
		{"exp attempt 3", exp, 3, 0, 20000 * ms},
		{"exp capped base", exp, 5, 0, 30000 * ms},
		{"exp capped with jitter", exp, 5, 0.5, 37500 * ms},
		{"bad random treated as 0", kiss, 1, 1.5, 5000 * ms},
	}
	for _, c := range cases {
		if got := c.r.NextDelay(c.attempt, c.rnd); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestNextDelayNeverPassesTheBrowserTimerLimit(t *testing.T) {
	t.Parallel()
	r := core.Defaults().Reconnection
	r.Factor, r.Delta = 1e6, 1e6
	if got, max := r.NextDelay(1000, 0.999), 2147483647*time.Millisecond; got != max {
		t.Fatalf("got %v, want %v", got, max)
	}
}

func TestPowIntIsMathPow(t *testing.T) {
	for _, x := range []float64{1, 1.0000001, 1.5, 2, 3.7, 1e6} {
		for _, n := range []int{0, 1, 2, 3, 9, 10, 31, 64, 1000} {
			got, want := core.PowInt(x, n), math.Pow(x, float64(n))
			if got != want && math.Abs(got-want) > 1e-12*want {
				t.Errorf("PowInt(%v, %d) = %v, math.Pow %v", x, n, got, want)
			}
		}
	}
}
