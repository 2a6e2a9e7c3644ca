package wasmsize

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPackageOfReadsTheNameSectionsSpelling(t *testing.T) {
	spelled := map[string]string{}
	for _, p := range []string{"main", "runtime", "internal/runtime/maps", "github.com/kissjs/kiss-websocket/core", "github.com/hack-pad/safejs", "github.com/hack-pad/safejs/internal/catch"} {
		spelled[replacer.Replace(p)] = p
	}
	for fn, want := range map[string]string{
		"main.__bridge_.stats":                                   "main",
		"runtime.__pageAlloc_.allocRange":                        "runtime",
		"internal_runtime_maps.__Map_.getWithKey":                "internal/runtime/maps",
		"github.com_kissjs_kiss_websocket_core.__Client_.opened": "github.com/kissjs/kiss-websocket/core",
		"github.com_hack_pad_safejs.Value.Get":                   "github.com/hack-pad/safejs",
		"github.com_hack_pad_safejs_internal_catch.Try":          "github.com/hack-pad/safejs/internal/catch",
		"type_.eq.runtime.TypeAssertionError":                    "(other)",
		"callRet":                                                "(other)",
	} {
		if got := packageOf(fn, spelled); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", fn, got, want)
		}
	}
}

// The floor programs are what every row is measured against: build them for
// real and check that the sizes add up.
func TestBuildMeasuresTheFloors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two wasm programs")
	}
	out := t.TempDir()
	sizes, err := Build("../..", out, Programs[:2])
	if err != nil {
		t.Fatal(err)
	}
	js, safe := sizes[0], sizes[1]
	for _, s := range sizes {
		if !(s.Brotli > 0 && s.Brotli < s.Gzip && s.Gzip < s.Raw) {
			t.Errorf("%s: raw %d gzip %d brotli %d", s.Name, s.Raw, s.Gzip, s.Brotli)
		}
		for _, f := range []string{s.File, s.File + ".br", s.File + ".gz"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Error(err)
			}
		}
		sum := 0
		for _, n := range s.Packages {
			sum += n
		}
		if sum != s.Code || s.Packages["runtime"] == 0 || s.Packages["main"] == 0 || s.Data == 0 {
			t.Errorf("%s: packages sum to %d of %d code bytes; runtime %d, main %d, data %d",
				s.Name, sum, s.Code, s.Packages["runtime"], s.Packages["main"], s.Data)
		}
	}
	if safe.Packages["github.com/hack-pad/safejs"] == 0 || js.Packages["github.com/hack-pad/safejs"] != 0 {
		t.Errorf("safejs code: %d in the safejs floor, %d in the syscall/js one",
			safe.Packages["github.com/hack-pad/safejs"], js.Packages["github.com/hack-pad/safejs"])
	}
	if safe.Brotli <= js.Brotli {
		t.Errorf("the safejs floor (%d) is not above the syscall/js one (%d)", safe.Brotli, js.Brotli)
	}
}
