//go:build !js

package main

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The house rules of DESIGN.md that a reviewer would otherwise have to
// remember: core stays platform-neutral, every file of wasm/ is for the
// browser only, and the wasm links neither coder/websocket (net/http,
// crypto/tls: megabytes) nor encoding/json.
func TestHouseRules(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("core/*.go")
	if len(files) == 0 {
		t.Fatal("no core/*.go: run from the repository root")
	}
	fset := token.NewFileSet()
	for _, f := range files {
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "syscall/js" || strings.HasPrefix(path, "github.com/hack-pad/safejs") {
				t.Errorf("%s imports %s: core must stay platform-neutral", f, path)
			}
		}
	}
	wasmFiles, _ := filepath.Glob("wasm/*.go")
	for _, f := range wasmFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		expr, err := constraint.Parse(first)
		browserOnly := err == nil && !expr.Eval(func(tag string) bool { return tag != "js" && tag != "wasm" }) &&
			expr.Eval(func(tag string) bool { return tag == "js" || tag == "wasm" })
		if !browserOnly {
			t.Errorf("%s does not start with //go:build js && wasm", f)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "./wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./wasm: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/coder/websocket"), dep == "encoding/json", dep == "net/http":
			t.Errorf("the wasm links %s", dep)
		}
	}
}

// The README names the Go release that builds the project: the go line of
// go.mod, as "Go X.Y or later".
func TestReadmeGoVersionIsGoMods(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	claims := regexp.MustCompile(`Go (\d+\.\d+)(?:\.\d+)? or later`).FindAllSubmatch(readme, -1)
	if len(claims) == 0 {
		t.Fatalf(`README.md does not say which Go builds the project ("Go %s or later")`, m[1])
	}
	for _, c := range claims {
		if string(c[1]) != string(m[1]) {
			t.Errorf("README.md says %q, go.mod says go %s", c[0], m[1])
		}
	}
}
