package inverse_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/inverse"
)

type memCollector struct{ data [][]float32 }

func (m *memCollector) Put(i int, d []float32) error {
	m.data = append(m.data, slices.Clone(d))
	return nil
}

// TestPickOri checks pick_ori normal and vector against pick_ori none on
// the golden operator: for every method the norm of the vector estimate
// is the combined estimate, and the normal estimate is the projection of
// the vector estimate on the surface normal.
func TestPickOri(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	op := goldenOperator(t)
	ep := goldenV2(t)
	nt := len(ep.Times)
	for _, m := range []inverse.Method{inverse.MNE, inverse.DSPM, inverse.SLORETA} {
		t.Run(string(m), func(t *testing.T) {
			res := map[inverse.PickOri][]float32{}
			for _, p := range []inverse.PickOri{inverse.PickNone, inverse.PickNormal, inverse.PickVector} {
				k, err := op.Prepare(m, 1.0/9, p, 1)
				if err != nil {
					t.Fatal(err)
				}
				c := &memCollector{}
				if err := inverse.ApplyEpochs(context.Background(), k, epochInput(ep, 1), c); err != nil {
					t.Fatal(err)
				}
				res[p] = c.data[0]
			}
			none, normal, vec := res[inverse.PickNone], res[inverse.PickNormal], res[inverse.PickVector]
			if len(vec) != 3*len(none) || len(normal) != len(none) {
				t.Fatalf("sizes %d %d %d", len(none), len(normal), len(vec))
			}
			var dn, nn, dz, nz float64
			for s := range op.NSource {
				z := op.SurfNN[3*s : 3*s+3]
				for tt := range nt {
					x, y, w := float64(vec[(3*s)*nt+tt]), float64(vec[(3*s+1)*nt+tt]), float64(vec[(3*s+2)*nt+tt])
					norm := math.Sqrt(x*x + y*y + w*w)
					ref := float64(none[s*nt+tt])
					dn += (norm - ref) * (norm - ref)
					nn += ref * ref
					proj := x*z[0] + y*z[1] + w*z[2]
					got := float64(normal[s*nt+tt])
					dz += (proj - got) * (proj - got)
					nz += got * got
				}
			}
			en, ez := math.Sqrt(dn/nn), math.Sqrt(dz/nz)
			t.Logf("|vector| vs none: %.3g; normal vs vector·nn: %.3g", en, ez)
			if en > 1e-5 || ez > 1e-5 {
				t.Errorf("pick_ori mismatch: %.3g %.3g", en, ez)
			}
		})
	}
}

// TestH5Estimates streams the estimates of a few epochs to HDF5 and reads
// them back.
func TestH5Estimates(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	op := goldenOperator(t)
	ep := goldenV2(t)
	k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2
	in := epochInput(ep, n)
	path := filepath.Join(t.TempDir(), "stc.h5")
	w, err := inverse.CreateH5Estimates(path, k, n, ep.Times, in.EventID, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := inverse.ApplyEpochs(context.Background(), k, in, w); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mem := &memCollector{}
	if err := inverse.ApplyEpochs(context.Background(), k, in, mem); err != nil {
		t.Fatal(err)
	}
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, dims, err := f.ReadFloat64("data")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dims, []int{n, op.NSource, len(ep.Times)}) {
		t.Fatalf("dims %v", dims)
	}
	for i := range n {
		for j, v := range mem.data[i] {
			if float32(data[i*len(mem.data[i])+j]) != v {
				t.Fatalf("epoch %d value %d differs", i, j)
			}
		}
	}
	lh, _, _ := f.ReadInt64("vertices_lh")
	if len(lh) != len(op.Vertices[0]) {
		t.Errorf("vertices_lh %d", len(lh))
	}
	m, _ := f.AttrString("data", "method")
	cond, _ := f.ReadStrings("condition")
	if m != "dSPM" || !slices.Equal(cond, []string{"a", "b"}) {
		t.Errorf("method %q condition %v", m, cond)
	}
}

// TestErrors checks the argument and channel-set errors.
func TestErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	fwd := mneForward(t)
	ep := goldenV2(t)
	cov := goldenShrunk(t)
	bad := 1.5
	if _, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{Loose: &bad}); err == nil {
		t.Error("loose 1.5 accepted")
	}
	// A covariance that lacks a good channel of the data.
	c2 := cov.Cov
	c2.Names = slices.Clone(cov.Names)
	c2.Names[3] = "XXX"
	if _, err := inverse.MakeOperator(ep.Info, fwd, &c2, inverse.Options{}); err == nil {
		t.Error("covariance channel mismatch accepted")
	} else {
		t.Log(err)
	}
	// A forward solution that lacks one.
	f2 := *fwd
	f2.Names = slices.Clone(fwd.Names)
	f2.Names[5] = "YYY"
	if _, err := inverse.MakeOperator(ep.Info, &f2, &cov.Cov, inverse.Options{}); err == nil {
		t.Error("forward channel mismatch accepted")
	} else {
		t.Log(err)
	}
	// A covariance that is not positive definite on the rank.
	c3 := cov.Cov
	c3.Data = slices.Clone(cov.Data)
	nc := len(cov.Names)
	for i := range nc {
		c3.Data[i*nc+i] = 0
		for j := range nc {
			if i < 10 || j < 10 {
				c3.Data[i*nc+j] = 0
			}
		}
	}
	full := inverse.Rank{Mode: inverse.RankFull}
	if _, err := inverse.MakeOperator(ep.Info, fwd, &c3, inverse.Options{Rank: full}); err == nil {
		t.Error("non positive definite covariance accepted")
	} else {
		t.Log(err)
	}
}

// TestApplySingle compares the single-precision product (the default)
// with Float64 on the golden operator, for every method and orientation
// pick, on the first epochs.
func TestApplySingle(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	op := goldenOperator(t)
	ep := goldenV2(t)
	for _, m := range []inverse.Method{inverse.MNE, inverse.DSPM, inverse.SLORETA} {
		for _, p := range []inverse.PickOri{inverse.PickNone, inverse.PickNormal, inverse.PickVector} {
			t.Run(string(m)+"/"+string(p), func(t *testing.T) {
				k, err := op.Prepare(m, 1.0/9, p, 1)
				if err != nil {
					t.Fatal(err)
				}
				var got, want memCollector
				if err := inverse.ApplyEpochs(context.Background(), k, epochInput(ep, 2), &got); err != nil {
					t.Fatal(err)
				}
				k.Float64 = true
				if err := inverse.ApplyEpochs(context.Background(), k, epochInput(ep, 2), &want); err != nil {
					t.Fatal(err)
				}
				var d, nn, dmax, vmax float64
				for i := range want.data {
					for j, w := range want.data[i] {
						e := float64(got.data[i][j]) - float64(w)
						d += e * e
						nn += float64(w) * float64(w)
						dmax = max(dmax, math.Abs(e))
						vmax = max(vmax, math.Abs(float64(w)))
					}
				}
				rel, worst := math.Sqrt(d/nn), dmax/vmax
				t.Logf("float32 vs float64: rel error %.3g, max abs error / max %.3g", rel, worst)
				if rel > 1e-5 || worst > 1e-5 {
					t.Errorf("float32 product off: %.3g %.3g", rel, worst)
				}
			})
		}
	}
}

type failSink struct {
	memCollector
	failAt int
}

func (f *failSink) Put(i int, d []float32) error {
	if i == f.failAt {
		return errors.New("sink full")
	}
	return f.memCollector.Put(i, d)
}

// TestApplyOverlap checks that EpochInput.Overlap gives the same
// estimates, in order, and stops at the first failing Put or Epoch.
func TestApplyOverlap(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	op := goldenOperator(t)
	ep := goldenV2(t)
	k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	var seq, ovl memCollector
	in := epochInput(ep, n)
	if err := inverse.ApplyEpochs(context.Background(), k, in, &seq); err != nil {
		t.Fatal(err)
	}
	in.Overlap = true
	if err := inverse.ApplyEpochs(context.Background(), k, in, &ovl); err != nil {
		t.Fatal(err)
	}
	if len(ovl.data) != n {
		t.Fatalf("%d estimates, want %d", len(ovl.data), n)
	}
	for i := range n {
		if !slices.Equal(seq.data[i], ovl.data[i]) {
			t.Fatalf("epoch %d differs with Overlap", i)
		}
	}
	fs := &failSink{failAt: 2}
	if err := inverse.ApplyEpochs(context.Background(), k, in, fs); err == nil || err.Error() != "sink full" {
		t.Errorf("Put error: got %v", err)
	}
	if len(fs.data) != 2 {
		t.Errorf("%d estimates stored before the failing Put, want 2", len(fs.data))
	}
	bad := in
	bad.Epoch = func(i int) ([]float64, error) {
		if i == 3 {
			return nil, errors.New("bad epoch")
		}
		return in.Epoch(i)
	}
	var part memCollector
	if err := inverse.ApplyEpochs(context.Background(), k, bad, &part); err == nil {
		t.Error("Epoch error not returned")
	}
	if len(part.data) != 3 {
		t.Errorf("%d estimates stored before the failing epoch, want 3", len(part.data))
	}
}

// TestApplySynthetic compares the single- and double-precision products
// on small random kernels (combined triples with a scale, plain rows),
// with sample counts around the internal block sizes.
func TestApplySynthetic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, combine := range []bool{true, false} {
		for _, nt := range []int{1, 7, 512, 513, 1101} {
			const nsrc, n = 137, 23
			k := &inverse.Kernel{Method: inverse.MNE, Rows: 3 * nsrc, NOut: nsrc, Combine: combine,
				Names: make([]string, n), K: make([]float64, 3*nsrc*n)}
			if combine {
				k.Scale = make([]float64, nsrc)
				for i := range k.Scale {
					k.Scale[i] = 0.5 + r.Float64()
				}
			} else {
				k.NOut = k.Rows
			}
			for i := range k.K {
				k.K[i] = r.NormFloat64()
			}
			x := make([]float64, n*nt)
			for i := range x {
				x[i] = r.NormFloat64()
			}
			got := make([]float32, k.NOut*nt)
			want := make([]float32, k.NOut*nt)
			k.Apply(x, nt, got, nil)
			k.Float64 = true
			k.Apply(x, nt, want, nil)
			worst := 0.0
			for i := range want {
				worst = max(worst, math.Abs(float64(got[i])-float64(want[i])))
			}
			if worst > 1e-4 {
				t.Errorf("combine %v nt %d: max error %.3g", combine, nt, worst)
			}
		}
	}
}

// TestApplyBatched checks that short epochs, which ApplyEpochs applies a
// few at a time in one product, give each epoch's own Kernel.Apply, with
// and without Overlap, with the operator's channels in another order than
// the data's, and for an epoch count that does not fill the last batch.
func TestApplyBatched(t *testing.T) {
	op := goldenOperator(t)
	ep := goldenV2(t)
	k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n, nt = 11, 220 // 4 epochs per product: batches of 4, 4, 3
	info := ep.Info
	rows := make([]int, len(k.Names))
	for i, nm := range k.Names {
		rows[i] = info.ChIndex(nm)
	}
	r := rand.New(rand.NewPCG(9, 10))
	data := make([][]float64, n)
	for i := range data {
		data[i] = make([]float64, len(info.Chs)*nt)
		for j := range data[i] {
			data[i][j] = r.NormFloat64() * 1e-12
		}
	}
	times := make([]float64, nt)
	for i := range times {
		times[i] = float64(i) / 220
	}
	want := make([][]float32, n)
	x := make([]float64, len(k.Names)*nt)
	for i := range want {
		for a, row := range rows {
			copy(x[a*nt:(a+1)*nt], data[i][row*nt:(row+1)*nt])
		}
		want[i] = make([]float32, k.NOut*nt)
		k.Apply(x, nt, want[i], nil)
	}
	for _, overlap := range []bool{false, true} {
		var got memCollector
		in := inverse.EpochInput{Info: info, Times: times, N: n, Overlap: overlap,
			Epoch: func(i int) ([]float64, error) { return data[i], nil }}
		if err := inverse.ApplyEpochs(context.Background(), k, in, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.data) != n {
			t.Fatalf("overlap %v: %d estimates, want %d", overlap, len(got.data), n)
		}
		for i := range n {
			worst := 0.0
			for j, v := range want[i] {
				worst = max(worst, math.Abs(float64(got.data[i][j]-v))/math.Max(1e-30, math.Abs(float64(v))))
			}
			if worst > 1e-5 {
				t.Errorf("overlap %v, epoch %d: batched differs from Apply by %.2g (relative)", overlap, i, worst)
			}
		}
	}
}

// TestNorm3 checks the vector kernel of the combined norms against the
// scalar loop, bit for bit, on lengths around its 8-wide steps and values
// across float32's range.
func TestNorm3(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 220, 1101} {
		a, b, c := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			e := float64(r.IntN(40) - 20)
			a[i] = float32(r.NormFloat64() * math.Pow(10, e))
			b[i] = float32(r.NormFloat64() * math.Pow(10, e))
			c[i] = float32(r.NormFloat64() * math.Pow(10, e))
		}
		got, want := make([]float32, n), make([]float32, n)
		inverse.Norm3(a, b, c, got)
		inverse.Norm3Go(a, b, c, want)
		for i := range n {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d, element %d: %g, want %g", n, i, got[i], want[i])
			}
		}
	}
}
