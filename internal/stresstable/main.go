// Command stresstable reads the `go test -json` streams that make stress
// writes and prints, per test, how many times it ran and how many times it
// failed. It exits 1 when anything failed: a test, or a package that failed
// outside any test (a build error, a panic, a timeout, goroutines left
// behind by TestMain's leak check).
//
//	stresstable [-list FILE] [-failures FILE] STREAM.json...
//
// The table shows every test that failed and every test named in the list
// (the timing-sensitive ones, so their run counts show), then a total.
// -failures writes the output of every failed run there.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent, plus the
// build events of go test -json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output, build-fail
}

// key names one top-level test of one package.
type key struct{ pkg, test string }

type tally struct {
	runs, fails int
}

// failure is the output of one failed run.
type failure struct {
	what   string
	output string
}

type table struct {
	tests    map[key]*tally
	failures []failure
	unparsed int // lines that were not JSON events
}

func newTable() *table { return &table{tests: map[key]*tally{}} }

func top(test string) string {
	if i := strings.IndexByte(test, '/'); i >= 0 {
		return test[:i]
	}
	return test
}

func (tb *table) get(k key) *tally {
	t := tb.tests[k]
	if t == nil {
		t = &tally{}
		tb.tests[k] = t
	}
	return t
}

// read tallies one stream: one `go test -json` run of any number of packages.
func (tb *table) read(name string, r io.Reader) error {
	out := map[key]*strings.Builder{}   // output of the run in progress, per top-level test ("" for the package)
	failedTests := map[string]int{}     // test failures per package, in this stream
	build := map[key]*strings.Builder{} // build output per import path
	buf := func(m map[key]*strings.Builder, k key) *strings.Builder {
		b := m[k]
		if b == nil {
			b = &strings.Builder{}
			m[k] = b
		}
		return b
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			tb.unparsed++
			continue
		}
		switch e.Action {
		case "build-output":
			buf(build, key{pkg: e.ImportPath}).WriteString(e.Output)
			continue
		case "build-fail":
			tb.get(key{e.ImportPath, "(build)"}).fails++
			tb.failures = append(tb.failures, failure{e.ImportPath + " (build)", buf(build, key{pkg: e.ImportPath}).String()})
			continue
		}
		k := key{e.Package, top(e.Test)}
		switch e.Action {
		case "run":
			if e.Test == k.test && e.Test != "" {
				out[k] = &strings.Builder{} // a new run of this test (-count, -cpu)
			}
		case "output":
			buf(out, k).WriteString(e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "fail" && failedTests[e.Package] == 0 {
					// The package failed, yet none of its tests did.
					tb.get(key{e.Package, "(package)"}).fails++
					tb.failures = append(tb.failures, failure{e.Package + " (outside any test)", buf(out, k).String()})
				}
				continue
			}
			if e.Test != k.test {
				continue // a subtest: its parent's result counts
			}
			t := tb.get(k)
			t.runs++
			if e.Action == "fail" {
				t.fails++
				failedTests[e.Package]++
				tb.failures = append(tb.failures, failure{e.Package + " " + e.Test, buf(out, k).String()})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// print writes the table: each test in list or that failed, then a total.
func (tb *table) print(w io.Writer, list map[key]bool) (fails int) {
	var rows []key
	runs, tests := 0, 0
	for k, t := range tb.tests {
		runs += t.runs
		if t.runs > 0 {
			tests++
		}
		fails += t.fails
		if t.fails > 0 || list[key{short(k.pkg), k.test}] {
			rows = append(rows, k)
		}
	}
	for k := range list {
		full := key{module + "/" + k.pkg, k.test}
		if k.pkg == "." {
			full.pkg = module
		}
		if tb.tests[full] == nil {
			rows = append(rows, full) // named but never ran: shows as 0 runs
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.pkg != b.pkg {
			return a.pkg < b.pkg
		}
		return a.test < b.test
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "package\ttest\truns\tfailures")
	for _, k := range rows {
		t := tb.tests[k]
		if t == nil {
			t = &tally{}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", short(k.pkg), k.test, t.runs, t.fails)
	}
	tw.Flush()
	fmt.Fprintf(w, "total: %d tests, %d runs, %d failures\n", tests, runs, fails)
	return fails
}

const module = "github.com/kissjs/kiss-websocket"

// short drops the module path.
func short(pkg string) string {
	if pkg == module {
		return "."
	}
	return strings.TrimPrefix(pkg, module+"/")
}

// readList reads "DIR Test" lines (DIR as go test takes it: ./core, .);
// # starts a comment.
func readList(path string) (map[key]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	list := map[key]bool{}
	for n, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"DIR Test\", got %q", path, n+1, line)
		}
		dir := strings.TrimPrefix(f[0], "./")
		if dir == "" {
			dir = "."
		}
		list[key{dir, f[1]}] = true
	}
	return list, nil
}

func main() {
	listPath := flag.String("list", "", "file of `DIR Test` lines to show whether or not they failed")
	failPath := flag.String("failures", "", "write the output of each failed run to this file")
	flag.Parse()
	list := map[key]bool{}
	if *listPath != "" {
		var err error
		if list, err = readList(*listPath); err != nil {
			fmt.Fprintln(os.Stderr, "stresstable:", err)
			os.Exit(2)
		}
	}
	tb := newTable()
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err == nil {
			err = tb.read(path, f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "stresstable:", err)
			os.Exit(2)
		}
	}
	fails := tb.print(os.Stdout, list)
	if tb.unparsed > 0 {
		fmt.Printf("(%d lines of the streams were not go test -json events)\n", tb.unparsed)
	}
	if *failPath != "" && len(tb.failures) > 0 {
		var b strings.Builder
		for _, f := range tb.failures {
			fmt.Fprintf(&b, "==== %s\n%s\n", f.what, f.output)
		}
		if err := os.WriteFile(*failPath, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "stresstable:", err)
			os.Exit(2)
		}
		fmt.Printf("the output of each failed run: %s\n", *failPath)
	}
	if fails > 0 {
		os.Exit(1)
	}
}
