package inverse_test

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

func randEstimate(r *rand.Rand, nrow, nt int) []float32 {
	d := make([]float32, nrow*nt)
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	return d
}

// checkStcPair reads the .stc pair of stem and compares it with data (lh
// rows then rh rows, nt times).
func checkStcPair(t *testing.T, stem string, verts [][]int, tmin, tstep float64, data []float32, nt int) {
	t.Helper()
	lh, rh := inverse.StcPaths(stem)
	row0 := 0
	for h, p := range []string{lh, rh} {
		s, err := inverse.ReadStc(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Vertices, verts[h]) || s.NTimes != nt {
			t.Fatalf("%s: %d vertices x %d times, want %d x %d", p, len(s.Vertices), s.NTimes, len(verts[h]), nt)
		}
		// The header stores milliseconds as float32.
		if s.Tmin != float64(float32(1000*tmin))/1000 || s.Tstep != float64(float32(1000*tstep))/1000 {
			t.Errorf("%s: tmin %g tstep %g, want %g %g", p, s.Tmin, s.Tstep, tmin, tstep)
		}
		want := data[row0*nt : (row0+len(verts[h]))*nt]
		if !slices.Equal(s.Data, want) {
			t.Errorf("%s: data differ", p)
		}
		row0 += len(verts[h])
	}
}

// TestStcRoundTrip writes .stc pairs whole and block by block and reads
// them back bit for bit; the stem may be given with .stc, -lh.stc or
// -rh.stc.
func TestStcRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	verts := [][]int{{0, 3, 7, 100}, {2, 5, 9}}
	const nt = 37
	data := randEstimate(r, 7, nt)
	tmin, tstep := -0.2, 1/1100.0
	for _, name := range []string{"a", "b.stc", "c-lh.stc", "d-rh.stc"} {
		stem := filepath.Join(dir, name)
		if err := inverse.WriteStc(stem, verts, tmin, tstep, data, nt); err != nil {
			t.Fatal(err)
		}
		checkStcPair(t, stem, verts, tmin, tstep, data, nt)
		if inverse.StcStem(stem) != filepath.Join(dir, strings.Split(name, ".")[0][:1]) {
			t.Errorf("stem of %s: %s", name, inverse.StcStem(stem))
		}
	}
	// Block by block, with blocks of different sizes.
	stem := filepath.Join(dir, "blocks")
	w, err := inverse.CreateStc(stem, verts, tmin, tstep, nt)
	if err != nil {
		t.Fatal(err)
	}
	for t0 := 0; t0 < nt; {
		nb := min(1+t0%5, nt-t0)
		blk := make([]float32, 7*nb)
		for row := range 7 {
			copy(blk[row*nb:(row+1)*nb], data[row*nt+t0:row*nt+t0+nb])
		}
		if err := w.PutBlock(t0, nb, blk); err != nil {
			t.Fatal(err)
		}
		t0 += nb
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkStcPair(t, stem, verts, tmin, tstep, data, nt)
	// Empty hemisphere.
	if err := inverse.WriteStc(filepath.Join(dir, "e"), [][]int{{1, 2}, {}}, 0, 0.001, data[:2*nt], nt); err != nil {
		t.Fatal(err)
	}
	checkStcPair(t, filepath.Join(dir, "e"), [][]int{{1, 2}, {}}, 0, 0.001, data[:2*nt], nt)
}

// TestStcErrors checks that failed or incomplete writes leave no file and
// that bad files are refused with their name.
func TestStcErrors(t *testing.T) {
	dir := t.TempDir()
	verts := [][]int{{0, 1}, {0}}
	data := make([]float32, 3*4)
	stem := filepath.Join(dir, "x")
	if _, err := inverse.CreateStc(stem, [][]int{{0}}, 0, 0.001, 4); err == nil {
		t.Error("one hemisphere accepted")
	}
	if _, err := inverse.CreateStc(stem, verts, 0, 0, 4); err == nil {
		t.Error("tstep 0 accepted")
	}
	w, err := inverse.CreateStc(stem, verts, 0, 0.001, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.PutBlock(1, 2, data[:6]); err == nil {
		t.Error("block out of order accepted")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed block succeeded")
	}
	w, _ = inverse.CreateStc(stem, verts, 0, 0.001, 4)
	if err := w.PutBlock(0, 2, data[:6]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "2 of 4") {
		t.Errorf("incomplete pair: %v", err)
	}
	w, _ = inverse.CreateStc(stem, verts, 0, 0.001, 4)
	w.Abort()
	if err := inverse.WriteStc(stem, verts, 0, 0.001, data[:5], 4); err == nil {
		t.Error("short data accepted")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left after failed writes: %v", ents)
	}
	// Truncated and padded files.
	if err := inverse.WriteStc(stem, verts, 0, 0.001, data, 4); err != nil {
		t.Fatal(err)
	}
	lh, _ := inverse.StcPaths(stem)
	b, _ := os.ReadFile(lh)
	for _, bad := range [][]byte{b[:10], b[:len(b)-1], append(slices.Clone(b), 0, 0, 0, 0)} {
		p := filepath.Join(dir, "bad-lh.stc")
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := inverse.ReadStc(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%d-byte file: %v", len(bad), err)
		}
	}
}

// stcReadScript reads .stc stems with mne.read_source_estimate and stores
// what it read.
const stcReadScript = `
import sys, h5py, numpy as np, mne
out = sys.argv[1]
with h5py.File(out, 'w') as f:
    for i, stem in enumerate(sys.argv[2:]):
        stc = mne.read_source_estimate(stem)
        g = f.create_group(str(i))
        g['data'] = stc.data
        g['vertices_lh'] = stc.vertices[0].astype(np.int64)
        g['vertices_rh'] = stc.vertices[1].astype(np.int64)
        g['tmin'] = stc.tmin
        g['tstep'] = stc.tstep
        g['kind'] = type(stc).__name__
`

// mneReadStc has MNE read the .stc pairs of stems; it returns the HDF5 file
// of what MNE read (groups "0", "1", ... in the order of stems).
func mneReadStc(t *testing.T, stems ...string) *h5.File {
	t.Helper()
	sharedtest.RequireMNE(t)
	out := filepath.Join(t.TempDir(), "mne-stc.h5")
	args := append([]string{"-c", stcReadScript, out}, stems...)
	if b, err := exec.Command(sharedtest.Python, args...).CombinedOutput(); err != nil {
		t.Fatalf("MNE cannot read the .stc files: %v\n%s", err, b)
	}
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestStcReadByMNE has mne.read_source_estimate read a pair megflow wrote:
// same vertices, times and values (float32, exactly).
func TestStcReadByMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	verts := [][]int{{1, 4, 8, 20, 33}, {0, 6, 7}}
	const nt = 11
	data := randEstimate(r, 8, nt)
	stem := filepath.Join(dir, "sub-01")
	tmin, tstep := 12.5, 1/1100.0
	if err := inverse.WriteStc(stem+".stc", verts, tmin, tstep, data, nt); err != nil {
		t.Fatal(err)
	}
	f := mneReadStc(t, stem+"-lh.stc")
	got, dims, err := f.ReadFloat64("0/data")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims, []int{8, nt}) {
		t.Fatalf("MNE read %v values", dims)
	}
	for i, v := range got {
		if v != float64(data[i]) {
			t.Fatalf("value %d: MNE read %g, wrote %g", i, v, data[i])
		}
	}
	lh, _, _ := f.ReadInt64("0/vertices_lh")
	rh, _, _ := f.ReadInt64("0/vertices_rh")
	if !slices.Equal(toInts(lh), verts[0]) || !slices.Equal(toInts(rh), verts[1]) {
		t.Errorf("vertices read by MNE: %v %v", lh, rh)
	}
	tm, _, _ := f.ReadFloat64("0/tmin")
	ts, _, _ := f.ReadFloat64("0/tstep")
	if math.Abs(tm[0]-tmin) > 1e-6 || math.Abs(ts[0]-tstep) > 1e-9 {
		t.Errorf("MNE read tmin %g tstep %g, want %g %g", tm[0], ts[0], tmin, tstep)
	}
}

// FuzzReadStc checks that ReadStc never panics and that what it accepts
// has a consistent shape.
func FuzzReadStc(f *testing.F) {
	dir := f.TempDir()
	stem := filepath.Join(dir, "seed")
	if err := inverse.WriteStc(stem, [][]int{{0, 5}, {1}}, -0.1, 0.001, make([]float32, 9), 3); err != nil {
		f.Fatal(err)
	}
	lh, _ := inverse.StcPaths(stem)
	b, _ := os.ReadFile(lh)
	f.Add(b)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255})
	f.Add(append(make([]byte, 8), 0, 0, 0, 1, 0, 0, 0, 0, 255, 255, 255, 255))
	f.Add(append(make([]byte, 12), 255, 255, 255, 255)) // no vertex, 2³²-1 times
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "x-lh.stc")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := inverse.ReadStc(p)
		if err != nil {
			return
		}
		if len(s.Data) != len(s.Vertices)*s.NTimes {
			t.Fatalf("%d values for %d vertices x %d times", len(s.Data), len(s.Vertices), s.NTimes)
		}
	})
}
