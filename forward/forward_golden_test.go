package forward

import (
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/internal/sharedtest"
)

// readInfo reads the measurement info of a FIF file.
func readInfo(t testing.TB, path string) *fif.Info {
	t.Helper()
	f, err := tree.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _, err := fif.ReadInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

var (
	goldenBEMOnce sync.Once
	goldenBEM     *fif.BEM
	goldenBEMErr  error
)

// sharedBEM returns the ico4 single-layer BEM solution (computed once).
func sharedBEM(t testing.TB) *fif.BEM {
	t.Helper()
	sd := subjectsDir(t)
	goldenBEMOnce.Do(func() {
		goldenBEM, goldenBEMErr = MakeBEMModel(sd, "fsaverage5", 4, []float64{0.3})
		if goldenBEMErr == nil {
			goldenBEMErr = MakeBEMSolution(goldenBEM)
		}
	})
	if goldenBEMErr != nil {
		t.Fatal(goldenBEMErr)
	}
	return goldenBEM
}

// goldenForward computes the forward solution of the golden setup.
func goldenForward(t testing.TB) *fif.Forward {
	t.Helper()
	sd := subjectsDir(t)
	info := readInfo(t, sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"))
	trans, err := fif.ReadTrans(filepath.Join(sd, "fsaverage5", "bem", "fsaverage5-trans.fif"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{Spacing: "oct6"})
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := MakeForward(info, trans, src, sharedBEM(t), Options{MinDistMM: 5})
	if err != nil {
		t.Fatal(err)
	}
	return fwd
}

// columnStats returns the worst correlation and relative error over the
// columns of got and want (row-major, nrow x ncol).
func columnStats(got, want []float64, nrow, ncol int) (minCorr, maxRel float64) {
	minCorr = 1
	for j := range ncol {
		var sg, sw, sgg, sww, sgw, dd float64
		for i := range nrow {
			g, w := got[i*ncol+j], want[i*ncol+j]
			sg += g
			sw += w
			sgg += g * g
			sww += w * w
			sgw += g * w
			dd += (g - w) * (g - w)
		}
		n := float64(nrow)
		cov := sgw - sg*sw/n
		corr := cov / math.Sqrt((sgg-sg*sg/n)*(sww-sw*sw/n))
		minCorr = math.Min(minCorr, corr)
		maxRel = math.Max(maxRel, math.Sqrt(dd/sww))
	}
	return minCorr, maxRel
}

func TestForwardGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("long: BEM solution and forward")
	}
	g := openGolden(t)
	fwd := goldenForward(t)
	names, err := g.ReadStrings("ch_names")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != fwd.NChan {
		t.Fatalf("%d channels, want %d", fwd.NChan, len(names))
	}
	for i, n := range fwd.ChNames() {
		if n != names[i] {
			t.Fatalf("channel %d is %s, want %s", i, n, names[i])
		}
	}
	for i, hemi := range []string{"lh", "rh"} {
		want := readI(t, g, "forward/src_"+hemi+"/vertno")
		got := fwd.Src[i].Vertno()
		if len(got) != len(want) {
			t.Fatalf("%s: %d sources after mindist, want %d", hemi, len(got), len(want))
		}
		for k := range got {
			if int64(got[k]) != want[k] {
				t.Fatalf("%s: source %d is vertex %d, want %d", hemi, k, got[k], want[k])
			}
		}
	}
	rr, _ := readF(t, g, "forward/source_rr")
	nn, _ := readF(t, g, "forward/source_nn_fixed")
	drr, dnn := maxAbsVec(fwd.SourceRR, rr), maxAbsVec(fwd.SourceNN, nn)
	t.Logf("%d sources; head-frame max |drr| %.3g m, max |dnn| %.3g", fwd.NSource, drr, dnn)
	if drr > 1e-6 || dnn > 1e-6 {
		t.Errorf("source positions/normals differ")
	}
	fixed, err := FixedOrientation(fwd)
	if err != nil {
		t.Fatal(err)
	}
	gf, dims := readF(t, g, "forward/gain_fixed")
	if dims[0] != fwd.NChan || dims[1] != fwd.NSource {
		t.Fatalf("golden gain_fixed is %v", dims)
	}
	c, r := columnStats(fixed.Gain, gf, fwd.NChan, fwd.NSource)
	t.Logf("fixed gain: min column correlation %.7f, max column ||dg||/||g|| %.3g", c, r)
	if c < 0.999 || r > 1e-3 {
		t.Errorf("fixed gain out of tolerance")
	}
	idx := readI(t, g, "forward/free_source_index")
	gs, dims := readF(t, g, "forward/gain_free_sub")
	nsub := dims[1]
	sub := make([]float64, fwd.NChan*nsub*3)
	for ch := range fwd.NChan {
		for k, s := range idx {
			for j := range 3 {
				sub[ch*nsub*3+3*k+j] = fwd.Gain[ch*3*fwd.NSource+3*int(s)+j]
			}
		}
	}
	c, r = columnStats(sub, gs, fwd.NChan, 3*nsub)
	t.Logf("free gain (%d sources): min column correlation %.7f, max column ||dg||/||g|| %.3g", nsub, c, r)
	if c < 0.999 || r > 1e-3 {
		t.Errorf("free gain out of tolerance")
	}
}
