//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
)

// standInSize is the KissJS bundle's size (build 4960: 2.2 MB raw, 305 KB
// with brotli).
const standInSize = 2_200_000

// writeStandIn writes kissjs-standin.js into web, with its .gz and .br (the
// dev server serves those, as a KissJS deployment serves its bundle): the
// bench page's kiss.js (`const kiss` with kiss.pubsub), then generated code
// of the bundle's size that declares functions no one calls, from a fixed
// seed, so every run loads the same bytes, and compressible about as much
// as the bundle (about 310 KB with brotli). It returns the brotli size (0
// without the brotli tool).
func writeStandIn(web string, kissJS []byte) (int64, error) {
	var b bytes.Buffer
	b.Write(kissJS)
	b.WriteString("\nkiss.lib = {};\n")
	r := rand.New(rand.NewPCG(22, 4960))
	words := make([]string, 100)
	for i := range words {
		n := 3 + r.IntN(8)
		w := make([]byte, n)
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		words[i] = string(w)
	}
	word := func() string { return words[r.IntN(len(words))] }
	for i := 0; b.Len() < standInSize; i++ {
		fmt.Fprintf(&b, "kiss.lib.%s_%d = function (%s, %s, options) {\n", word(), i, word(), word())
		fmt.Fprintf(&b, "  var %s = %d * (options && options.%s || %d) + %d.%d;\n", word(), r.IntN(100), word(), r.IntN(10), r.IntN(10), r.IntN(10))
		fmt.Fprintf(&b, "  if (options && options.%s === %q) return kiss.lib[%q] ? %q : null;\n", word(), word()+"-"+word(), word(), word()+" "+word())
		fmt.Fprintf(&b, "  return { %s: %q, %s: [%d, %d, %q], %s: options };\n};\n", word(), word(), word(), r.IntN(100), r.IntN(1000), word(), word())
	}
	name := filepath.Join(web, "kissjs-standin.js")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		return 0, err
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(b.Bytes())
	w.Close()
	if err := os.WriteFile(name+".gz", gz.Bytes(), 0o644); err != nil {
		return 0, err
	}
	if _, err := exec.LookPath("brotli"); err != nil {
		return 0, nil
	}
	if out, err := exec.Command("brotli", "-f", "-q", "11", "-o", name+".br", name).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("brotli %s: %v: %s", name, err, out)
	}
	st, err := os.Stat(name + ".br")
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
