package main

import (
	"strings"
	"testing"
)

const m = "github.com/kissjs/kiss-websocket"

// stream is what go test -json -count=2 prints for: core's TestA passing,
// then failing in its subtest; TestB passing twice; kissserver whose tests
// pass but whose TestMain fails (a leak); a package that does not build.
var stream = strings.Join([]string{
	`{"Action":"start","Package":"` + m + `/core"}`,
	`{"Action":"run","Package":"` + m + `/core","Test":"TestA"}`,
	`{"Action":"output","Package":"` + m + `/core","Test":"TestA","Output":"=== RUN   TestA\n"}`,
	`{"Action":"pass","Package":"` + m + `/core","Test":"TestA"}`,
	`{"Action":"run","Package":"` + m + `/core","Test":"TestB"}`,
	`{"Action":"pass","Package":"` + m + `/core","Test":"TestB"}`,
	`{"Action":"run","Package":"` + m + `/core","Test":"TestA"}`,
	`{"Action":"output","Package":"` + m + `/core","Test":"TestA","Output":"second run\n"}`,
	`{"Action":"run","Package":"` + m + `/core","Test":"TestA/sub"}`,
	`{"Action":"output","Package":"` + m + `/core","Test":"TestA/sub","Output":"    a_test.go:9: boom\n"}`,
	`{"Action":"fail","Package":"` + m + `/core","Test":"TestA/sub"}`,
	`{"Action":"fail","Package":"` + m + `/core","Test":"TestA"}`,
	`{"Action":"run","Package":"` + m + `/core","Test":"TestB"}`,
	`{"Action":"pass","Package":"` + m + `/core","Test":"TestB"}`,
	`{"Action":"fail","Package":"` + m + `/core"}`,
	`{"Action":"run","Package":"` + m + `/internal/kissserver","Test":"TestC"}`,
	`{"Action":"pass","Package":"` + m + `/internal/kissserver","Test":"TestC"}`,
	`{"Action":"output","Package":"` + m + `/internal/kissserver","Output":"leakcheck: 1 goroutine left\n"}`,
	`{"Action":"fail","Package":"` + m + `/internal/kissserver"}`,
	`{"ImportPath":"` + m + `/broken","Action":"build-output","Output":"broken/x.go:1: syntax error\n"}`,
	`{"ImportPath":"` + m + `/broken","Action":"build-fail"}`,
	`FAIL	` + m + `/broken [build failed]`,
}, "\n")

func TestTableCountsRunsAndEveryKindOfFailure(t *testing.T) {
	tb := newTable()
	if err := tb.read("stream", strings.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	want := map[key]tally{
		{m + "/core", "TestA"}:                    {runs: 2, fails: 1},
		{m + "/core", "TestB"}:                    {runs: 2},
		{m + "/internal/kissserver", "TestC"}:     {runs: 1},
		{m + "/internal/kissserver", "(package)"}: {fails: 1},
		{m + "/broken", "(build)"}:                {fails: 1},
	}
	if len(tb.tests) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(tb.tests), len(want), tb.tests)
	}
	for k, w := range want {
		if g := tb.tests[k]; g == nil || *g != w {
			t.Errorf("%v: %+v, want %+v", k, g, w)
		}
	}
	if tb.unparsed != 1 {
		t.Errorf("%d unparsed lines, want 1", tb.unparsed)
	}
	if len(tb.failures) != 3 {
		t.Fatalf("%d failures recorded, want 3: %q", len(tb.failures), tb.failures)
	}
	// The failed run's output is its own (not the first run's) with its subtest's.
	if f := tb.failures[0]; f.output != "second run\n    a_test.go:9: boom\n" {
		t.Errorf("TestA's failure output %q", f.output)
	}
	if f := tb.failures[1]; !strings.Contains(f.output, "leakcheck") {
		t.Errorf("the package failure's output %q", f.output)
	}
	if f := tb.failures[2]; !strings.Contains(f.output, "syntax error") {
		t.Errorf("the build failure's output %q", f.output)
	}

	var out strings.Builder
	list := map[key]bool{{"core", "TestB"}: true, {"core", "TestNeverRan"}: true}
	if n := tb.print(&out, list); n != 3 {
		t.Errorf("print counted %d failures, want 3", n)
	}
	for _, row := range []string{
		"core  TestA  2  1",
		"core  TestB  2  0",              // listed: shown although it passed
		"core  TestNeverRan  0  0",       // listed, never ran: shown as such
		"internal/kissserver  (package)", // failed outside any test
	} {
		if !strings.Contains(squeeze(out.String()), row) {
			t.Errorf("no %q in the table:\n%s", row, out.String())
		}
	}
	if !strings.Contains(out.String(), "\ntotal: 3 tests, 5 runs, 3 failures\n") {
		t.Errorf("no total of 3 tests, 5 runs, 3 failures:\n%s", out.String())
	}
	if strings.Contains(out.String(), "TestC") {
		t.Errorf("a passing test not in the list is shown:\n%s", out.String())
	}
}

// squeeze turns runs of spaces into two, so rows compare whatever the widths.
func squeeze(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(strings.Join(strings.Fields(line), "  "))
		b.WriteByte('\n')
	}
	return b.String()
}
