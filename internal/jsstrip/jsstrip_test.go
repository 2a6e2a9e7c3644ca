package jsstrip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStripRemovesOnlyCommentLines(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"line comments", "// a\nvar a = 1; // kept\n  // b\nf();\n", "var a = 1; // kept\nf();\n"},
		{"a block", "/*\n * doc\n */\n(function () {\n})();\n", "(function () {\n})();\n"},
		{"a one-line block", "  /* x */\ng();\n", "g();\n"},
		{"code after a one-line block stays", "/* x */ g();\n", "/* x */ g();\n"},
		{"a URL in a string stays", "var u = \"http://x/\"; // c\n", "var u = \"http://x/\"; // c\n"},
		{"a regex with slashes stays", "var r = /\\/\\//;\n", "var r = /\\/\\//;\n"},
		{"no final newline", "f();\n// end", "f();\n"},
		{"a backtick in a comment line", "// `code`\nf();\n", "f();\n"},
	} {
		got, err := Strip([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: Strip(%q) = %q, %v; want %q", c.name, c.in, got, err, c.want)
		}
	}
}

func TestStripRefusesWhatItCannotStripSafely(t *testing.T) {
	for _, in := range []string{
		"var s = `\n// not a comment\n`;\n", // a template literal
		"/* open\nnever closed\n",
		"/*\n */ f();\n", // code after a block's end
	} {
		if out, err := Strip([]byte(in)); err == nil {
			t.Errorf("Strip(%q) = %q, want an error", in, out)
		}
	}
}

// The loader's files strip without error, keep every line that is not a
// comment, in order, and lose at least their header.
func TestTheLoaderFilesStrip(t *testing.T) {
	files, err := filepath.Glob("../../web/kiss-websocket*.js")
	if err != nil || len(files) < 3 {
		t.Fatalf("loader files: %v %v", files, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Strip(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(out) >= len(src) {
			t.Errorf("%s: nothing stripped", f)
		}
		// every output line is a source line, in order
		rest := strings.Split(string(src), "\n")
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			for len(rest) > 0 && rest[0] != line {
				if s := strings.TrimSpace(rest[0]); s != "" && !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/*") && !strings.HasPrefix(s, "*") {
					t.Fatalf("%s: the line %q was removed", f, rest[0])
				}
				rest = rest[1:]
			}
			if len(rest) == 0 {
				t.Fatalf("%s: %q is not a source line in order", f, line)
			}
			rest = rest[1:]
		}
	}
}
