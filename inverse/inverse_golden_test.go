package inverse_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

var (
	opOnce sync.Once
	opVal  *inverse.Operator
	opErr  error
)

// goldenOperator is make_inverse_operator(epochs_v2.info, fwd, cov_shrunk,
// loose=0.2, depth=0.8) with megflow's epochs and covariance and MNE's
// forward solution.
func goldenOperator(t testing.TB) *inverse.Operator {
	t.Helper()
	fwd := mneForward(t)
	ep := goldenV2(t)
	cov := goldenShrunk(t)
	opOnce.Do(func() {
		opVal, opErr = inverse.MakeOperator(ep.Info, fwd, &cov.Cov, inverse.Options{})
	})
	if opErr != nil {
		t.Fatal(opErr)
	}
	return opVal
}

func relErr(got, want []float64) float64 {
	d, n := 0.0, 0.0
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	return math.Sqrt(d / n)
}

func corr(a, b []float64) float64 {
	ma, mb := 0.0, 0.0
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	sab, saa, sbb := 0.0, 0.0, 0.0
	for i := range a {
		x, y := a[i]-ma, b[i]-mb
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	return sab / math.Sqrt(saa*sbb)
}

// subCollector keeps the golden subset (sources, grid times) of the first
// epochs and the maps of epoch 0.
type subCollector struct {
	src, tix, mapT []int
	nt             int
	sub            [][]float64 // per epoch: len(src) x len(tix)
	maps           []float64   // nsrc x len(mapT)
	nsrc           int
}

func (c *subCollector) Put(i int, data []float32) error {
	s := make([]float64, len(c.src)*len(c.tix))
	for a, v := range c.src {
		for b, tt := range c.tix {
			s[a*len(c.tix)+b] = float64(data[v*c.nt+tt])
		}
	}
	c.sub = append(c.sub, s)
	if i == 0 {
		c.maps = make([]float64, c.nsrc*len(c.mapT))
		for v := range c.nsrc {
			for b, tt := range c.mapT {
				c.maps[v*len(c.mapT)+b] = float64(data[v*c.nt+tt])
			}
		}
	}
	return nil
}

func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// TestGoldenInverse compares the operator and the MNE, dSPM and sLORETA
// estimates of the first 3 epochs with inverse.h5.
func TestGoldenInverse(t *testing.T) {
	if testing.Short() {
		t.Skip("golden inverse: slow")
	}
	f, err := h5.Open(sharedtest.Golden(t, "inverse.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	op := goldenOperator(t)
	ep := goldenV2(t)

	names, err := f.ReadStrings("ch_names")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, op.Names) {
		t.Fatalf("channels differ: %d vs golden %d", len(op.Names), len(names))
	}
	rank, _ := f.AttrInt64("/", "whitener_rank")
	t.Logf("whitener rank %d (golden %d), by group %v", op.Noise.Rank, rank, op.Noise.RankByGroup)
	if int64(op.Noise.Rank) != rank {
		t.Errorf("whitener rank %d, golden %d", op.Noise.Rank, rank)
	}
	sing, _, _ := f.ReadFloat64("sing")
	e := relErr(op.Sing, sing)
	t.Logf("sing: rel error %.3g (max %.6g vs %.6g)", e, op.Sing[0], sing[0])
	if e >= 1e-3 {
		t.Errorf("sing rel error %.3g", e)
	}
	sc, _, _ := f.ReadFloat64("source_cov")
	e = relErr(op.SourceCov, sc)
	t.Logf("source_cov: rel error %.3g", e)
	if e >= 1e-3 {
		t.Errorf("source_cov rel error %.3g", e)
	}
	srcIdx, _, _ := f.ReadInt64("source_index")
	tix, _, _ := f.ReadInt64("time_index")
	mapT, _, _ := f.ReadInt64("map_time_index")
	lambda2, _ := f.AttrFloat64("/", "lambda2")
	for _, m := range []inverse.Method{inverse.MNE, inverse.DSPM, inverse.SLORETA} {
		t.Run(string(m), func(t *testing.T) {
			k, err := op.Prepare(m, lambda2, inverse.PickNone, 1)
			if err != nil {
				t.Fatal(err)
			}
			if m != inverse.MNE {
				nn, _, _ := f.ReadFloat64(string(m) + "/noisenorm")
				e := relErr(k.NoiseNorm, nn)
				t.Logf("noisenorm: rel error %.3g", e)
				if e >= 1e-3 {
					t.Errorf("noisenorm rel error %.3g", e)
				}
			}
			c := &subCollector{src: toInts(srcIdx), tix: toInts(tix), mapT: toInts(mapT), nt: len(ep.Times), nsrc: op.NSource}
			if err := inverse.ApplyEpochs(context.Background(), k, epochInput(ep, 3), c); err != nil {
				t.Fatal(err)
			}
			want, _, _ := f.ReadFloat64(string(m) + "/data_sub")
			nt := len(tix)
			worst, worstC := 0.0, 1.0
			for ei := range 3 {
				for s := range srcIdx {
					g := c.sub[ei][s*nt : (s+1)*nt]
					w := want[(ei*len(srcIdx)+s)*nt : (ei*len(srcIdx)+s+1)*nt]
					worst = max(worst, relErr(g, w))
					worstC = min(worstC, corr(g, w))
				}
			}
			t.Logf("data_sub: worst rel error %.3g, worst correlation %.7f", worst, worstC)
			if worst >= 1e-3 || worstC <= 0.999 {
				t.Errorf("data_sub: rel error %.3g, correlation %.7f", worst, worstC)
			}
			wm, _, _ := f.ReadFloat64(string(m) + "/maps_epoch0")
			e := relErr(c.maps, wm)
			t.Logf("maps_epoch0: rel error %.3g, correlation %.7f", e, corr(c.maps, wm))
			if e >= 1e-3 {
				t.Errorf("maps rel error %.3g", e)
			}
		})
	}
}
