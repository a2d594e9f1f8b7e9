package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/internal/sharedtest"
)

// TestParcellateCommand: aparc → 450 parcels written as .annot, identical
// on re-run.
func TestParcellateCommand(t *testing.T) {
	sd := sharedtest.Path(t, "data/subjects")
	dir := t.TempDir()
	subj := filepath.Join(dir, "fsaverage5")
	if err := os.MkdirAll(filepath.Join(subj, "label"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(sd, "fsaverage5", "surf"), filepath.Join(subj, "surf")); err != nil {
		t.Fatal(err)
	}
	for _, h := range atlas.Hemis {
		b, err := os.ReadFile(atlas.AnnotPath(sd, "fsaverage5", h, "aparc"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(atlas.AnnotPath(dir, "fsaverage5", h, "aparc"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, "-q", "parcellate", "--subject", "fsaverage5", "--subjects-dir", dir, "--parc", "aparc", "--n-parcels", "450", "--out-parc", "aparc_sub", "--json")
	var js struct {
		N  int     `json:"n_parcels"`
		CV float64 `json:"area_cv"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	if js.N < 440 || js.N > 460 {
		t.Fatalf("%d parcels", js.N)
	}
	first, _ := os.ReadFile(atlas.AnnotPath(dir, "fsaverage5", "lh", "aparc_sub"))
	mustRun(t, "-q", "parcellate", "--subject", "fsaverage5", "--subjects-dir", dir, "--out-parc", "aparc_sub")
	second, _ := os.ReadFile(atlas.AnnotPath(dir, "fsaverage5", "lh", "aparc_sub"))
	if len(first) == 0 || !bytes.Equal(first, second) {
		t.Fatal("re-run differs")
	}
	labels, err := atlas.ReadLabels(dir, "fsaverage5", "aparc_sub")
	if err != nil || len(labels) != js.N {
		t.Fatalf("%d labels read back (%v)", len(labels), err)
	}
	t.Logf("parcellate: %d parcels, area CV %.3f", js.N, js.CV)
}
