package inverse

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
)

func TestKFold(t *testing.T) {
	if b := kfold(1260, 3); !slices.Equal(b, []int{0, 420, 840, 1260}) {
		t.Errorf("kfold(1260, 3) = %v", b)
	}
	if b := kfold(10, 3); !slices.Equal(b, []int{0, 4, 7, 10}) {
		t.Errorf("kfold(10, 3) = %v", b)
	}
}

func TestTimeSlice(t *testing.T) {
	times := make([]float64, 221)
	for i := range times {
		times[i] = float64(i-44) / 220
	}
	zero := 0.0
	a, b, err := timeSlice(times, 220, nil, &zero)
	if err != nil || a != 0 || b != 45 {
		t.Errorf("tmax 0: [%d, %d) %v", a, b, err)
	}
	lo := -0.1
	a, b, _ = timeSlice(times, 220, &lo, nil)
	if a != 22 || b != 221 {
		t.Errorf("tmin -0.1: [%d, %d)", a, b)
	}
	far, farther := 5.0, 6.0
	if _, _, err := timeSlice(times, 220, &far, nil); err == nil || !strings.Contains(err.Error(), "less than or equal") {
		t.Errorf("tmin after tmax: %v", err)
	}
	if _, _, err := timeSlice(times, 220, &far, &farther); err == nil || !strings.Contains(err.Error(), "no samples remain") {
		t.Errorf("tmin after the epoch: %v", err)
	}
}

// meg builds n channels alternating magnetometers and gradiometer pairs.
func megInfo(n int) *fif.Info {
	info := &fif.Info{SFreq: 1000}
	for i := range n {
		c := fif.Channel{Kind: fif.KindMEG, Unit: fif.UnitTM, Cal: 1, Range: 1, Name: "G" + string(rune('A'+i%26)) + string(rune('a'+i/26))}
		if i%3 == 0 {
			c.Unit = fif.UnitT
			c.Name = "M" + c.Name[1:]
		}
		info.Chs = append(info.Chs, c)
	}
	return info
}

// randomEpochs draws correlated data: mags ~1e-13 T, grads ~1e-11 T/m.
func randomEpochs(info *fif.Info, nep, nt int, rng *rand.Rand) [][]float64 {
	n := len(info.Chs)
	mix := make([]float64, n*n)
	for i := range mix {
		mix[i] = rng.NormFloat64()
	}
	var out [][]float64
	for range nep {
		ep := make([]float64, n*nt)
		z := make([]float64, n)
		for j := range nt {
			for i := range z {
				z[i] = rng.NormFloat64()
			}
			for i := range n {
				s := 0.0
				for k := range n {
					s += mix[i*n+k] * z[k]
				}
				scale := 1e-11
				if info.Chs[i].Unit == fif.UnitT {
					scale = 1e-13
				}
				ep[i*nt+j] = s * scale
			}
		}
		out = append(out, ep)
	}
	return out
}

// TestChooseShrinkageBruteForce compares the eigenvalue shortcut with a
// direct computation of scikit-learn's score for every grid value.
func TestChooseShrinkageBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p, n := 12, 60
	x := mat.NewDense(n, p, nil)
	for i := range n {
		for j := range p {
			x.Set(i, j, rng.NormFloat64()*(1+float64(j%3))+0.5*rng.NormFloat64()*x.At(i, 0))
		}
	}
	bounds := kfold(n, 3)
	var grams []*mat.SymDense
	var sizes []int
	for f := range 3 {
		rows := x.Slice(bounds[f], bounds[f+1], 0, p)
		g := mat.NewSymDense(p, nil)
		g.SymOuterK(1, rows.T())
		grams = append(grams, g)
		sizes = append(sizes, bounds[f+1]-bounds[f])
	}
	idx := make([]int, p)
	for i := range idx {
		idx[i] = i
	}
	grid := defaultShrinkage()
	best, err := chooseShrinkage(grams, sizes, idx, grid)
	if err != nil {
		t.Fatal(err)
	}
	// Direct: shrunk training covariance, its inverse, log-likelihood.
	scores := make([]float64, len(grid))
	for gi, a := range grid {
		for f := range 3 {
			train := mat.NewSymDense(p, nil)
			ntr := 0
			for g := range 3 {
				if g != f {
					train.AddSym(train, grams[g])
					ntr += sizes[g]
				}
			}
			train.ScaleSym(1/float64(ntr), train)
			mu := 0.0
			for i := range p {
				mu += train.At(i, i)
			}
			mu /= float64(p)
			sh := mat.NewDense(p, p, nil)
			for i := range p {
				for j := range p {
					v := (1 - a) * train.At(i, j)
					if i == j {
						v += a * mu
					}
					sh.Set(i, j, v)
				}
			}
			var prec mat.Dense
			if err := prec.Inverse(sh); err != nil {
				t.Fatal(err)
			}
			test := mat.NewDense(p, p, nil)
			test.Scale(1/float64(sizes[f]), grams[f])
			s := 0.0
			for i := range p {
				for j := range p {
					s += test.At(i, j) * prec.At(i, j)
				}
			}
			ld, sign := mat.LogDet(&prec)
			if sign <= 0 {
				t.Fatal("precision not positive definite")
			}
			scores[gi] += (-s + ld - float64(p)*math.Log(2*math.Pi)) / 2 / 3
		}
	}
	want := 0
	for i, s := range scores {
		if s > scores[want] {
			want = i
		}
	}
	if best != grid[want] {
		t.Errorf("shrinkage %g, brute force %g", best, grid[want])
	}
}

func TestComputeCovarianceDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	info := megInfo(9)
	info.Bads = []string{info.Chs[4].Name}
	nt := 30
	g1 := randomEpochs(info, 5, nt, rng)
	g2 := randomEpochs(info, 4, nt, rng)
	times := make([]float64, nt)
	for i := range times {
		times[i] = float64(i-10) / 1000
	}
	zero := 0.0
	in := EpochsData{Info: info, Times: times, Baselined: true, Groups: [][][]float64{g1, g2}}
	for _, method := range []string{"empirical", "diagonal_fixed", "shrunk"} {
		c, err := ComputeCovariance(in, CovOptions{Method: method, Tmax: &zero})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Names) != 8 || slices.Contains(c.Names, info.Chs[4].Name) || c.NFree != 9*11-1 {
			t.Fatalf("%s: names %v nfree %d", method, c.Names, c.NFree)
		}
		if method != "empirical" {
			continue
		}
		// Direct: Σ x xᵀ / (n - 1) over the good channels, samples 0..10.
		var good []int
		for i, ch := range info.Chs {
			if !info.IsBad(ch.Name) {
				good = append(good, i)
			}
		}
		for a, ia := range good {
			for b, ib := range good {
				s := 0.0
				for _, g := range [][][]float64{g1, g2} {
					for _, ep := range g {
						for j := range 11 {
							s += ep[ia*nt+j] * ep[ib*nt+j]
						}
					}
				}
				want := s / float64(9*11-1)
				if got := c.Data[a*8+b]; math.Abs(got-want) > 1e-12*math.Abs(want) {
					t.Fatalf("empirical[%d,%d] = %g, want %g", a, b, got, want)
				}
			}
		}
	}
	if _, err := ComputeCovariance(in, CovOptions{Method: "oas"}); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := ComputeCovariance(in, CovOptions{Scalings: map[string]float64{"eog": 1}}); err == nil {
		t.Error("bad scalings key accepted")
	}
}

// TestRankDeficient: data confined to a subspace (like SSS data) are
// estimated rank deficient through the QR path, and the empirical
// covariance is the same as without the subspace.
func TestRankDeficient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	info := megInfo(12)
	nt := 200
	eps := randomEpochs(info, 3, nt, rng)
	// Remove a fixed combination of channels from every sample.
	u := make([]float64, 12)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	norm := 0.0
	for _, v := range u {
		norm += v * v
	}
	for _, ep := range eps {
		for j := range nt {
			d := 0.0
			for i := range 12 {
				s := 1e13
				if info.Chs[i].Unit == fif.UnitT {
					s = 1e15
				}
				d += u[i] * ep[i*nt+j] * s
			}
			for i := range 12 {
				s := 1e13
				if info.Chs[i].Unit == fif.UnitT {
					s = 1e15
				}
				ep[i*nt+j] -= d * u[i] / norm / s
			}
		}
	}
	times := make([]float64, nt)
	for i := range times {
		times[i] = float64(i) / 1000
	}
	in := EpochsData{Info: info, Times: times, Baselined: true, Groups: [][][]float64{eps}}
	c, err := ComputeCovariance(in, CovOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank["meg"] != 11 {
		t.Errorf("rank %v, want meg 11", c.Rank)
	}
	full, err := ComputeCovariance(in, CovOptions{Rank: Rank{Mode: RankFull}})
	if err != nil {
		t.Fatal(err)
	}
	if r := relFrob(c.Data, full.Data); r > 1e-10 {
		t.Errorf("subspace changed the empirical covariance by %.3g", r)
	}
	if _, err := ComputeCovariance(in, CovOptions{Method: "shrunk"}); err != nil {
		t.Errorf("shrunk on rank-deficient data: %v", err)
	}
}

func relFrob(a, b []float64) float64 {
	d, n := 0.0, 0.0
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n += b[i] * b[i]
	}
	return math.Sqrt(d / n)
}

func TestSSSRankAndInfoRank(t *testing.T) {
	info := megInfo(6)
	if _, ok := SSSRank(info); ok {
		t.Error("SSS rank without processing history")
	}
	in := int32(8)
	comps := make([]int32, 80)
	for i := range comps {
		comps[i] = 1
	}
	comps[3], comps[10] = 0, 0
	info.ProcHistory = []fif.ProcRecord{{MaxInfo: fif.MaxInfo{SSSInfo: &fif.SSSInfo{InOrder: &in, Components: comps}}}}
	if r, ok := SSSRank(info); !ok || r != 78 {
		t.Errorf("SSS rank %d %v, want 78", r, ok)
	}
	if r := infoRank(info, "meg", 306, RankInfo); r != 78 {
		t.Errorf("info rank %d", r)
	}
	if r := infoRank(info, "meg", 306, RankFull); r != 306 {
		t.Errorf("full rank %d", r)
	}
	for s, want := range map[string]Rank{"info": {Mode: RankInfo}, "full": {Mode: RankFull}, "none": {}} {
		if r, err := ParseRank(s); err != nil || r.Mode != want.Mode {
			t.Errorf("ParseRank(%q) = %v %v", s, r, err)
		}
	}
	if r, err := ParseRank("meg=72, eeg=59"); err != nil || r.Values["meg"] != 72 || r.Values["eeg"] != 59 {
		t.Errorf("explicit rank %v %v", r, err)
	}
	if _, err := ParseRank("meg"); err == nil {
		t.Error("bad rank accepted")
	}
}

// rawMem is an in-memory raw source.
type rawMem struct {
	info  *fif.Info
	n     int64
	data  []float64
	first int64
}

func (r *rawMem) RawInfo() *fif.Info  { return r.info }
func (r *rawMem) RawFirstSamp() int64 { return r.first }
func (r *rawMem) RawNTimes() int64    { return r.n }
func (r *rawMem) ReadAll(dst []float64, start, stop int64) error {
	ns := int(stop - start)
	for c := range r.info.Chs {
		copy(dst[c*ns:(c+1)*ns], r.data[int64(c)*r.n+start:int64(c)*r.n+stop])
	}
	return nil
}

func TestRawCovarianceDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	info := megInfo(5)
	info.SFreq = 100
	n := int64(1000)
	src := &rawMem{info: info, n: n, first: 37, data: randomEpochs(info, 1, int(n), rng)[0]}
	for i := range src.data {
		src.data[i] += 3e-12
	}
	res, err := ComputeRawCovariance(context.Background(), src, RawCovOptions{Tstep: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	// Segments of 20 samples from 0: 50 segments cover all samples.
	if res.Segments != 50 || res.NFree != 999 {
		t.Fatalf("%d segments, nfree %d", res.Segments, res.NFree)
	}
	mean := make([]float64, 5)
	for c := range 5 {
		for j := range n {
			mean[c] += src.data[int64(c)*n+j] / float64(n)
		}
	}
	for a := range 5 {
		for b := range 5 {
			s := 0.0
			for j := range n {
				s += (src.data[int64(a)*n+j] - mean[a]) * (src.data[int64(b)*n+j] - mean[b])
			}
			want := s / float64(n-1)
			if got := res.Data[a*5+b]; math.Abs(got-want) > 1e-9*math.Abs(want) {
				t.Fatalf("raw cov[%d,%d] = %g, want %g", a, b, got, want)
			}
		}
	}
	// Rejection drops segments, shrunk works on the kept ones.
	calls := 0
	res, err = ComputeRawCovariance(context.Background(), src, RawCovOptions{
		CovOptions: CovOptions{Method: MethodShrunk},
		Reject: func(seg []float64, nt int) []string {
			calls++
			if calls%5 == 0 {
				return []string{"X"}
			}
			return nil
		}})
	if err != nil || len(res.Dropped) != 10 || res.NSamples != 800 || res.Shrinkage == nil {
		t.Errorf("rejection: %v %d dropped, %d samples", err, len(res.Dropped), res.NSamples)
	}
}

// TestShrunkLowRankPSD: after a strong rank reduction (as after Maxwell
// filtering, 70 of 306) the channel types map to repeated positions of the
// kept coordinates; the shrunk covariance must stay positive semidefinite
// (scaling a cross-block element once per repetition made it indefinite).
func TestShrunkLowRankPSD(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, k, nt = 45, 6, 400
	info := megInfo(n)
	// Data in a k-dimensional subspace of the n channels.
	basis := make([]float64, n*k)
	for i := range basis {
		basis[i] = rng.NormFloat64()
	}
	var eps [][]float64
	for range 3 {
		ep := make([]float64, n*nt)
		for j := range nt {
			z := make([]float64, k)
			for q := range z {
				z[q] = rng.NormFloat64()
			}
			for i := range n {
				s := 0.0
				for q := range k {
					s += basis[i*k+q] * z[q]
				}
				scale := 1e-11
				if info.Chs[i].Unit == fif.UnitT {
					scale = 1e-13
				}
				ep[i*nt+j] = s * scale
			}
		}
		eps = append(eps, ep)
	}
	times := make([]float64, nt)
	for i := range times {
		times[i] = float64(i) / 1000
	}
	rank, err := ParseRank("meg=6")
	if err != nil {
		t.Fatal(err)
	}
	in := EpochsData{Info: info, Times: times, Baselined: true, Groups: [][][]float64{eps}}
	for _, grid := range [][]float64{{1e-4}, {0.3}, nil} {
		c, err := ComputeCovariance(in, CovOptions{Method: MethodShrunk, Rank: rank, Shrinkage: grid})
		if err != nil {
			t.Fatal(err)
		}
		s := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				si, sj := 1e13, 1e13
				if info.Chs[i].Unit == fif.UnitT {
					si = 1e15
				}
				if info.Chs[j].Unit == fif.UnitT {
					sj = 1e15
				}
				s.SetSym(i, j, c.Data[i*n+j]*si*sj)
			}
		}
		var es mat.EigenSym
		if !es.Factorize(s, false) {
			t.Fatal("eigendecomposition failed")
		}
		v := es.Values(nil)
		if v[0] < -1e-9*v[n-1] {
			t.Errorf("shrinkage grid %v (chosen %v): smallest eigenvalue %.3g, largest %.3g: not positive semidefinite", grid, c.Shrinkage, v[0], v[n-1])
		}
	}
}
