package chaos_test

import (
	"os/exec"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/chaos"
)

func TestScheduleIsSeeded(t *testing.T) {
	t.Parallel()
	a, b := chaos.Schedule(42, 100, nil), chaos.Schedule(42, 100, nil)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two schedules")
	}
	if reflect.DeepEqual(a, chaos.Schedule(43, 100, nil)) {
		t.Fatal("two seeds gave the same schedule")
	}
	if len(a) != 100 || len(chaos.Schedule(1, 0, nil)) != 0 {
		t.Fatal("wrong length")
	}
}

func TestScheduleShape(t *testing.T) {
	t.Parallel()
	tm := chaos.DefaultTiming()
	kinds := chaos.AllKinds()
	faults := tm.Schedule(7, 8*len(kinds), nil)
	// Every kind once per round of len(kinds).
	for r := 0; r < len(faults); r += len(kinds) {
		var seen []chaos.Kind
		for _, f := range faults[r : r+len(kinds)] {
			seen = append(seen, f.Kind)
		}
		slices.Sort(seen)
		if !slices.Equal(seen, kinds) {
			t.Fatalf("round at %d: %v", r, seen)
		}
	}
	codes := map[int]bool{}
	for _, f := range faults {
		if f.Pause < 20*time.Millisecond || f.Pause > 150*time.Millisecond {
			t.Errorf("%v: pause %v", f, f.Pause)
		}
		switch f.Kind {
		case chaos.Close:
			if !slices.Contains(chaos.CloseCodes, f.Code) {
				t.Errorf("%v: code not in %v", f, chaos.CloseCodes)
			}
			codes[f.Code] = true
		case chaos.StallReads:
			if f.Hold <= tm.HeartbeatDelay+tm.HeartbeatTimeout {
				t.Errorf("%v: too short to be detected", f)
			}
		case chaos.StallHandshake:
			if f.Hold <= tm.ConnectTimeout {
				t.Errorf("%v: too short to time a handshake out", f)
			}
		case chaos.DelayFrames:
			if f.Delay <= 0 || 4*f.Delay >= tm.HeartbeatTimeout || f.Hold <= 0 {
				t.Errorf("%v: delay would kill the heartbeat", f)
			}
		case chaos.RefuseUpgrades, chaos.Restart:
			if f.Hold <= 0 {
				t.Errorf("%v: no hold", f)
			}
		}
	}
	if len(codes) < 4 {
		t.Errorf("only codes %v in 8 closes", codes)
	}
	only := chaos.Schedule(3, 10, []chaos.Kind{chaos.Drop, chaos.Restart})
	for _, f := range only {
		if f.Kind != chaos.Drop && f.Kind != chaos.Restart {
			t.Fatalf("%v not asked for", f)
		}
	}
	if s := (chaos.Fault{Kind: chaos.Close, Code: 4003}).String(); s != "close 4003" {
		t.Fatalf("String %q", s)
	}
	if !chaos.Stops(4002) || !chaos.Stops(4003) || chaos.Stops(1001) {
		t.Fatal("Stops")
	}
}

// The browser chaos test imports this package: it must build for js/wasm
// and stay off the network packages.
func TestBuildsForTheBrowserWithoutNet(t *testing.T) {
	t.Parallel()
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list for js/wasm: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net" || strings.HasPrefix(dep, "net/") || strings.Contains(dep, "coder/websocket") || strings.Contains(dep, "safejs") {
			t.Errorf("depends on %s", dep)
		}
	}
}

// Every kind has a description, and one that lasts is lifted by its last
// step or by Unfault.
func TestEveryFaultHasSteps(t *testing.T) {
	for _, k := range chaos.AllKinds() {
		steps := chaos.Fault{Kind: k, Code: 4000, Hold: time.Second, Delay: time.Millisecond}.Steps("tok")
		if len(steps) == 0 || steps[0].Path == "" {
			t.Errorf("%v: steps %v", k, steps)
		}
		for i, s := range steps {
			if s.Path == "" && (s.Hold != time.Second || i == len(steps)-1) {
				t.Errorf("%v: a hold of %v at step %d of %d", k, s.Hold, i, len(steps))
			}
		}
	}
	if s := (chaos.Fault{Kind: chaos.ExpireToken}).Steps("tok"); s[0].Params["token"] != "tok" {
		t.Errorf("ExpireToken: %v", s)
	}
}
