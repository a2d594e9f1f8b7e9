package h5

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirectChunks writes the same values through the direct-chunk path
// (slabs of whole chunks, edge chunks included) and through libhdf5's own
// filters (slabs that cut chunks), for every filter combination, and
// checks that both read back exactly.
func TestDirectChunks(t *testing.T) {
	dims := []int{5, 7, 13}
	want := make([]float32, 5*7*13)
	for i := range want {
		want[i] = float32(math.Sin(float64(i)*0.37)) * 1e-12
	}
	filters := map[string][]Option{
		"chunks":              {Chunks(2, 3, 13)},
		"shuffle":             {Chunks(2, 7, 5), Shuffle()},
		"gzip1":               {Chunks(1, 7, 13), Gzip(1)},
		"shuffle+gzip4":       {Chunks(2, 3, 4), Shuffle(), Gzip(4)},
		"shuffle+gzip0":       {Chunks(3, 7, 13), Shuffle(), Gzip(0)},
		"auto chunks shuffle": {Shuffle(), Gzip(1)},
	}
	// Slab plans as (first index, count) along dimension 0, full extent
	// along the others: whole chunks (direct) or cut ones (libhdf5).
	dir := t.TempDir()
	for name, opts := range filters {
		for _, plan := range [][][2]int{{{0, 5}}, {{0, 2}, {2, 2}, {4, 1}}, {{0, 1}, {1, 3}, {4, 1}}} {
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.h5", strings.ReplaceAll(name, " ", "_"), len(plan)))
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := w.CreateFloat32("x", dims, opts...)
			if err != nil {
				t.Fatal(err)
			}
			direct := 0
			for _, p := range plan {
				start, count := []int{p[0], 0, 0}, []int{p[1], dims[1], dims[2]}
				if ds.layout != nil && ds.layout.aligned(dims, start, count) {
					direct++
				}
				per := dims[1] * dims[2]
				if err := ds.WriteFloat32Slab(start, count, want[p[0]*per:(p[0]+p[1])*per]); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, gdims, err := f.ReadFloat64("x")
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(gdims) != fmt.Sprint(dims) {
				t.Fatalf("%s: dims %v", name, gdims)
			}
			for i := range want {
				if float32(got[i]) != want[i] {
					t.Fatalf("%s, plan %v (%d direct slabs): value %d = %g, want %g", name, plan, direct, i, got[i], want[i])
				}
			}
			t.Logf("%s, plan %v: %d of %d slabs written as whole chunks", name, plan, direct, len(plan))
		}
	}
}

// TestDirectChunksH5py checks that h5py reads direct-written chunks with
// the filters it expects.
func TestDirectChunksH5py(t *testing.T) {
	py := h5pyPython(t)
	path := filepath.Join(t.TempDir(), "d.h5")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := w.CreateFloat32("x", []int{4, 300}, Chunks(3, 128), Shuffle(), Gzip(1))
	if err != nil {
		t.Fatal(err)
	}
	data := make([]float32, 4*300)
	for i := range data {
		data[i] = float32(i) / 7
	}
	if err := ds.WriteFloat32Slab([]int{0, 0}, []int{4, 300}, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1])['x']
want = (np.arange(1200, dtype=np.float32) / np.float32(7)).reshape(4, 300)
print(x.compression, x.shuffle, x.chunks, bool((x[()] == want).all()))
`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "gzip True (3, 128) True" {
		t.Fatalf("h5py sees %q", got)
	}
}

// BenchmarkDirectChunks writes 54 epochs x 450 parcels x 221 samples
// (the pipeline's parcel time courses) one epoch per slab.
func BenchmarkDirectChunks(b *testing.B) {
	for _, direct := range []bool{true, false} {
		for _, level := range []int{1, 4} {
			b.Run(fmt.Sprintf("direct=%v/gzip=%d", direct, level), func(b *testing.B) {
				defer func(v bool) { directChunks = v }(directChunks)
				directChunks = direct
				benchChunks(b, level)
			})
		}
	}
}

func benchChunks(b *testing.B, level int) {
	dims := []int{54, 450, 221}
	data := make([]float32, 450*221)
	for i := range data {
		data[i] = float32(math.Sin(float64(i)*0.01)) + float32(i%7)*1e-3
	}
	for b.Loop() {
		w, err := Create(filepath.Join(b.TempDir(), "b.h5"))
		if err != nil {
			b.Fatal(err)
		}
		ds, err := w.CreateFloat32("x", dims, Chunks(1, 450, 221), Shuffle(), Gzip(level))
		if err != nil {
			b.Fatal(err)
		}
		for e := range dims[0] {
			if err := ds.WriteFloat32Slab([]int{e, 0, 0}, []int{1, 450, 221}, data); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
