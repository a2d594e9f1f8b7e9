package forward

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

func openGolden(t testing.TB) *h5.File {
	t.Helper()
	g, err := h5.Open(sharedtest.Golden(t, "forward.h5"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func readF(t testing.TB, g *h5.File, name string) ([]float64, []int) {
	t.Helper()
	d, dims, err := g.ReadFloat64(name)
	if err != nil {
		t.Fatal(err)
	}
	return d, dims
}

func readI(t testing.TB, g *h5.File, name string) []int64 {
	t.Helper()
	d, _, err := g.ReadInt64(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func subjectsDir(t testing.TB) string {
	t.Helper()
	sharedtest.Path(t, "data/subjects/fsaverage5/surf/lh.white") // skips when absent
	return filepath.Join(sharedtest.Dir(t), "data", "subjects")
}

func maxAbsVec(a [][3]float64, b []float64) float64 {
	m := 0.0
	for i, v := range a {
		for j := range 3 {
			m = math.Max(m, math.Abs(v[j]-b[3*i+j]))
		}
	}
	return m
}

func TestSourceSpaceGolden(t *testing.T) {
	g := openGolden(t)
	src, err := SetupSourceSpace(subjectsDir(t), "fsaverage5", SourceSpaceOptions{Spacing: "oct6"})
	if err != nil {
		t.Fatal(err)
	}
	for i, hemi := range []string{"lh", "rh"} {
		s := src[i]
		want := readI(t, g, "source_space/"+hemi+"/vertno")
		got := s.Vertno()
		if len(got) != len(want) {
			t.Fatalf("%s: %d vertices in use, want %d", hemi, len(got), len(want))
		}
		for k := range got {
			if int64(got[k]) != want[k] {
				t.Fatalf("%s: vertno[%d] = %d, want %d", hemi, k, got[k], want[k])
			}
		}
		rr, _ := readF(t, g, "source_space/"+hemi+"/rr")
		nn, _ := readF(t, g, "source_space/"+hemi+"/nn")
		var selRR, selNN [][3]float64
		for _, v := range got {
			selRR = append(selRR, s.Rr[v])
			selNN = append(selNN, s.NN[v])
		}
		drr, dnn := maxAbsVec(selRR, rr), maxAbsVec(selNN, nn)
		t.Logf("%s: %d sources, max |drr| %.3g m, max |dnn| %.3g", hemi, len(got), drr, dnn)
		if drr > 1e-6 || dnn > 1e-6 {
			t.Errorf("%s: positions/normals differ: %.3g %.3g", hemi, drr, dnn)
		}
	}
	// Round trip through -src.fif.
	p := filepath.Join(t.TempDir(), "x-src.fif")
	if err := fif.WriteSourceSpaces(p, src); err != nil {
		t.Fatal(err)
	}
	back, err := fif.ReadSourceSpaces(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[1].NUse() != src[1].NUse() || len(back[0].UseTris) != len(src[0].UseTris) {
		t.Fatalf("round trip lost data")
	}
}

func TestBEMSolutionGolden(t *testing.T) {
	g := openGolden(t)
	ref, err := fif.ReadBEM(sharedtest.Golden(t, "fsaverage5-ico4-bem-sol.fif"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := MakeBEMModel(subjectsDir(t), "fsaverage5", 4, []float64{0.3})
	if err != nil {
		t.Fatal(err)
	}
	if err := MakeBEMSolution(b); err != nil {
		t.Fatal(err)
	}
	rr, _ := readF(t, g, "bem/rr")
	nn, _ := readF(t, g, "bem/nn")
	// The vertices are in MNE's order (the surface follows MNE's ico
	// table); matching by position keeps the check independent of that.
	perm := matchPositions(t, b.Surfs[0].Rr, rr)
	var drr, dnn float64
	for i, j := range perm {
		for k := range 3 {
			drr = math.Max(drr, math.Abs(b.Surfs[0].Rr[i][k]-rr[3*j+k]))
			dnn = math.Max(dnn, math.Abs(b.Surfs[0].NN[i][k]-nn[3*j+k]))
		}
	}
	t.Logf("BEM surface: max |drr| %.3g m, max |dnn| %.3g", drr, dnn)
	if drr > 1e-6 || dnn > 1e-6 {
		t.Errorf("BEM surface differs")
	}
	if len(ref.Solution) != len(b.Solution) {
		t.Fatalf("solution sizes %d vs %d", len(b.Solution), len(ref.Solution))
	}
	n := len(perm)
	var num, den float64
	for i := range n {
		for k := range n {
			v := ref.Solution[perm[i]*n+perm[k]]
			d := b.Solution[i*n+k] - v
			num += d * d
			den += v * v
		}
	}
	rel := math.Sqrt(num / den)
	t.Logf("BEM solution: ||dS||/||S|| = %.3g", rel)
	if rel > 1e-6 {
		t.Errorf("BEM solution rel. error %.3g > 1e-6", rel)
	}
}

// matchPositions returns, for each point of a, the index of the identical
// (within 1e-9) point of the flat list b.
func matchPositions(t testing.TB, a [][3]float64, b []float64) []int {
	t.Helper()
	key := func(x, y, z float64) [3]int64 {
		return [3]int64{int64(math.Round(x * 1e7)), int64(math.Round(y * 1e7)), int64(math.Round(z * 1e7))}
	}
	idx := map[[3]int64]int{}
	for j := 0; j < len(b)/3; j++ {
		idx[key(b[3*j], b[3*j+1], b[3*j+2])] = j
	}
	perm := make([]int, len(a))
	for i, p := range a {
		j, ok := idx[key(p[0], p[1], p[2])]
		if !ok {
			t.Fatalf("vertex %d at %v has no match", i, p)
		}
		perm[i] = j
	}
	return perm
}
