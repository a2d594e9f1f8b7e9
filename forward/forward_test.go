package forward

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/sharedtest"
)

func TestOctSphereCounts(t *testing.T) {
	for level, want := range map[int][2]int{1: {6, 8}, 2: {18, 32}, 4: {258, 512}, 6: {4098, 8192}} {
		rr, tris, err := OctSphere(level)
		if err != nil {
			t.Fatal(err)
		}
		if len(rr) != want[0] || len(tris) != want[1] {
			t.Errorf("oct%d: %d vertices, %d triangles; want %v", level, len(rr), len(tris), want)
		}
		m, _ := geom.NewMesh(rr, tris)
		if err := m.CheckClosed("oct"); err != nil {
			t.Errorf("oct%d: %v", level, err)
		}
	}
	if _, _, err := OctSphere(0); err == nil {
		t.Error("level 0 accepted")
	}
}

func TestNthElementAndBallTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 200; n += 7 {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(rng.IntN(10))
		}
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
		}
		less := func(a, b int32) bool {
			if vals[a] == vals[b] {
				return a < b
			}
			return vals[a] < vals[b]
		}
		nth := rng.IntN(n)
		nthElement(idx, nth, less)
		sorted := slices.Clone(idx)
		slices.SortFunc(sorted, func(a, b int32) int {
			if less(a, b) {
				return -1
			}
			return 1
		})
		if idx[nth] != sorted[nth] {
			t.Fatalf("n=%d nth=%d: got %d want %d", n, nth, idx[nth], sorted[nth])
		}
		for i := range nth {
			if less(idx[nth], idx[i]) {
				t.Fatalf("element before nth is larger")
			}
		}
	}
	pts := make([]geom.Vec3, 3000)
	for i := range pts {
		pts[i] = geom.Vec3{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	}
	tree := newBallTree(pts)
	for range 200 {
		q := geom.Vec3{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		got := tree.nearest(q)
		want := nearestVertices(pts, []geom.Vec3{q})[0]
		if got != want {
			t.Fatalf("nearest %d, brute force %d", got, want)
		}
	}
}

func TestFixedOrientation(t *testing.T) {
	f := &fif.Forward{SourceOri: fif.FreeOri, NChan: 1, NSource: 2, Gain: []float64{1, 2, 3, 4, 5, 6},
		SourceNN: [][3]float64{{0, 0, 1}, {1, 0, 0}}}
	g, err := FixedOrientation(f)
	if err != nil {
		t.Fatal(err)
	}
	if g.Gain[0] != 3 || g.Gain[1] != 4 || g.SourceOri != fif.FixedOri {
		t.Fatalf("fixed gain %v", g.Gain)
	}
}

// fakeSubject makes a subjects dir with a copy of fsaverage5's surfaces
// and lets the caller replace files.
func fakeSubject(t *testing.T) string {
	t.Helper()
	real := filepath.Join(subjectsDir(t), "fsaverage5")
	dir := t.TempDir()
	for _, sub := range []string{"surf", "bem"} {
		if err := os.MkdirAll(filepath.Join(dir, "fake", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"surf/lh.white", "surf/rh.white", "surf/lh.sphere", "surf/rh.sphere", "bem/inner_skull.surf"} {
		b, err := os.ReadFile(filepath.Join(real, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "fake", f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSphereVertexMismatch(t *testing.T) {
	dir := fakeSubject(t)
	rr, tris, _ := OctSphere(1)
	if err := geom.WriteSurface(filepath.Join(dir, "fake", "surf", "rh.sphere"), &geom.Surface{Rr: rr, Tris: tris}); err != nil {
		t.Fatal(err)
	}
	_, err := SetupSourceSpace(dir, "fake", SourceSpaceOptions{})
	if err == nil || !strings.Contains(err.Error(), "rh.sphere has 6 vertices") {
		t.Fatalf("got %v", err)
	}
}

func TestBEMNotClosed(t *testing.T) {
	dir := fakeSubject(t)
	p := filepath.Join(dir, "fake", "bem", "inner_skull.surf")
	s, err := geom.ReadSurface(p)
	if err != nil {
		t.Fatal(err)
	}
	s.Tris = s.Tris[1:]
	if err := geom.WriteSurface(p, s); err != nil {
		t.Fatal(err)
	}
	_, err = MakeBEMModel(dir, "fake", -1, []float64{0.3})
	if err == nil || !strings.Contains(err.Error(), "not closed") {
		t.Fatalf("got %v", err)
	}
	if _, err := MakeBEMModel(dir, "fake", 4, []float64{0.3}); err == nil || !strings.Contains(err.Error(), "icosahedron") {
		t.Fatalf("ico check: got %v", err)
	}
	if _, err := MakeBEMModel(dir, "fake", 4, []float64{0.3, 0.1}); err == nil {
		t.Fatal("two conductivities accepted")
	}
}

func TestForwardErrors(t *testing.T) {
	sd := subjectsDir(t)
	info := readInfo(t, sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"))
	trans, err := fif.ReadTrans(filepath.Join(sd, "fsaverage5", "bem", "fsaverage5-trans.fif"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bem, err := fif.ReadBEM(sharedtest.Golden(t, "fsaverage5-ico4-bem-sol.fif"))
	if err != nil {
		t.Fatal(err)
	}
	bad := &fif.Transform{From: fif.FrameDevice, To: fif.FrameHead, M: trans.M}
	if _, err := MakeForward(info, bad, src, bem, Options{}); err == nil || !strings.Contains(err.Error(), "expected MRI") {
		t.Errorf("wrong frames: %v", err)
	}
	// Shrinking the head by 3 puts the helmet inside the inner skull.
	mh, err := MRIHeadTransform(trans)
	if err != nil {
		t.Fatal(err)
	}
	squeezed := *mh
	for i := range 3 {
		for j := range 4 {
			squeezed.M[i][j] *= 3
		}
	}
	if _, err := MakeForward(info, &squeezed, src, bem, Options{MinDistMM: 5}); err == nil || !strings.Contains(err.Error(), "inside the inner skull") {
		t.Errorf("sensors inside: %v", err)
	}
	if _, err := MakeForward(info, trans, src, nil, Options{}); err == nil {
		t.Error("no BEM accepted")
	}
}

func TestSphereModelVsBEM(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	sd := subjectsDir(t)
	info := readInfo(t, sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"))
	trans, err := fif.ReadTrans(filepath.Join(sd, "fsaverage5", "bem", "fsaverage5-trans.fif"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{Spacing: "oct3"})
	if err != nil {
		t.Fatal(err)
	}
	bem, err := fif.ReadBEM(sharedtest.Golden(t, "fsaverage5-ico4-bem-sol.fif"))
	if err != nil {
		t.Fatal(err)
	}
	fb, err := MakeForward(info, trans, src, bem, Options{MinDistMM: 5})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := MakeForward(info, trans, src, bem, Options{MinDistMM: 5, Sphere: &Sphere{R0: geom.Vec3{0, 0, 0.04}}})
	if err != nil {
		t.Fatal(err)
	}
	// For MEG a sphere and a realistic single-layer BEM give similar
	// fields (volume currents matter little): median column correlation.
	c, _ := columnStats(fs.Gain, fb.Gain, fb.NChan, 3*fb.NSource)
	var cs []float64
	ncol := 3 * fb.NSource
	for j := range ncol {
		cj, _ := columnStats(colOf(fs.Gain, fb.NChan, ncol, j), colOf(fb.Gain, fb.NChan, ncol, j), fb.NChan, 1)
		cs = append(cs, cj)
	}
	slices.Sort(cs)
	t.Logf("sphere vs BEM: min corr %.3f, median %.4f", c, cs[len(cs)/2])
	if cs[len(cs)/2] < 0.95 || math.IsNaN(c) {
		t.Errorf("sphere model far from the BEM: median correlation %.3f", cs[len(cs)/2])
	}
}

func colOf(a []float64, nrow, ncol, j int) []float64 {
	out := make([]float64, nrow)
	for i := range nrow {
		out[i] = a[i*ncol+j]
	}
	return out
}
