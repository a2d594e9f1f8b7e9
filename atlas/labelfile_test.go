package atlas

import (
	"math"
	"path/filepath"
	"testing"
)

func TestLabelFileRoundTrip(t *testing.T) {
	sd := subjectsDir(t)
	labels, err := ReadLabels(sd, "fsaverage5", "aparc")
	if err != nil {
		t.Fatal(err)
	}
	white, err := ReadSurfaces(sd, "fsaverage5", "white")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := labels[0]
	path, err := WriteLabelFile(dir, l, white[HemiIndex(l.Hemi)])
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "bankssts-lh.label" {
		t.Fatalf("path %s", path)
	}
	lf, hemi, err := ReadLabelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if hemi != "lh" || len(lf.Vertices) != len(l.Vertices) {
		t.Fatalf("hemi %q, %d vertices", hemi, len(lf.Vertices))
	}
	for i, v := range lf.Vertices {
		if v != l.Vertices[i] || lf.Pos[i].Sub(white[0].Rr[v]).Norm() > 1e-3 || math.IsNaN(lf.Values[i]) {
			t.Fatalf("vertex %d: %d %v", i, v, lf.Pos[i])
		}
	}
	if _, err := ParseLabelFile([]byte("#c\n2\n1 0 0 0 0\n")); err == nil {
		t.Fatal("truncated label accepted")
	}
}
