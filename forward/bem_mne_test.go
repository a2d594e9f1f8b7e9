package forward

import (
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/sharedtest"
)

// sphereBEM builds a BEM of concentric octahedral spheres (outermost first).
func sphereBEM(t *testing.T, level int, radii, sigma []float64, ids []int32) *fif.BEM {
	t.Helper()
	rr, tris, err := OctSphere(level)
	if err != nil {
		t.Fatal(err)
	}
	b := &fif.BEM{}
	for i, r := range radii {
		pts := make([]geom.Vec3, len(rr))
		for k, p := range rr {
			pts[k] = p.Scale(r).Add(geom.Vec3{0, 0, 0.04})
		}
		s, err := newBEMSurface(pts, tris, ids[i], sigma[i], "sphere")
		if err != nil {
			t.Fatal(err)
		}
		b.Surfs = append(b.Surfs, s)
	}
	return b
}

// TestThreeLayerBEMvsMNE solves a three-layer BEM (isolated problem
// approach) of concentric spheres with megflow and with MNE-Python on the
// same surfaces (written by megflow as a -bem.fif), and compares the
// solutions; it also checks a single layer the same way.
func TestThreeLayerBEMvsMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	cases := []struct {
		name  string
		radii []float64
		sigma []float64
		ids   []int32
	}{
		{"three", []float64{0.09, 0.085, 0.08}, []float64{0.3, 0.006, 0.3}, []int32{fif.BEMSurfHead, fif.BEMSurfSkull, fif.BEMSurfBrain}},
		{"one", []float64{0.08}, []float64{0.3}, []int32{fif.BEMSurfBrain}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := sphereBEM(t, 4, c.radii, c.sigma, c.ids)
			dir := t.TempDir()
			surfs := filepath.Join(dir, "surf-bem.fif")
			if err := fif.WriteBEM(surfs, b); err != nil {
				t.Fatal(err)
			}
			if err := MakeBEMSolution(b); err != nil {
				t.Fatal(err)
			}
			mine := filepath.Join(dir, "mine-bem-sol.fif")
			if err := fif.WriteBEM(mine, b); err != nil {
				t.Fatal(err)
			}
			ref := filepath.Join(dir, "mne-bem-sol.fif")
			script := `
import sys, mne
mne.set_log_level("ERROR")
s = mne.read_bem_surfaces(sys.argv[1])
sol = mne.make_bem_solution(s)
mne.write_bem_solution(sys.argv[2], sol, overwrite=True)
mine = mne.read_bem_solution(sys.argv[3])
assert mine["solution"].shape == sol["solution"].shape
`
			if out, err := exec.Command(sharedtest.Python, "-c", script, surfs, ref, mine).CombinedOutput(); err != nil {
				t.Fatalf("MNE: %v\n%s", err, out)
			}
			r, err := fif.ReadBEM(ref)
			if err != nil {
				t.Fatal(err)
			}
			// Compare with the single-precision solution both files hold.
			m, err := fif.ReadBEM(mine)
			if err != nil {
				t.Fatal(err)
			}
			var num, den float64
			for i, v := range r.Solution {
				d := m.Solution[i] - v
				num += d * d
				den += v * v
			}
			rel := math.Sqrt(num / den)
			t.Logf("%s-layer BEM (%d vertices): ||dS||/||S|| = %.3g", c.name, r.NSol(), rel)
			if rel > 1e-6 {
				t.Errorf("solution differs from MNE's: %.3g", rel)
			}
		})
	}
}

// TestSphereForwardVsMNE compares the spherical-model forward solution
// with mne.make_forward_solution(..., bem=make_sphere_model(r0, None)).
func TestSphereForwardVsMNE(t *testing.T) {
	sharedtest.RequireMNE(t)
	sd := subjectsDir(t)
	raw := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	transPath := filepath.Join(sd, "fsaverage5", "bem", "fsaverage5-trans.fif")
	info := readInfo(t, raw)
	trans, err := fif.ReadTrans(transPath)
	if err != nil {
		t.Fatal(err)
	}
	src, err := SetupSourceSpace(sd, "fsaverage5", SourceSpaceOptions{Spacing: "oct4"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srcPath := filepath.Join(dir, "oct4-src.fif")
	if err := fif.WriteSourceSpaces(srcPath, src); err != nil {
		t.Fatal(err)
	}
	fwd, err := MakeForward(info, trans, src, nil, Options{Sphere: &Sphere{R0: geom.Vec3{0, 0, 0.04}}})
	if err != nil {
		t.Fatal(err)
	}
	fwdPath := filepath.Join(dir, "sphere-fwd.fif")
	if err := fif.WriteForward(fwdPath, fwd); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np, mne
mne.set_log_level("ERROR")
raw, trans, src, fwd, refpath, mnesrc, sd = sys.argv[1:8]
sph = mne.make_sphere_model(r0=(0., 0., 0.04), head_radius=None)
ref = mne.make_forward_solution(mne.io.read_info(raw), trans, mne.read_source_spaces(src), sph, meg=True, eeg=False, mindist=0)
got = mne.read_forward_solution(fwd)
assert ref["nsource"] == got["nsource"], (ref["nsource"], got["nsource"])
r, g = ref["sol"]["data"], got["sol"]["data"]
rel = np.linalg.norm(g - r, axis=0) / np.linalg.norm(r, axis=0)
assert rel.max() < 1e-3, rel.max()
mne.write_forward_solution(refpath, ref, overwrite=True)
mne.write_source_spaces(mnesrc, mne.setup_source_space("fsaverage5", spacing="oct4", add_dist=False, subjects_dir=sd), overwrite=True)
print(rel.max())
`
	refPath := filepath.Join(dir, "mne-sphere-fwd.fif")
	mneSrc := filepath.Join(dir, "mne-oct4-src.fif")
	out, err := exec.Command(sharedtest.Python, "-c", script, raw, transPath, srcPath, fwdPath, refPath, mneSrc, sd).CombinedOutput()
	if err != nil {
		t.Fatalf("MNE: %v\n%s", err, out)
	}
	t.Logf("sphere model vs MNE: max column rel. error %s", out)

	// megflow reads MNE's files.
	ref, err := fif.ReadForward(refPath)
	if err != nil {
		t.Fatal(err)
	}
	if ref.NSource != fwd.NSource || ref.NChan != fwd.NChan || ref.SourceOri != fif.FreeOri {
		t.Fatalf("MNE forward read as %d sources, %d channels", ref.NSource, ref.NChan)
	}
	c, r := columnStats(fwd.Gain, ref.Gain, fwd.NChan, 3*fwd.NSource)
	t.Logf("megflow reading MNE's -fwd.fif: min corr %.7f, max rel %.3g", c, r)
	if c < 0.999 || r > 1e-3 {
		t.Errorf("MNE's forward read back differs")
	}
	for i, n := range ref.ChNames() {
		if n != fwd.Chs[i].Name {
			t.Fatalf("channel %d: %s vs %s", i, n, fwd.Chs[i].Name)
		}
	}
	ms, err := fif.ReadSourceSpaces(mneSrc)
	if err != nil {
		t.Fatal(err)
	}
	for h := range 2 {
		a, b := ms[h].Vertno(), src[h].Vertno()
		if len(a) != len(b) {
			t.Fatalf("oct4 hemisphere %d: MNE %d sources, megflow %d", h, len(a), len(b))
		}
		for k := range a {
			if a[k] != b[k] {
				t.Fatalf("oct4 hemisphere %d: source %d is vertex %d in MNE, %d in megflow", h, k, a[k], b[k])
			}
		}
		if len(ms[h].UseTris) != len(src[h].UseTris) {
			t.Errorf("use_tris %d vs %d", len(ms[h].UseTris), len(src[h].UseTris))
		}
	}
}
