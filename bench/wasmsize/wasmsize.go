// Package wasmsize builds our wasm and its two floor programs the way make
// build does, compresses them, and attributes their code to Go packages
// through the name section of a build that keeps it. make size prints its
// tables; make bench serves the floors behind the same loader.
package wasmsize

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Program is one wasm make size measures.
type Program struct {
	Name string // as the tables print it
	File string // the shipped file's name in the output folder
	Pkg  string // the main package, relative to the module root
}

// Programs: ours and the floors it is measured against.
var Programs = []Program{
	{"syscall/js floor", "floor-syscalljs.wasm", "./bench/floor/syscalljs"},
	{"safejs floor", "floor-safejs.wasm", "./bench/floor/safejs"},
	{"kiss-websocket", "kiss-websocket.wasm", "./wasm"},
}

// Size is one program, measured.
type Size struct {
	Program
	Raw, Gzip, Brotli int
	Packages          map[string]int // code bytes per package (name section)
	Code, Data        int            // code section bodies, data section
}

// Build builds each of progs into out (shipped: stripped, with its .br and
// .gz beside it, as make build leaves them) and once more with names, to
// attribute code. root is the module root.
func Build(root, out string, progs []Program) ([]Size, error) {
	tmp, err := os.MkdirTemp("", "wasmsize")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var sizes []Size
	for _, p := range progs {
		shipped := filepath.Join(out, p.File)
		named := filepath.Join(tmp, p.File)
		if err := goBuild(root, shipped, p.Pkg, "-s -w"); err != nil {
			return nil, err
		}
		if err := goBuild(root, named, p.Pkg, ""); err != nil {
			return nil, err
		}
		s := Size{Program: p}
		if s.Raw, s.Gzip, s.Brotli, err = compress(shipped); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(named)
		if err != nil {
			return nil, err
		}
		m, err := parseModule(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", named, err)
		}
		pkgs, err := deps(root, p.Pkg)
		if err != nil {
			return nil, err
		}
		s.Packages, s.Code, s.Data = m.byPackage(pkgs), m.CodeSize, m.DataSize
		sizes = append(sizes, s)
	}
	return sizes, nil
}

func goBuild(root, out, pkg, ldflags string) error {
	args := []string{"build", "-trimpath", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// deps lists pkg's import paths, pkg itself spelled "main" as the name
// section spells it.
func deps(root, pkg string) ([]string, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if eq .Name "main"}}main{{else}}{{.ImportPath}}{{end}}`, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", pkg, err)
	}
	return strings.Fields(string(b)), nil
}

// compress writes path.gz (gzip -9) and path.br (brotli -q 11, the CLI
// make build uses) and returns the three sizes.
func compress(path string) (raw, gz, br int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, err
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	if err := os.WriteFile(path+".gz", buf.Bytes(), 0o644); err != nil {
		return 0, 0, 0, err
	}
	if out, err := exec.Command("brotli", "-f", "-n", "-q", "11", "-o", path+".br", path).CombinedOutput(); err != nil {
		return 0, 0, 0, fmt.Errorf("brotli (Debian: apt-get install brotli): %v %s", err, out)
	}
	st, err := os.Stat(path + ".br")
	if err != nil {
		return 0, 0, 0, err
	}
	return len(b), buf.Len(), int(st.Size()), nil
}

// Find returns the size of the program named name.
func Find(sizes []Size, name string) Size {
	for _, s := range sizes {
		if s.Name == name {
			return s
		}
	}
	return Size{}
}

// OverFloorTarget is the most of shipped brotli our wasm may add to the
// safejs floor: a ceiling (issue 22; issue 11's 25 KB is below what the Go
// toolchain allows), raised only with a reason recorded in BENCHMARKS.md:
// 95 KB, then 145 KB when shared mode's protocol moved into Go (issue 21),
// then 150 KB for the pages' own paths by Go's rules that keep Go off a
// following tab's echo (issue 21's must-not-regress row).
const OverFloorTarget = 150_000

// Markdown is make size's report: the shipped sizes with the target row,
// then code by package where ours differs from the safejs floor.
func Markdown(sizes []Size) string {
	var b strings.Builder
	floor, ours := Find(sizes, "safejs floor"), Find(sizes, "kiss-websocket")
	b.WriteString("| program | raw | gzip | brotli | brotli over the safejs floor |\n|---|---:|---:|---:|---:|\n")
	for _, s := range sizes {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.Name, kb(s.Raw), kb(s.Gzip), kb(s.Brotli), signedKB(s.Brotli-floor.Brotli))
	}
	over := ours.Brotli - floor.Brotli
	verdict := "PASS"
	if over > OverFloorTarget {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n| target | measured | |\n|---|---:|---|\n| shipped wasm brotli minus the safejs floor <= %s | %s | %s |\n",
		kb(OverFloorTarget), kb(over), verdict)

	b.WriteString("\nCode bytes by package (name section of an unstripped build), where ours differs from the safejs floor:\n\n")
	b.WriteString("| package | kiss-websocket | safejs floor | difference |\n|---|---:|---:|---:|\n")
	type row struct {
		pkg  string
		diff int
	}
	var rows []row
	for p, n := range ours.Packages {
		if d := n - floor.Packages[p]; d != 0 {
			rows = append(rows, row{p, d})
		}
	}
	for p, n := range floor.Packages {
		if _, ok := ours.Packages[p]; !ok {
			rows = append(rows, row{p, -n})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].diff != rows[j].diff {
			return rows[i].diff > rows[j].diff
		}
		return rows[i].pkg < rows[j].pkg
	})
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %+d |\n", r.pkg, ours.Packages[r.pkg], floor.Packages[r.pkg], r.diff)
	}
	fmt.Fprintf(&b, "| **all code** | %d | %d | %+d |\n", ours.Code, floor.Code, ours.Code-floor.Code)
	fmt.Fprintf(&b, "| **data section** | %d | %d | %+d |\n", ours.Data, floor.Data, ours.Data-floor.Data)
	return b.String()
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1000) }

func signedKB(n int) string { return fmt.Sprintf("%+.1f KB", float64(n)/1000) }
