// Package mdblock replaces a generated block of a Markdown file (between
// two marker comments) and leaves the rest of the file as it was.
package mdblock

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// Update puts section between begin and end in the file name, appending the
// block when the markers are not there (or the file does not exist).
func Update(name, begin, end, section string) error {
	b, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	doc := string(b)
	block := begin + "\n" + section + "\n" + end
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i >= 0 && j > i {
		doc = doc[:i] + block + doc[j+len(end):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(name, []byte(doc), 0o644)
}
