package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// TestLabelsAndLabelTC: labels --json gives rdm.h5's label_of_source on
// the forward source space; label-tc on constant data gives the window
// patterns' label means; the white-surface normals used for the flips are
// MNE's source-space normals.
func TestLabelsAndLabelTC(t *testing.T) {
	fx := newAtlasFixture(t)
	out := mustRun(t, "-q", "labels", "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--parc", "aparc", "--stc", fx.stc, "--json")
	var js struct {
		Labels []struct {
			Name     string `json:"name"`
			NSources int    `json:"n_sources"`
		} `json:"labels"`
		LabelOfSource []int `json:"label_of_source"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	want := readF64(t, fx.golden, "label_of_source")
	if len(js.Labels) != 68 || len(js.LabelOfSource) != len(want) {
		t.Fatalf("%d labels, %d sources", len(js.Labels), len(js.LabelOfSource))
	}
	for i := range want {
		if float64(js.LabelOfSource[i]) != want[i] {
			t.Fatalf("source %d: %d want %g", i, js.LabelOfSource[i], want[i])
		}
	}
	text := mustRun(t, "labels", "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir)
	if !strings.Contains(text, "bankssts-lh") {
		t.Fatalf("labels text output: %s", text)
	}

	tcPath := filepath.Join(t.TempDir(), "tc.h5")
	mustRun(t, "-q", "label-tc", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--mode", "mean", tcPath)
	tc := readF64(t, tcPath, "data")
	pat := readF64(t, fx.golden, "window_patterns")
	if len(tc) != fx.nEp*68*fx.nT {
		t.Fatalf("tc: %d values", len(tc))
	}
	for e := 0; e < fx.nEp; e++ {
		sum := make([]float64, 68)
		cnt := make([]float64, 68)
		for s, l := range js.LabelOfSource {
			if l >= 0 {
				sum[l] += pat[e*fx.nSrc+s]
				cnt[l]++
			}
		}
		for l := range sum {
			m := sum[l] / cnt[l]
			if g := tc[(e*68+l)*fx.nT+5]; math.Abs(g-m) > 1e-5*(1+math.Abs(m)) {
				t.Fatalf("epoch %d label %d: %g want %g", e, l, g, m)
			}
		}
	}
	for _, mode := range []string{"mean_flip", "pca_flip", "max"} {
		mustRun(t, "-q", "label-tc", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--mode", mode, tcPath)
	}

	// white-surface vertex normals = MNE's source space nn at vertno
	fw, err := h5.Open(sharedtest.Golden(t, "forward.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	white, err := atlas.ReadSurfaces(fx.subjectsDir, "fsaverage5", "white")
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for h, hemi := range atlas.Hemis {
		vn, _, _ := fw.ReadInt64("source_space/" + hemi + "/vertno")
		nn, _, err := fw.ReadFloat64("source_space/" + hemi + "/nn")
		if err != nil {
			t.Fatal(err)
		}
		m, err := geom.NewMesh(white[h].Rr, white[h].Tris)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vn {
			worst = max(worst, m.NN[v].Sub(geom.Vec3{nn[3*i], nn[3*i+1], nn[3*i+2]}).Norm())
		}
	}
	t.Logf("white-surface normals vs forward.h5 source_space nn: max |diff| %.2g", worst)
	if worst > 1e-6 {
		t.Fatalf("normals differ by %g", worst)
	}
}

// writeGoldenSrc writes a -src.fif with forward.h5's oct6 source spaces
// (MNE's setup_source_space, before the mindist exclusion: more sources
// than the estimates have): positions and normals of the vertices in use
// as MNE computed them, zero for the other vertices. normal, when not
// nil, replaces every normal; rhFirst writes the right hemisphere first;
// drop removes vertex drop[1] of hemisphere drop[0] from the sources.
func writeGoldenSrc(t *testing.T, path string, normal *[3]float64, rhFirst bool, drop *[2]int) {
	t.Helper()
	fw, err := h5.Open(sharedtest.Golden(t, "forward.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	var spaces []*fif.SourceSpace
	for h, hemi := range atlas.Hemis {
		vn, _, err := fw.ReadInt64("source_space/" + hemi + "/vertno")
		if err != nil {
			t.Fatal(err)
		}
		rr, _, err := fw.ReadFloat64("source_space/" + hemi + "/rr")
		if err != nil {
			t.Fatal(err)
		}
		nn, _, err := fw.ReadFloat64("source_space/" + hemi + "/nn")
		if err != nil {
			t.Fatal(err)
		}
		np, err := fw.AttrInt64("source_space/"+hemi, "np")
		if err != nil {
			t.Fatal(err)
		}
		s := &fif.SourceSpace{Type: fif.SpaceSurface, ID: fif.SourceSpaceLH + int32(h), CoordFrame: fif.FrameMRI, SubjectHisID: "fsaverage5",
			Rr: make([][3]float64, np), NN: make([][3]float64, np), Inuse: make([]int32, np)}
		for i, v := range vn {
			s.Inuse[v] = 1
			copy(s.Rr[v][:], rr[3*i:3*i+3])
			copy(s.NN[v][:], nn[3*i:3*i+3])
			if normal != nil {
				s.NN[v] = *normal
			}
		}
		if drop != nil && drop[0] == h {
			s.Inuse[drop[1]] = 0
		}
		spaces = append(spaces, s)
	}
	if rhFirst {
		spaces[0], spaces[1] = spaces[1], spaces[0]
	}
	if err := fif.WriteSourceSpaces(path, spaces); err != nil {
		t.Fatal(err)
	}
}

// TestLabelTCSourceSpaceFIF: label-tc and rdm --method tc take the source
// normals from --src (a -src.fif; the same reader serves --inv, whose
// source spaces sit in the same blocks, see TestGoldenParcelTimeCourses):
// MNE's source-space normals give the same flips as the white surfaces;
// all-parallel normals turn mean_flip into mean; hemisphere order follows
// the space ids; estimates with a source the file lacks are refused.
func TestLabelTCSourceSpaceFIF(t *testing.T) {
	fx := newAtlasFixture(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "fsaverage5-oct6-src.fif")
	writeGoldenSrc(t, src, nil, false, nil)
	srcRH := filepath.Join(dir, "rh-first-src.fif")
	writeGoldenSrc(t, srcRH, nil, true, nil)
	srcZ := filepath.Join(dir, "z-src.fif")
	writeGoldenSrc(t, srcZ, &[3]float64{0, 0, 1}, false, nil)
	lhVert := readF64(t, fx.stc, "vertices_lh")
	srcBad := filepath.Join(dir, "bad-src.fif")
	writeGoldenSrc(t, srcBad, nil, false, &[2]int{0, int(lhVert[7])})

	base := []string{"-q", "label-tc", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir}
	run := func(name string, extra ...string) []float64 {
		t.Helper()
		out := filepath.Join(dir, name+".h5")
		mustRun(t, append(append(append([]string{}, base...), extra...), out)...)
		return readF64(t, out, "data")
	}
	maxDiff := func(a, b []float64) (float64, float64) {
		var d, s float64
		for i := range a {
			d = max(d, math.Abs(a[i]-b[i]))
			s = max(s, math.Abs(b[i]))
		}
		return d, s
	}
	// labels --src labels the sources in use of the file as --stc those
	// of the estimates: the source space has one source more (the forward
	// behind the estimates dropped one within 5 mm of the skull).
	lbl := func(flag, path string) []int {
		out := mustRun(t, "-q", "labels", "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--parc", "aparc", flag, path, "--json")
		var js struct {
			LabelOfSource []int `json:"label_of_source"`
		}
		if err := json.Unmarshal([]byte(out), &js); err != nil {
			t.Fatal(err)
		}
		return js.LabelOfSource
	}
	viaFile, viaStc := lbl("--src", src), lbl("--stc", fx.stc)
	k := 0
	for k < len(viaStc) && viaFile[k] == viaStc[k] {
		k++
	}
	if len(viaFile) != len(viaStc)+1 || !slices.Equal(viaFile[k+1:], viaStc[k:]) {
		t.Errorf("labels --src: %d sources, --stc: %d; they differ beyond the one dropped source (first difference at %d)", len(viaFile), len(viaStc), k)
	}
	for _, mode := range []string{"mean_flip", "pca_flip"} {
		white := run(mode+"_white", "--mode", mode)
		viaSrc := run(mode+"_src", "--mode", mode, "--src", src)
		viaRH := run(mode+"_rh", "--mode", mode, "--src", srcRH)
		d, s := maxDiff(viaSrc, white)
		d2, _ := maxDiff(viaRH, viaSrc)
		t.Logf("%s: --src vs white surfaces max abs diff %.3g (max |tc| %.3g); rh-first file vs lh-first %.3g", mode, d, s, d2)
		if d > 1e-6*s || d2 != 0 {
			t.Errorf("%s: --src differs from the white-surface normals by %g (scale %g), hemisphere order by %g", mode, d, s, d2)
		}
	}
	mean := run("mean", "--mode", "mean")
	flipZ := run("flip_z", "--mode", "mean_flip", "--src", srcZ)
	flip := run("flip", "--mode", "mean_flip", "--src", src)
	d, s := maxDiff(flipZ, mean)
	dFlip, _ := maxDiff(flip, mean)
	t.Logf("mean_flip with parallel normals vs mean: %.3g (scale %.3g); with MNE's normals vs mean: %.3g", d, s, dFlip)
	if d > 1e-6*s || dFlip < 1e-3*s {
		t.Errorf("normals from --src are not used: parallel normals %g, MNE's %g from mean (scale %g)", d, dFlip, s)
	}
	f, err := h5.Open(filepath.Join(dir, "flip.h5"))
	if err != nil {
		t.Fatal(err)
	}
	attr, _ := f.AttrString("/", "normals")
	f.Close()
	if attr != "source space fsaverage5-oct6-src.fif" {
		t.Errorf("normals attribute %q", attr)
	}

	// rdm --method tc with --src equals the white-surface run
	rdmBase := []string{"-q", "rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--method", "tc", "--average-by", "none", "--float64"}
	mustRun(t, append(append([]string{}, rdmBase...), filepath.Join(dir, "rdm_white.h5"))...)
	mustRun(t, append(append([]string{}, rdmBase...), "--src", src, filepath.Join(dir, "rdm_src.h5"))...)
	if d, s := maxDiff(readF64(t, filepath.Join(dir, "rdm_src.h5"), "dissimilarities"), readF64(t, filepath.Join(dir, "rdm_white.h5"), "dissimilarities")); d > 1e-9 {
		t.Errorf("rdm --method tc --src vs white surfaces: max abs diff %g (scale %g)", d, s)
	}

	// errors
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"label-tc", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--src", src, "--inv", src, filepath.Join(dir, "x.h5")}, exitUsage, "either --src or --inv"},
		{[]string{"label-tc", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--src", srcBad, filepath.Join(dir, "x.h5")}, 1, "is not a source"},
		{[]string{"rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--method", "window", "--inv", srcBad, filepath.Join(dir, "x.h5")}, 1, "is not a source"},
		{[]string{"label-tc", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--inv", fx.stc, filepath.Join(dir, "x.h5")}, 1, ""},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code == 0 || (c.code == exitUsage) != (code == exitUsage) || !strings.Contains(stderr, c.want) {
			t.Errorf("megflow %s: exit %d, stderr %q (want exit %d, %q)", strings.Join(c.args[:1], " "), code, stderr, c.code, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.h5")); err == nil {
			t.Errorf("megflow %s left an output", c.args[0])
		}
	}
}
