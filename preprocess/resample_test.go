package preprocess

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

func TestResampleLayout(t *testing.T) {
	// The facerec simulation: 51905 samples at 1100 Hz to 220 Hz.
	l, err := newResampleLayout(51905, 0.2, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := resampleLayout{n: 51905, finalLen: 10381, pad0: 6815, pad1: 6816, origLen: 65536, newLen: 13107,
		trim0: 1363, trim1: 1363, nyqBin: -1, scale: l.scale}
	if l != want {
		t.Errorf("layout\n got  %+v\n want %+v", l, want)
	}
	if _, err := newResampleLayout(10, 0.5, new(-1)); err == nil {
		t.Error("negative npad accepted")
	}
}

func TestResampleStim(t *testing.T) {
	x := []float64{0, 0, 5, 0, 0, 0, 0, 7, 7, 0}
	down := make([]float64, 3) // windows [0,3) [3,6) [6,10)
	resampleStim(down, x)
	if !slices.Equal(down, []float64{5, 0, 7}) {
		t.Errorf("down = %v", down)
	}
	up := make([]float64, 7)
	resampleStim(up, []float64{0, 3, 0})
	if !slices.Equal(up, []float64{0, 0, 0, 3, 3, 0, 0}) {
		t.Errorf("up = %v", up)
	}
}

func TestResampleEvents(t *testing.T) {
	ev := evs([3]int64{13750, 0, 5}, [3]int64{13752, 0, 6}, [3]int64{65654, 5, 7})
	got := ResampleEvents(ev, 0.2, 2750, 10381)
	// 2750.4 -> 2750; 13752*0.2 = 2750.4; 65654*0.2 = 13130.8 capped at 13130.
	checkEvents(t, "events", got, evs([3]int64{2750, 0, 5}, [3]int64{2750, 0, 6}, [3]int64{13130, 5, 7}))
	if got := ResampleEvents(evs([3]int64{5, 0, 1}, [3]int64{7, 0, 1}), 0.5, 0, 100); got[0].Sample != 2 || got[1].Sample != 4 {
		t.Errorf("half to even: %v", got)
	}
}

// TestResampleSourceOptions checks Resample on a small in-memory recording:
// every channel equals ResampleArray (or the stim rule), with the output in
// memory or spilled to a file, in one group or one channel at a time, and
// per segment.
func TestResampleSourceOptions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 3001
	stim := pulses(n, [3]int{100, 140, 5}, [3]int{1500, 1530, 3})
	src := stimRaw(1000, 1234, [][]float64{stim})
	for i := range n {
		src.data[i] = rng.NormFloat64()
	}
	src.info.Lowpass = 330
	for _, opt := range []ResampleOptions{
		{SFreq: 300},
		{SFreq: 300, SpillSize: 1, MaxMemory: 1, Workers: 3},
		{SFreq: 2500, NPad: new(50)},
		{SFreq: 300, Segments: []int64{1000, 2001}},
		{SFreq: 300, StimPicks: []int{}},
	} {
		t.Run(fmt.Sprint(opt.SFreq, opt.SpillSize, opt.Segments, opt.StimPicks != nil), func(t *testing.T) {
			r, err := Resample(context.Background(), src, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ratio := opt.SFreq / 1000
			segs := opt.Segments
			if segs == nil {
				segs = []int64{int64(n)}
			}
			var meg, sti []float64
			var i0 int64
			for _, s := range segs {
				y, err := ResampleArray(src.data[i0:i0+s], ratio, opt.NPad)
				if err != nil {
					t.Fatal(err)
				}
				meg = append(meg, y...)
				z := make([]float64, len(y))
				if opt.StimPicks == nil {
					resampleStim(z, stim[i0:i0+s])
				} else {
					z, _ = ResampleArray(stim[i0:i0+s], ratio, opt.NPad)
				}
				sti = append(sti, z...)
				i0 += s
			}
			if r.RawNTimes() != int64(len(meg)) {
				t.Fatalf("%d samples, want %d", r.RawNTimes(), len(meg))
			}
			got := make([]float64, 2*len(meg))
			if err := r.ReadAll(got, 0, int64(len(meg))); err != nil {
				t.Fatal(err)
			}
			// Resample transforms channels in pairs (dsp.RealFFT.Forward2):
			// equal to ResampleArray up to round-off.
			if !closeRel(got[:len(meg)], meg, 1e-13) || !closeRel(got[len(meg):], sti, 1e-13) {
				t.Error("Resample differs from ResampleArray / the stim rule")
			}
			if fs := r.RawFirstSamp(); fs != int64(math.RoundToEven(1234*ratio)) {
				t.Errorf("first sample %d", fs)
			}
			if lp := r.RawInfo().Lowpass; lp != min(330, opt.SFreq/2) {
				t.Errorf("lowpass %v", lp)
			}
			if r.RawInfo().SFreq != opt.SFreq || src.info.SFreq != 1000 {
				t.Error("sfreq not updated in the copy only")
			}
		})
	}
	for _, bad := range []ResampleOptions{{SFreq: 0}, {SFreq: -5}, {SFreq: math.Inf(1)}, {SFreq: 100, Segments: []int64{5}}} {
		if _, err := Resample(context.Background(), src, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestResampleArrayMNE compares ResampleArray with mne.filter.resample on
// random signals over lengths, ratios and npad values, including lengths
// that take the Bluestein path (skipped without MNE).
func TestResampleArrayMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	dir := t.TempDir()
	type tc struct {
		n        int
		up, down float64
		npad     *int
	}
	cases := []tc{
		{1000, 1, 4, nil}, {1001, 3, 7, nil}, {4097, 220, 1100, nil}, {777, 2, 1, nil},
		{500, 1, 1, nil}, {10007, 1, 3, nil}, {997, 5, 3, new(0)}, {997, 5, 3, new(17)},
		{3, 2, 1, nil}, {50, 1, 3, new(200)}, {20011, 256, 1000, nil}, {20011, 1, 1, new(3)},
	}
	var script strings.Builder
	script.WriteString("import numpy as np, mne\n")
	rng := rand.New(rand.NewPCG(5, 6))
	inputs := make([][]float64, len(cases))
	for i, c := range cases {
		x := make([]float64, c.n)
		for k := range x {
			x[k] = rng.NormFloat64() + math.Sin(float64(k)/7)
		}
		inputs[i] = x
		in := filepath.Join(dir, fmt.Sprintf("in%d.bin", i))
		writeF64(t, in, x)
		npad := "'auto'"
		if c.npad != nil {
			npad = fmt.Sprint(*c.npad)
		}
		fmt.Fprintf(&script, "x = np.fromfile(%q, '<f8')\nmne.filter.resample(x, up=%v, down=%v, npad=%s, verbose='error').astype('<f8').tofile(%q)\n",
			in, c.up, c.down, npad, filepath.Join(dir, fmt.Sprintf("out%d.bin", i)))
	}
	cmd := exec.Command(sharedtest.Python, "-c", script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for i, c := range cases {
		want := readF64(t, filepath.Join(dir, fmt.Sprintf("out%d.bin", i)))
		got, err := ResampleArray(inputs[i], c.up/c.down, c.npad)
		if err != nil {
			t.Fatalf("case %+v: %v", c, err)
		}
		if len(got) != len(want) {
			t.Fatalf("case %+v: %d samples, MNE %d", c, len(got), len(want))
		}
		var maxd, ss float64
		for k := range got {
			maxd = max(maxd, math.Abs(got[k]-want[k]))
			ss += want[k] * want[k]
		}
		rms := math.Sqrt(ss / float64(len(want)))
		if maxd > 1e-12*rms {
			t.Errorf("case n=%d %v/%v npad=%v: max abs diff %.3g (rms %.3g)", c.n, c.up, c.down, c.npad, maxd, rms)
		}
	}
}

func writeF64(t *testing.T, path string, x []float64) {
	t.Helper()
	b := make([]byte, 8*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readF64(t *testing.T, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(b)/8)
	for i := range x {
		x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return x
}

// TestResampleGolden checks raw.resample(220.) of the simulated recording
// against filter.h5 sim/resample220: head and tail windows of the stored
// channels at < 1e-6 × channel std, norms of all 306 MEG channels at 1e-9.
func TestResampleGolden(t *testing.T) {
	gf, err := h5.Open(sharedtest.Golden(t, "filter.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	raw, err := fif.OpenRaw(sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	r, err := Resample(context.Background(), raw, ResampleOptions{SFreq: 220})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nt, _ := gf.AttrInt64("sim/resample220", "n_times")
	if r.RawNTimes() != nt {
		t.Fatalf("%d samples, golden %d", r.RawNTimes(), nt)
	}
	if fs := r.RawFirstSamp(); fs != 2750 {
		t.Errorf("first_samp %d, want round(13750 * 0.2) = 2750", fs)
	}
	names, err := gf.ReadStrings("sim/ch_names")
	if err != nil {
		t.Fatal(err)
	}
	stored, _, _ := gf.ReadInt64("sim/stored_channels")
	std, _, _ := gf.ReadFloat64("sim/resample220/std")
	norm, _, _ := gf.ReadFloat64("sim/resample220/norm")
	all := make([]float64, len(raw.Info.Chs)*int(nt))
	if err := r.ReadAll(all, 0, nt); err != nil {
		t.Fatal(err)
	}
	row := func(name string) []float64 {
		i := r.RawInfo().ChIndex(name)
		if i < 0 {
			t.Fatalf("no channel %s", name)
		}
		return all[i*int(nt) : (i+1)*int(nt)]
	}
	var worstNorm float64
	for i, name := range names {
		y := row(name)
		var ss float64
		for _, v := range y {
			ss += v * v
		}
		worstNorm = max(worstNorm, relDiff(math.Sqrt(ss), norm[i]))
	}
	if worstNorm > 1e-9 {
		t.Errorf("norms: worst relative difference %.3g > 1e-9", worstNorm)
	}
	var worst float64
	for _, w := range []string{"head", "tail"} {
		data, dims, err := gf.ReadFloat64("sim/resample220/data_" + w)
		if err != nil {
			t.Fatal(err)
		}
		span, _, _ := gf.ReadInt64("sim/resample220/" + w + "_samples")
		for k, ci := range stored {
			y := row(names[ci])[span[0]:span[1]]
			for j, v := range y {
				worst = max(worst, relDiff(v, data[k*dims[1]+j])*math.Abs(data[k*dims[1]+j])/max(std[ci], math.SmallestNonzeroFloat64))
			}
		}
	}
	t.Logf("resample220: max |error| / channel std = %.3g, worst norm rel. diff = %.3g", worst, worstNorm)
	if worst > 1e-6 {
		t.Errorf("max abs error %.3g × channel std > 1e-6", worst)
	}
}

// relDiff is |a-b|/|b|, 0 when both are 0 (the flat bad channel).
// closeRel reports whether max|a-b| ≤ tol·max|b| (and the lengths match).
func closeRel(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	var d, m float64
	for i := range b {
		d = max(d, math.Abs(a[i]-b[i]))
		m = max(m, math.Abs(b[i]))
	}
	return d <= tol*m
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Abs(b)
}

func BenchmarkResampleArray(b *testing.B) {
	x := make([]float64, 594000) // 9 minutes at 1100 Hz
	for i := range x {
		x[i] = math.Sin(float64(i) / 13)
	}
	for b.Loop() {
		if _, err := ResampleArray(x, 0.2, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResampleLong resamples a 9-minute 306-channel recording to
// 220 Hz: long9min_raw.fif in $MEGFLOW_BENCH_DIR (default
// /tmp/megflow-bench), as scripts/bench_read.sh builds it; skipped when
// absent.
func BenchmarkResampleLong(b *testing.B) {
	dir := os.Getenv("MEGFLOW_BENCH_DIR")
	if dir == "" {
		dir = "/tmp/megflow-bench"
	}
	path := filepath.Join(dir, "long9min_raw.fif")
	if _, err := os.Stat(path); err != nil {
		b.Skip("build it first: go run ./cmd/fifrepeat -minutes 9 -fmt short ../shared/data/sim/facerec_sim_raw.fif " + path)
	}
	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	// workers=1 is the counterpart of MNE's n_jobs=1; 0 is GOMAXPROCS.
	for _, w := range []int{0, 1} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				r, err := Resample(context.Background(), raw, ResampleOptions{SFreq: 220, Workers: w})
				if err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
