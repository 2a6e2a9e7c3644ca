//go:build !js

package main

import (
	"bytes"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The house rules of docs/architecture.md that a reviewer would otherwise
// have to remember: core stays platform-neutral, every file of wasm/ is for
// the browser only, and the wasm links neither coder/websocket (net/http,
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

// The project documents itself: a clone has everything its documentation
// points at. Every relative link of README.md and docs/*.md names a file or
// directory of the repository, and no file mentions the team's notes that
// live outside it.
func TestDocsAreCompleteInAClone(t *testing.T) {
	t.Parallel()
	docs, _ := filepath.Glob("docs/*.md")
	if len(docs) == 0 {
		t.Fatal("no docs/*.md: run from the repository root")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range append([]string{"README.md"}, docs...) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range relativeLinks(string(b)) {
			path, _, _ := strings.Cut(target, "#")
			if path == "" {
				continue // an anchor in the same file
			}
			abs := filepath.Join(filepath.Dir(filepath.Join(root, doc)), filepath.FromSlash(path))
			if rel, err := filepath.Rel(root, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s links %s, outside the repository", doc, target)
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links %s, which is not in the repository", doc, target)
			}
		}
	}
	// Spelled in pieces, so this file does not match itself.
	outside := [][]byte{[]byte("../" + "shared/"), []byte("KISSJS" + ".md"), []byte("DESIGN" + ".md")}
	skip := map[string]bool{".git": true, "node_modules": true, "bin": true, "out": true, "dist": true}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 1<<20 {
			return err // the wasm and its compressed copies: build outputs
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range outside {
			if bytes.Contains(b, s) {
				t.Errorf("%s mentions %s, which a clone does not have: point at docs/ instead", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var (
	fencedCode = regexp.MustCompile("(?ms)^```.*?^```")
	inlineCode = regexp.MustCompile("`[^`\n]*`")
	// [text](target) and [text](target "title"), and reference definitions
	// [label]: target.
	inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	hasScheme  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// relativeLinks returns the Markdown link targets of md that have no
// scheme (http:, mailto:, ...), outside code.
func relativeLinks(md string) []string {
	md = fencedCode.ReplaceAllString(md, "")
	md = inlineCode.ReplaceAllString(md, "")
	var out []string
	for _, re := range []*regexp.Regexp{inlineLink, refLink} {
		for _, m := range re.FindAllStringSubmatch(md, -1) {
			if !hasScheme.MatchString(m[1]) && !strings.HasPrefix(m[1], "//") {
				out = append(out, m[1])
			}
		}
	}
	return out
}
