// Package jsstrip removes the comment lines of the loader's files for make
// dist: pages download what we ship before their first EVT_CONNECTED, and
// the comments, written for maintainers, are a quarter of the first file's
// brotli. Only lines that are nothing but a comment go: a line whose first
// non-blank characters are "//", and a block that starts a line with "/*"
// and ends a line with "*/". Code, and comments after code, stay as they are,
// line for line otherwise, so the result is the same program (make dist also
// has node parse it).
//
// The loader's files are plain ES5 without template literals; a line
// inside a multi-line string or template that looks like a comment would be
// removed, so Strip refuses input with a backtick outside comment lines.
package jsstrip

import (
	"bytes"
	"errors"
	"fmt"
)

// Strip returns src without its comment lines.
func Strip(src []byte) ([]byte, error) {
	var out bytes.Buffer
	inBlock := false
	for n, line := range bytes.SplitAfter(src, []byte("\n")) {
		t := bytes.TrimSpace(line)
		switch {
		case inBlock:
			if bytes.HasSuffix(t, []byte("*/")) {
				inBlock = false
			} else if bytes.Contains(t, []byte("*/")) {
				return nil, fmt.Errorf("line %d: code after a block comment's end", n+1)
			}
			continue
		case bytes.HasPrefix(t, []byte("//")):
			continue
		case bytes.HasPrefix(t, []byte("/*")):
			end := bytes.Index(t[2:], []byte("*/"))
			if end < 0 {
				inBlock = true
				continue
			}
			if end+4 == len(t) {
				continue // a one-line block comment
			}
			// code after it on the same line: kept as it is
		}
		if bytes.IndexByte(line, '`') >= 0 {
			return nil, fmt.Errorf("line %d: a backtick (a template literal could hide a comment-like line)", n+1)
		}
		out.Write(line)
	}
	if inBlock {
		return nil, errors.New("a block comment never ends")
	}
	return out.Bytes(), nil
}
