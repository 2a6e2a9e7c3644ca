package wasmsize

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// module is what make size reads from a wasm binary: the size of each
// function body by name, and the data section.
type module struct {
	Code     map[string]int // function name -> body bytes
	CodeSize int            // the code section's bodies
	DataSize int            // the data section, whole
}

// parseModule reads the import, code, data and name sections. Function
// names come from the "name" custom section, which a build without -s keeps;
// a function without a name counts under "?".
func parseModule(b []byte) (*module, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a wasm module")
	}
	r := &reader{b: b, i: 8}
	var imported int
	var bodies []int
	names := map[int]string{}
	m := &module{Code: map[string]int{}}
	for r.i < len(r.b) {
		id := r.byte()
		size := int(r.uleb())
		if r.err != nil || r.i+size > len(r.b) {
			return nil, fmt.Errorf("section %d: truncated", id)
		}
		sec := &reader{b: r.b[:r.i+size], i: r.i}
		switch id {
		case 2: // imports: only functions take indices before ours
			for n := sec.uleb(); n > 0 && sec.err == nil; n-- {
				sec.name()
				sec.name()
				switch kind := sec.byte(); kind {
				case 0:
					sec.uleb()
					imported++
				case 1: // table: reftype, limits
					sec.byte()
					sec.limits()
				case 2:
					sec.limits()
				case 3: // global: valtype, mutability
					sec.byte()
					sec.byte()
				default:
					return nil, fmt.Errorf("import kind %d", kind)
				}
			}
		case 10:
			for n := sec.uleb(); n > 0 && sec.err == nil; n-- {
				l := int(sec.uleb())
				bodies = append(bodies, l)
				m.CodeSize += l
				sec.i += l
			}
		case 11:
			m.DataSize = size
		case 0:
			if sec.name() == "name" {
				for sec.i < len(sec.b) && sec.err == nil {
					sub := sec.byte()
					l := int(sec.uleb())
					end := sec.i + l
					if sub == 1 {
						for n := sec.uleb(); n > 0 && sec.err == nil; n-- {
							idx := int(sec.uleb())
							names[idx] = sec.name()
						}
					}
					sec.i = end
				}
			}
		}
		if sec.err != nil {
			return nil, fmt.Errorf("section %d: %w", id, sec.err)
		}
		r.i += size
	}
	for k, l := range bodies {
		n, ok := names[imported+k]
		if !ok {
			n = "?"
		}
		m.Code[n] += l
	}
	return m, nil
}

// byPackage sums code bytes per Go package of pkgs (import paths, from go
// list -deps). The name section spells a path with "_" for "/" and "-"
// (github.com_hack_pad_safejs.Value.Get), so each name goes to the longest
// spelled path it starts with; the rest (compiler-made type equality and
// wrappers) goes under "(other)".
func (m *module) byPackage(pkgs []string) map[string]int {
	spelled := map[string]string{}
	for _, p := range pkgs {
		spelled[replacer.Replace(p)] = p
	}
	out := map[string]int{}
	for name, n := range m.Code {
		out[packageOf(name, spelled)] += n
	}
	return out
}

var replacer = strings.NewReplacer("/", "_", "-", "_")

func packageOf(fn string, spelled map[string]string) string {
	best := "(other)"
	for i := 0; i < len(fn); i++ {
		if fn[i] != '.' {
			continue
		}
		if p, ok := spelled[strings.TrimLeft(fn[:i], "(*")]; ok {
			best = p
		}
	}
	return best
}

type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) byte() byte {
	if r.i >= len(r.b) {
		r.err = errors.New("truncated")
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.err = errors.New("bad LEB128")
	return 0
}

func (r *reader) name() string {
	l := int(r.uleb())
	if r.err != nil || r.i+l > len(r.b) {
		r.err = errors.New("truncated name")
		return ""
	}
	s := string(r.b[r.i : r.i+l])
	r.i += l
	return s
}

func (r *reader) limits() {
	if r.byte()&1 == 1 {
		r.uleb()
	}
	r.uleb()
}
