package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/atlas"
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
