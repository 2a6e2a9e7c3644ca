//go:build !js

// Command bench is `make bench`: it starts the dev server with its bench
// endpoints, drives headless Chromium through the bench page (page/) for
// the browser's own WebSocket, reconnecting-websocket and kiss.websocket,
// and prints one table of medians, ratios to raw and PASS/FAIL per target.
// With -update it rewrites the generated part of BENCHMARKS.md.
//
// Run from the repository root after `make build` and `npm ci`:
//
//	go run ./bench -update BENCHMARKS.md
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kissjs/kiss-websocket/bench/mdblock"
	"github.com/kissjs/kiss-websocket/bench/wasmsize"
	"github.com/kissjs/kiss-websocket/internal/devserver"
)

//go:embed page
var page embed.FS

// rwsDist is the browser build of reconnecting-websocket (npm ci).
const rwsDist = "node_modules/reconnecting-websocket/dist/reconnecting-websocket-iife.min.js"

type options struct {
	server, web, chromium, update, jsonOut, goBench   string
	steps, million                                    map[string]bool
	runs, memoryRuns, coldN, netN, blocks, outBlocks  int
	echoN, echoWarm, burstN, outN, millionN, handlerN int
	timeout                                           time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.server, "server", "bin/kiss-websocket", "dev server binary (make bin/kiss-websocket)")
	flag.StringVar(&o.web, "web", "web", "directory with the loader, wasm and wasm_exec.js (make build)")
	flag.StringVar(&o.chromium, "chromium", "", "Chromium binary (default: the first chromium or chrome on PATH)")
	flag.StringVar(&o.update, "update", "", "rewrite the generated section of this Markdown file (BENCHMARKS.md)")
	flag.StringVar(&o.jsonOut, "json", "out/bench.json", "write every sample here as JSON (\"\": don't)")
	flag.StringVar(&o.goBench, "gobench", "", "go test -bench output to include in the -update section")
	flag.IntVar(&o.runs, "runs", 3, "runs; the variant order rotates between them")
	flag.IntVar(&o.memoryRuns, "memory-runs", 1, "runs that also measure memory, each variant in a page of its own")
	flag.IntVar(&o.blocks, "blocks", 10, "blocks each timed workload is split into, alternating between the variants")
	flag.IntVar(&o.outBlocks, "out-blocks", 1, "loops the outbound send() calls are split into")
	million := flag.String("million-variants", "ours", "variants that also get the long burst (memory flatness)")
	flag.IntVar(&o.coldN, "cold", 5, "cold starts per run and variant, each in a fresh browser profile (then a warm one)")
	flag.IntVar(&o.netN, "net", 2, "starts per run and variant under network emulation")
	flag.IntVar(&o.echoN, "echo", 2000, "echo round trips")
	flag.IntVar(&o.echoWarm, "echo-warm", 200, "echo round trips before measuring")
	flag.IntVar(&o.burstN, "burst", 100_000, "inbound burst frames")
	flag.IntVar(&o.outN, "out", 100_000, "outbound send() calls")
	flag.IntVar(&o.handlerN, "handler", 100_000, "synthetic frames per pass through the variant's onmessage")
	flag.IntVar(&o.millionN, "million", 1_000_000, "frames of the long inbound run")
	steps := flag.String("steps", "echo,burst,outbound,handler,shared,million,cold", "workloads to run (for quick experiments; the table needs all; shared: the timed ones also in a leading and a following tab)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "give up after this long (a loaded machine takes 12 minutes)")
	flag.Parse()
	o.steps, o.million = set(*steps), set(*million)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if o.chromium == "" {
		o.chromium = devserver.Chromium()
		if o.chromium == "" {
			return errors.New("no chromium on PATH (make deps installs Debian's)")
		}
	}
	stage, err := stagePage()
	defer os.RemoveAll(stage)
	if err != nil {
		return err
	}
	// A snapshot of web/: a rebuild while the bench runs must not change
	// (or truncate) the files under it.
	web := filepath.Join(stage, "web")
	if err := snapshot(o.web, web); err != nil {
		return fmt.Errorf("snapshot %s: %w", o.web, err)
	}
	// The floor programs, built beside the snapshot as make build builds
	// ours, so the safejs floor can start behind the same loader.
	if _, err := wasmsize.Build(".", web, wasmsize.Programs[:2]); err != nil {
		return err
	}
	// The KissJS-shaped page's bundle, served as the loader is (precompressed).
	kissJS, err := page.ReadFile("page/kiss.js")
	if err != nil {
		return err
	}
	if _, err := writeStandIn(web, kissJS); err != nil {
		return err
	}
	base, stop, err := startServer(o.server, web, filepath.Join(stage, "page"))
	if err != nil {
		return err
	}
	defer stop()

	res := &results{Variants: variants, Runs: make([]runResult, 0, o.runs)}
	res.Sizes, err = measureSizes(web)
	if err != nil {
		return err
	}
	start := time.Now()
	loadBefore := loadAvg()
	for r := range o.runs {
		order := rotate(variants, r)
		fmt.Fprintf(os.Stderr, "run %d/%d: %s\n", r+1, o.runs, strings.Join(order, ", "))
		rr, err := benchRun(ctx, o, base, order, r)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		if res.Chromium == "" {
			res.Chromium = rr.chromium
		}
		res.Runs = append(res.Runs, rr)
	}
	res.Elapsed = time.Since(start).Round(time.Second).String()
	res.Machine = machine(loadBefore)
	table := res.table(o)
	fmt.Println(table)
	fmt.Println(res.phaseTable())
	if o.jsonOut != "" {
		if err := writeJSON(o.jsonOut, res); err != nil {
			return err
		}
	}
	if o.update != "" {
		if err := updateDoc(o.update, res.section(table, o)); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "updated %s\n", o.update)
	}
	return nil
}

var variants = []string{"raw", "rws", "ours"}

func set(list string) map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		m[strings.TrimSpace(s)] = true
	}
	return m
}

// rotate starts the order at variant r, so each one goes first once in
// three runs (a warm or busy machine favours nobody).
func rotate(vs []string, r int) []string {
	out := make([]string, 0, len(vs))
	for i := range vs {
		out = append(out, vs[(i+r)%len(vs)])
	}
	return out
}

// stagePage writes the page and reconnecting-websocket's browser build to
// page/ in a temporary directory; the dev server serves it under /bench/.
func stagePage() (string, error) {
	stage, err := os.MkdirTemp("", "kiss-bench-")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(stage, "page")
	sub, _ := fs.Sub(page, "page")
	if err := os.CopyFS(dir, sub); err != nil {
		return stage, fmt.Errorf("stage page: %w", err)
	}
	rws, err := os.ReadFile(rwsDist)
	if err != nil {
		return stage, fmt.Errorf("reconnecting-websocket is not installed (npm ci): %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reconnecting-websocket.js"), rws, 0o644); err != nil {
		return stage, err
	}
	return stage, nil
}

// snapshot copies the regular files of src to dst, keeping their
// modification times: the dev server only serves a .br or .gz that is not
// older than its source.
func snapshot(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return err
		}
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
}

// startServer runs the dev server on a free loopback port, its log in
// out/bench-server.log, and returns its URL and a stop function.
func startServer(bin, web, benchDir string) (string, func(), error) {
	if err := os.MkdirAll("out", 0o755); err != nil {
		return "", nil, err
	}
	logf, err := os.Create("out/bench-server.log")
	if err != nil {
		return "", nil, err
	}
	srv, err := devserver.Start(bin, logf, "-web", web, "-bench", benchDir)
	if err != nil {
		logf.Close()
		return "", nil, fmt.Errorf("%w: see out/bench-server.log", err)
	}
	return srv.URL, func() { srv.Stop(); logf.Close() }, nil
}

func writeJSON(name string, v any) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// Markers around the part of BENCHMARKS.md this command writes.
const (
	beginMark = "<!-- bench:begin (generated by make bench) -->"
	endMark   = "<!-- bench:end -->"
)

// updateDoc replaces what lies between the markers, or appends them.
func updateDoc(name, section string) error {
	return mdblock.Update(name, beginMark, endMark, section)
}

// readFileOr returns the content of name or "".
func readFileOr(name string) string {
	f, err := os.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}
