//go:build !js

package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotateGivesEachVariantTheFirstSlot(t *testing.T) {
	t.Parallel()
	var firsts []string
	for r := range 3 {
		order := rotate(variants, r)
		if len(order) != 3 {
			t.Fatalf("run %d: %v", r, order)
		}
		firsts = append(firsts, order[0])
	}
	if strings.Join(firsts, ",") != "raw,rws,ours" {
		t.Fatalf("first variants: %v", firsts)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{math.NaN(), 5, 1, 3}, 3}, // runs without the measurement
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median([]float64{math.NaN()})) {
		t.Error("median of nothing is not NaN")
	}
}

func TestUpdateDoc(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "B.md")
	if err := updateDoc(name, "first"); err != nil { // no file yet: appended
		t.Fatal(err)
	}
	doc := "# Title\n\n" + beginMark + "\nold\n" + endMark + "\n\n## After\n"
	if err := os.WriteFile(name, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := updateDoc(name, "new table"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	want := "# Title\n\n" + beginMark + "\nnew table\n" + endMark + "\n\n## After\n"
	if string(b) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b, want)
	}
}

func TestSnapshotKeepsModTimes(t *testing.T) {
	t.Parallel()
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "web")
	p := filepath.Join(src, "a.wasm.br")
	if err := os.WriteFile(p, []byte("br"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if err := snapshot(src, dst); err != nil {
		t.Fatal(err)
	}
	got, err := os.Stat(filepath.Join(dst, "a.wasm.br"))
	if err != nil || !got.ModTime().Equal(st.ModTime()) {
		t.Fatalf("copy: %v, mtime %v want %v", err, got.ModTime(), st.ModTime())
	}
}
