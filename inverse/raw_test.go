package inverse_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

// blockCollector assembles the blocks of ApplyRaw into one estimate.
type blockCollector struct {
	nout, nt int
	data     []float32
	next     int
	blocks   int
}

func newBlockCollector(nout, nt int) *blockCollector {
	return &blockCollector{nout: nout, nt: nt, data: make([]float32, nout*nt)}
}

func (c *blockCollector) PutBlock(t0, nt int, d []float32) error {
	if t0 != c.next {
		return fmt.Errorf("block at %d, expected %d", t0, c.next)
	}
	if len(d) != c.nout*nt {
		return fmt.Errorf("block of %d values, want %d x %d", len(d), c.nout, nt)
	}
	for r := range c.nout {
		copy(c.data[r*c.nt+t0:r*c.nt+t0+nt], d[r*nt:(r+1)*nt])
	}
	c.next += nt
	c.blocks++
	return nil
}

// memRaw is an in-memory recording (a fif.RawSource without ReadInto,
// so that ApplyRaw reads all channels and picks).
type memRaw struct {
	info *fif.Info
	n    int64
	data []float64 // channels x n
}

func (m *memRaw) RawInfo() *fif.Info  { return m.info }
func (m *memRaw) RawFirstSamp() int64 { return 1000 }
func (m *memRaw) RawNTimes() int64    { return m.n }
func (m *memRaw) ReadAll(dst []float64, start, stop int64) error {
	if start < 0 || stop > m.n || start > stop || len(dst) != len(m.info.Chs)*int(stop-start) {
		return fmt.Errorf("bad read [%d, %d)", start, stop)
	}
	ns := int(stop - start)
	for c := range m.info.Chs {
		copy(dst[c*ns:(c+1)*ns], m.data[c*int(m.n)+int(start):c*int(m.n)+int(stop)])
	}
	return nil
}

// pickRaw adds ReadInto, as fif.Raw has.
type pickRaw struct{ *memRaw }

func (p pickRaw) ReadInto(dst []float64, picks []int, start, stop int64) error {
	ns := int(stop - start)
	for a, c := range picks {
		copy(dst[a*ns:(a+1)*ns], p.data[c*int(p.n)+int(start):c*int(p.n)+int(stop)])
	}
	return nil
}

// synthRawKernel is a random kernel on 20 of 30 channels (in another
// order than the recording's) and a random recording of n samples.
func synthRawKernel(r *rand.Rand, combine bool, n int) (*inverse.Kernel, *memRaw) {
	const nch, nk, nsrc = 30, 20, 41
	info := &fif.Info{SFreq: 100}
	for i := range nch {
		info.Chs = append(info.Chs, fif.Channel{Name: fmt.Sprintf("CH%02d", i)})
	}
	info.Bads = []string{"CH03"}
	perm := r.Perm(nch)[:nk]
	k := &inverse.Kernel{Method: inverse.MNE, Rows: 3 * nsrc, NOut: nsrc, Combine: combine, K: make([]float64, 3*nsrc*nk)}
	for _, c := range perm {
		k.Names = append(k.Names, info.Chs[c].Name)
	}
	if !combine {
		k.NOut = k.Rows
	}
	for i := range k.K {
		k.K[i] = r.NormFloat64()
	}
	m := &memRaw{info: info, n: int64(n), data: make([]float64, nch*n)}
	for i := range m.data {
		m.data[i] = r.NormFloat64()
	}
	return k, m
}

// kernelData picks the kernel's channels of samples [start, stop).
func kernelData(t *testing.T, k *inverse.Kernel, src fif.RawSource, start, stop int64) []float64 {
	t.Helper()
	info := src.RawInfo()
	ns := int(stop - start)
	all := make([]float64, len(info.Chs)*ns)
	if err := src.ReadAll(all, start, stop); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(k.Names)*ns)
	for a, nm := range k.Names {
		r := info.ChIndex(nm)
		copy(x[a*ns:(a+1)*ns], all[r*ns:(r+1)*ns])
	}
	return x
}

func maxRelDiff(got, want []float32) float64 {
	d, m := 0.0, 0.0
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = max(m, math.Abs(float64(want[i])))
	}
	return d / m
}

// TestApplyRawSynthetic checks ApplyRaw on random kernels against one
// application of Kernel.Apply to the same samples, for block sizes from 1
// sample to the whole span, with and without ReadInto.
func TestApplyRawSynthetic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, combine := range []bool{true, false} {
		k, m := synthRawKernel(r, combine, 1500)
		tmax := 12.345
		opt := inverse.RawApplyOptions{Tmin: 1.234, Tmax: &tmax}
		start, stop, err := inverse.RawSpan(m, opt)
		if err != nil {
			t.Fatal(err)
		}
		// raw.crop(1.234, 12.345) at 100 Hz keeps samples 123 to 1234.
		if start != 123 || stop != 1235 {
			t.Fatalf("span [%d, %d), want [123, 1235)", start, stop)
		}
		nt := int(stop - start)
		want := make([]float32, k.NOut*nt)
		k.Apply(kernelData(t, k, m, start, stop), nt, want, nil)
		for si, src := range []fif.RawSource{m, pickRaw{m}} {
			for _, blk := range []int{1, 7, 100, 1024, 1112, 5000, 0} {
				opt.Block = blk
				opt.Overlap = si == 1 // overlap with the picking source
				c := newBlockCollector(k.NOut, nt)
				if err := inverse.ApplyRaw(context.Background(), k, src, opt, c); err != nil {
					t.Fatal(err)
				}
				if c.next != nt {
					t.Fatalf("block %d: %d of %d samples stored", blk, c.next, nt)
				}
				if !slices.Equal(c.data, want) {
					d := maxRelDiff(c.data, want)
					t.Logf("combine %v block %d: not bit-identical, max diff / max %.3g", combine, blk, d)
					if d > 1e-6 {
						t.Errorf("combine %v block %d: max diff / max %.3g", combine, blk, d)
					}
				}
			}
		}
	}
}

// TestApplyRawErrors checks the time span, channel and sink errors.
func TestApplyRawErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	k, m := synthRawKernel(r, true, 500) // 5 s at 100 Hz, last time 4.99 s
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		tmin float64
		tmax *float64
		want string
	}{
		{-1, nil, "tmin"}, {math.NaN(), nil, "tmin"}, {0, f(5.5), "tmax"}, {3, f(2), "after tmax"},
		{5.2, nil, "tmin"}, {0, f(math.NaN()), "tmax"},
	} {
		_, _, err := inverse.RawSpan(m, inverse.RawApplyOptions{Tmin: c.tmin, Tmax: c.tmax})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("tmin %g tmax %v: %v", c.tmin, c.tmax, err)
		}
	}
	if s, e, err := inverse.RawSpan(m, inverse.RawApplyOptions{Tmin: 4.99, Tmax: f(4.99)}); err != nil || s != 499 || e != 500 {
		t.Errorf("last sample: [%d, %d) %v", s, e, err)
	}
	k2 := *k
	k2.Names = append(slices.Clone(k.Names[:len(k.Names)-1]), "NOPE")
	c := newBlockCollector(k.NOut, 500)
	if err := inverse.ApplyRaw(context.Background(), &k2, m, inverse.RawApplyOptions{}, c); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("missing channel: %v", err)
	}
	fail := errors.New("disk full")
	for _, ovl := range []bool{false, true} {
		if err := inverse.ApplyRaw(context.Background(), k, m, inverse.RawApplyOptions{Block: 100, Overlap: ovl}, failBlocks{fail}); !errors.Is(err, fail) {
			t.Errorf("sink error (overlap %v): %v", ovl, err)
		}
		bad := failingRaw{m, 250}
		c := newBlockCollector(k.NOut, 500)
		if err := inverse.ApplyRaw(context.Background(), k, bad, inverse.RawApplyOptions{Block: 100, Overlap: ovl}, c); err == nil || !strings.Contains(err.Error(), "[200, 300)") {
			t.Errorf("read error (overlap %v): %v", ovl, err)
		}
		if c.next != 200 {
			t.Errorf("overlap %v: %d samples stored before the failing read, want 200", ovl, c.next)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := inverse.ApplyRaw(ctx, k, m, inverse.RawApplyOptions{}, c); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// failingRaw fails to read the block holding sample at.
type failingRaw struct {
	*memRaw
	at int64
}

func (f failingRaw) ReadAll(dst []float64, start, stop int64) error {
	if start <= f.at && f.at < stop {
		return errors.New("bad buffer")
	}
	return f.memRaw.ReadAll(dst, start, stop)
}

type failBlocks struct{ err error }

func (f failBlocks) PutBlock(int, int, []float32) error { return f.err }

// TestApplyRawH5 writes the estimate of a random kernel with
// H5RawEstimates (blocks that do not divide the span) and reads it back.
func TestApplyRawH5(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, pick := range []inverse.PickOri{inverse.PickNone, inverse.PickVector} {
		k, m := synthRawKernel(r, pick == inverse.PickNone, 700)
		k.PickOri = pick
		k.Vertices = [][]int{{1, 2}, {3}}
		opt := inverse.RawApplyOptions{Tmin: 0.5, Block: 64}
		start, stop, err := inverse.RawSpan(m, opt)
		if err != nil {
			t.Fatal(err)
		}
		nt := int(stop - start)
		c := newBlockCollector(k.NOut, nt)
		if err := inverse.ApplyRaw(context.Background(), k, m, opt, c); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "raw-stc.h5")
		w, err := inverse.CreateH5RawEstimates(path, k, start, nt, m.info.SFreq, m.RawFirstSamp(), opt.Block)
		if err != nil {
			t.Fatal(err)
		}
		if err := inverse.ApplyRaw(context.Background(), k, m, opt, w); err != nil {
			w.Abort()
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := h5.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		data, dims, err := f.ReadFloat64("data")
		if err != nil {
			t.Fatal(err)
		}
		wantDims := []int{1, k.NOut, nt}
		if pick == inverse.PickVector {
			wantDims = []int{1, k.NOut / 3, 3, nt}
		}
		if !slices.Equal(dims, wantDims) {
			t.Fatalf("dims %v, want %v", dims, wantDims)
		}
		for i, v := range data {
			if v != float64(c.data[i]) {
				t.Fatalf("value %d: %g, want %g", i, v, c.data[i])
			}
		}
		times, _, _ := f.ReadFloat64("times")
		if len(times) != nt || times[0] != 0.5 || math.Abs(times[nt-1]-float64(stop-1)/100) > 1e-12 {
			t.Errorf("times %d from %g to %g", len(times), times[0], times[len(times)-1])
		}
		po, _ := f.AttrString("data", "pick_ori")
		fs, _ := f.AttrInt64("data", "first_samp")
		if po != map[inverse.PickOri]string{"": "none", "vector": "vector"}[pick] || fs != 1000 {
			t.Errorf("pick_ori %q first_samp %d", po, fs)
		}
		f.Close()
	}
}

// simRaw opens the shared simulated recording.
func simRaw(t *testing.T) *fif.Raw {
	t.Helper()
	raw, err := fif.OpenRaw(sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"), fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// TestApplyRawGolden applies the golden operator to 2 s of the simulated
// recording: block sizes do not change the estimates, which equal those
// of the same samples applied as one epoch (ApplyEpochs).
func TestApplyRawGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	op := goldenOperator(t)
	raw := simRaw(t)
	tmax := 7.0
	for _, pick := range []inverse.PickOri{inverse.PickNone, inverse.PickNormal} {
		k, err := op.Prepare(inverse.DSPM, 1.0/9, pick, 1)
		if err != nil {
			t.Fatal(err)
		}
		opt := inverse.RawApplyOptions{Tmin: 5, Tmax: &tmax}
		start, stop, err := inverse.RawSpan(raw, opt)
		if err != nil {
			t.Fatal(err)
		}
		nt := int(stop - start)
		seg, err := raw.Read(nil, start, stop)
		if err != nil {
			t.Fatal(err)
		}
		in := inverse.EpochInput{Info: raw.Info, Times: make([]float64, nt), N: 1,
			Epoch: func(int) ([]float64, error) { return seg, nil }}
		var ep memCollector
		if err := inverse.ApplyEpochs(context.Background(), k, in, &ep); err != nil {
			t.Fatal(err)
		}
		var first []float32
		for _, blk := range []int{0, 333, nt} {
			opt.Block = blk
			opt.Overlap = blk == 333
			c := newBlockCollector(k.NOut, nt)
			if err := inverse.ApplyRaw(context.Background(), k, raw, opt, c); err != nil {
				t.Fatal(err)
			}
			d := maxRelDiff(c.data, ep.data[0])
			t.Logf("pick_ori %q block %d (%d blocks): max diff / max vs one epoch %.3g", pick, blk, c.blocks, d)
			if d > 1e-6 {
				t.Errorf("pick_ori %q block %d: raw differs from epoch application by %.3g", pick, blk, d)
			}
			if first == nil {
				first = c.data
			} else if !slices.Equal(first, c.data) {
				d := maxRelDiff(c.data, first)
				t.Logf("block %d: not bit-identical to the default blocks, max diff / max %.3g", blk, d)
				if d > 1e-6 {
					t.Errorf("block %d differs from the default blocks by %.3g", blk, d)
				}
			}
		}
	}
}

// TestPickNormalFree checks pick_ori normal on a free-orientation (loose
// = 1) operator, whose components are along x, y, z: the estimate is the
// vector estimate projected on the surface normal of each source (MNE
// rotates the eigen leads to the surface frame and keeps the normal).
func TestPickNormalFree(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	mneForward(t)
	ep := goldenV2(t)
	cov := goldenShrunk(t)
	one := 1.0
	// The HDF5 fixture has no source spaces (normals from SurfNN); the
	// -fwd.fif one has them (normals from Operator.Src).
	ff, err := fif.ReadForward(fwdFIF)
	if err != nil {
		t.Fatal(err)
	}
	fromFIF, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		t.Fatal(err)
	}
	var op *inverse.Operator
	for _, fwd := range []*inverse.Forward{mneForward(t), fromFIF} {
		op, err = inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{Loose: &one})
		if err != nil {
			t.Fatal(err)
		}
		checkNormalFree(t, op, ep.Times, epochInput(ep, 1))
	}
	// A volume source space has no normals.
	op2 := *op
	vol := *op.Src[0]
	vol.Type = fif.SpaceVolume
	op2.Src = []*fif.SourceSpace{&vol, op.Src[1]}
	if _, err := op2.Prepare(inverse.DSPM, 1.0/9, inverse.PickNormal, 1); err == nil || !strings.Contains(err.Error(), "surface") {
		t.Errorf("volume source space: %v", err)
	} else {
		t.Log(err)
	}
}

func checkNormalFree(t *testing.T, op *inverse.Operator, times []float64, in inverse.EpochInput) {
	t.Helper()
	nt := len(times)
	for _, m := range []inverse.Method{inverse.MNE, inverse.SLORETA} {
		res := map[inverse.PickOri][]float32{}
		for _, p := range []inverse.PickOri{inverse.PickNormal, inverse.PickVector} {
			k, err := op.Prepare(m, 1.0/9, p, 1)
			if err != nil {
				t.Fatal(err)
			}
			k.Float64 = true
			c := &memCollector{}
			if err := inverse.ApplyEpochs(context.Background(), k, in, c); err != nil {
				t.Fatal(err)
			}
			res[p] = c.data[0]
		}
		normal, vec := res[inverse.PickNormal], res[inverse.PickVector]
		var d, n float64
		for s := range op.NSource {
			z := op.SurfNN[3*s : 3*s+3]
			for tt := range nt {
				want := 0.0
				for j := range 3 {
					want += z[j] * float64(vec[(3*s+j)*nt+tt])
				}
				got := float64(normal[s*nt+tt])
				d += (got - want) * (got - want)
				n += want * want
			}
		}
		e := math.Sqrt(d / n)
		t.Logf("%s (%d source spaces): normal vs vector projected on the normals: rel error %.3g", m, len(op.Src), e)
		if e > 1e-5 {
			t.Errorf("%s: pick_ori normal of a free operator is not the normal component (rel error %.3g)", m, e)
		}
	}
}

// TestApplyRawVsMNE makes the golden operator (loose 0.2) from MNE's
// -fwd.fif, writes it as -inv.fif and compares ApplyRaw on 5 s to 7 s of
// the simulated recording with MNE's apply_inverse_raw on that file, for
// dSPM and sLORETA with pick_ori none and normal; MNE also makes a free
// (loose 1) operator, which megflow reads and applies with pick_ori normal
// and none. MNE reads megflow's .stc output.
func TestApplyRawVsMNE(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	mneForward(t)
	ff, err := fif.ReadForward(fwdFIF)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		t.Fatal(err)
	}
	ep := goldenV2(t)
	cov := goldenShrunk(t)
	op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	invPath := filepath.Join(dir, "sim-inv.fif")
	rec, err := op.ToFIF()
	if err != nil {
		t.Fatal(err)
	}
	if err := fif.WriteInverse(invPath, rec); err != nil {
		t.Fatal(err)
	}
	covPath := filepath.Join(dir, "sim-cov.fif")
	if err := fif.WriteCov(covPath, &cov.Cov); err != nil {
		t.Fatal(err)
	}
	rawPath := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	raw := simRaw(t)
	tmax := 7.0
	opt := inverse.RawApplyOptions{Tmin: 5, Tmax: &tmax}
	start, stop, err := inverse.RawSpan(raw, opt)
	if err != nil {
		t.Fatal(err)
	}
	nt := int(stop - start)

	// megflow's estimates of the operator, and one as .stc.
	type key struct {
		m inverse.Method
		p inverse.PickOri
	}
	methods := []inverse.Method{inverse.DSPM, inverse.SLORETA}
	picks := []inverse.PickOri{inverse.PickNone, inverse.PickNormal}
	apply := func(o *inverse.Operator) map[key][]float32 {
		res := map[key][]float32{}
		for _, m := range methods {
			for _, p := range picks {
				k, err := o.Prepare(m, 1.0/9, p, 1)
				if err != nil {
					t.Fatal(err)
				}
				c := newBlockCollector(k.NOut, nt)
				if err := inverse.ApplyRaw(context.Background(), k, raw, opt, c); err != nil {
					t.Fatal(err)
				}
				res[key{m, p}] = c.data
			}
		}
		return res
	}
	got := apply(op)
	stem := filepath.Join(dir, "sim-raw-dspm")
	k, _ := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
	sw, err := inverse.CreateStc(stem+".stc", k.Vertices, float64(start)/raw.Info.SFreq, 1/raw.Info.SFreq, nt)
	if err != nil {
		t.Fatal(err)
	}
	if err := inverse.ApplyRaw(context.Background(), k, raw, inverse.RawApplyOptions{Tmin: 5, Tmax: &tmax, Block: 500}, sw); err != nil {
		sw.Abort()
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}

	freePath := filepath.Join(dir, "sim-free-inv.fif")
	outPath := filepath.Join(dir, "mne-raw.h5")
	cmd := exec.Command(sharedtest.Python, filepath.Join("..", "scripts", "mne_inverse_raw_compare.py"),
		"--inv", invPath, "--raw", rawPath, "--start", fmt.Sprint(start), "--stop", fmt.Sprint(stop), "--out", outPath,
		"--free", fwdFIF, covPath, freePath, "--stc", stem+"-lh.stc")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	f, err := h5.Open(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tm, _, _ := f.ReadFloat64("tmin")
	if len(tm) != 1 || math.Abs(tm[0]-float64(start)/raw.Info.SFreq) > 1e-12 {
		t.Errorf("MNE's stc.tmin %v, megflow's %g", tm, float64(start)/raw.Info.SFreq)
	}
	compare := func(prefix string, res map[key][]float32) {
		for _, m := range methods {
			for _, p := range picks {
				name := prefix + string(m) + "/" + map[inverse.PickOri]string{"": "none", "normal": "normal"}[p]
				want, dims, err := f.ReadFloat64(name)
				if err != nil {
					t.Fatal(err)
				}
				g := res[key{m, p}]
				if len(want) != len(g) || dims[1] != nt {
					t.Fatalf("%s: MNE %v values, megflow %d", name, dims, len(g))
				}
				var d, n, worst float64
				rows := dims[0]
				for r := range rows {
					var dr, nr float64
					for j := range nt {
						x, w := float64(g[r*nt+j]), want[r*nt+j]
						dr += (x - w) * (x - w)
						nr += w * w
					}
					d += dr
					n += nr
					if nr > 0 {
						worst = max(worst, math.Sqrt(dr/nr))
					}
				}
				e := math.Sqrt(d / n)
				t.Logf("%s: rel error %.3g, worst per source %.3g", name, e, worst)
				if e >= 1e-3 || worst >= 1e-3 {
					t.Errorf("%s: rel error %.3g, worst per source %.3g", name, e, worst)
				}
			}
		}
	}
	compare("", got)

	// MNE's free operator, read and applied by megflow.
	frec, err := fif.ReadInverse(freePath)
	if err != nil {
		t.Fatal(err)
	}
	fop, err := inverse.OperatorFromFIF(frec)
	if err != nil {
		t.Fatal(err)
	}
	if fop.Loose != 1 {
		t.Fatalf("MNE's free operator read with loose %g", fop.Loose)
	}
	compare("free/", apply(fop))

	// MNE read megflow's .stc pair.
	sd, dims, err := f.ReadFloat64("stc/0/data")
	if err != nil {
		t.Fatal(err)
	}
	want := got[key{inverse.DSPM, inverse.PickNone}]
	if len(sd) != len(want) || dims[1] != nt {
		t.Fatalf("MNE read %v values from the .stc pair", dims)
	}
	for i, v := range sd {
		if v != float64(want[i]) {
			t.Fatalf(".stc value %d read by MNE %g, megflow %g", i, v, want[i])
		}
	}
	st, _, _ := f.ReadFloat64("stc/0/tmin")
	t.Logf("MNE read megflow's .stc pair: %d sources x %d times, tmin %g s, identical values", dims[0], dims[1], st[0])
}
