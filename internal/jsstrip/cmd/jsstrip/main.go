// Command jsstrip writes a loader file without its comment lines (make
// dist): jsstrip SRC DST.
package main

import (
	"fmt"
	"os"

	"github.com/kissjs/kiss-websocket/internal/jsstrip"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: jsstrip SRC DST")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err == nil {
		var out []byte
		if out, err = jsstrip.Strip(src); err == nil {
			err = os.WriteFile(os.Args[2], out, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "jsstrip %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
