package chaos_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kissjs/kiss-websocket/internal/chaos"
)

func TestJudgeStream(t *testing.T) {
	accepted := []int{0, 1, 2, 3, 4}
	tests := []struct {
		name     string
		perConn  [][]int
		inFlight int
		bad      string // a word of the one violation, "" for none
	}{
		{"once, in order", [][]int{{0, 1}, {2, 3, 4}}, 0, ""},
		{"lost in flight at a socket's end", [][]int{{0, 1}, {3, 4}}, 1, ""},
		{"twice", [][]int{{0, 1, 2}, {2, 3, 4}}, 0, "twice"},
		{"reordered", [][]int{{0, 2, 1, 3, 4}}, 0, "after a later one"},
		{"lost inside a socket", [][]int{{0, 1, 3, 4}}, 0, "missing in the middle"},
		{"never delivered", [][]int{{0, 1, 2}}, 0, "never delivered"},
	}
	for _, tt := range tests {
		_, inFlight, bad := chaos.JudgeStream(accepted, tt.perConn)
		if inFlight != tt.inFlight {
			t.Errorf("%s: in flight %d, want %d", tt.name, inFlight, tt.inFlight)
		}
		if tt.bad == "" && len(bad) != 0 || tt.bad != "" && !strings.Contains(strings.Join(bad, "\n"), tt.bad) {
			t.Errorf("%s: violations %q, want one about %q", tt.name, bad, tt.bad)
		}
	}
}

func TestJudgePushes(t *testing.T) {
	pushed := map[int]bool{1: true, 2: true, 3: true}
	if bad, missing := chaos.JudgePushes(pushed, []int{1, 3}); len(bad) != 0 || missing != 1 {
		t.Errorf("one missing: %q, %d", bad, missing)
	}
	if bad, _ := chaos.JudgePushes(pushed, []int{1, 2, 2, 3}); len(bad) != 1 || !strings.Contains(bad[0], "twice") {
		t.Errorf("a duplicate: %q", bad)
	}
	if bad, _ := chaos.JudgePushes(pushed, []int{2, 1, 3}); len(bad) != 1 || !strings.Contains(bad[0], "after") {
		t.Errorf("reordered: %q", bad)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("CHAOS_TEST_STEPS", "7")
	t.Setenv("CHAOS_TEST_SEED", "42")
	if steps, seed := chaos.FromEnv("CHAOS_TEST_STEPS", "CHAOS_TEST_SEED", 3); steps != 7 || seed != 42 {
		t.Errorf("set: %d faults, seed %d; want 7, 42", steps, seed)
	}
	t.Setenv("CHAOS_TEST_STEPS", "0")
	t.Setenv("CHAOS_TEST_SEED", "")
	if steps, seed := chaos.FromEnv("CHAOS_TEST_STEPS", "CHAOS_TEST_SEED", 3); steps != 3 || seed < 0 {
		t.Errorf("unset: %d faults, seed %d; want the default 3 and a fresh seed", steps, seed)
	}
}

func TestRunPostsAndHolds(t *testing.T) {
	var got []string
	start := time.Now()
	chaos.Run([]chaos.Step{
		{Path: "/test/proxy/stall", Params: map[string]string{"on": "1"}},
		{Hold: 20 * time.Millisecond},
		{Path: "/test/proxy/stall", Params: map[string]string{"on": "0"}},
	}, func(path string, params map[string]string) { got = append(got, path+"?on="+params["on"]) })
	if strings.Join(got, " ") != "/test/proxy/stall?on=1 /test/proxy/stall?on=0" {
		t.Fatalf("posted %q", got)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("held %v, want the step's 20 ms", d)
	}
}
