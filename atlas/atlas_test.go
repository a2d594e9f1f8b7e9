package atlas

import (
	"bytes"
	"math"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

func subjectsDir(t *testing.T) string {
	return sharedtest.Path(t, "data/subjects")
}

func readInts(t *testing.T, f *h5.File, name string) []int {
	t.Helper()
	v, _, err := f.ReadInt64(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// TestGoldenLabels: names, hemi, vertices+offsets and label_of_source of
// labels.h5 exactly.
func TestGoldenLabels(t *testing.T) {
	sd := subjectsDir(t)
	f, err := h5.Open(sharedtest.Golden(t, "labels.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.ReadStrings("names")
	if err != nil {
		t.Fatal(err)
	}
	hemi, err := f.ReadStrings("hemi")
	if err != nil {
		t.Fatal(err)
	}
	verts, offs, lofs := readInts(t, f, "vertices"), readInts(t, f, "offsets"), readInts(t, f, "label_of_source")
	labels, err := ReadLabels(sd, "fsaverage5", "aparc")
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != len(names) {
		t.Fatalf("%d labels, want %d", len(labels), len(names))
	}
	for i, l := range labels {
		if l.Name != names[i] || l.Hemi != hemi[i] {
			t.Fatalf("label %d: %s %s, want %s %s", i, l.Name, l.Hemi, names[i], hemi[i])
		}
		want := verts[offs[i]:offs[i+1]]
		if len(want) != len(l.Vertices) {
			t.Fatalf("%s: %d vertices, want %d", l.Name, len(l.Vertices), len(want))
		}
		for k := range want {
			if want[k] != l.Vertices[k] {
				t.Fatalf("%s vertex %d: %d want %d", l.Name, k, l.Vertices[k], want[k])
			}
		}
	}
	fw, err := h5.Open(sharedtest.Golden(t, "forward.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	vertno := [2][]int{readInts(t, fw, "forward/src_lh/vertno"), readInts(t, fw, "forward/src_rh/vertno")}
	got := LabelOfSource(labels, vertno)
	if len(got) != len(lofs) {
		t.Fatalf("%d sources, want %d", len(got), len(lofs))
	}
	nNone := 0
	for i := range got {
		if got[i] != lofs[i] {
			t.Fatalf("source %d: label %d, want %d", i, got[i], lofs[i])
		}
		if got[i] < 0 {
			nNone++
		}
	}
	t.Logf("68 labels, %d vertices, label_of_source of %d sources exact (%d in no label)", len(verts), len(got), nNone)
}

// TestAnnotRoundTrip: ReadAnnot → Bytes → ParseAnnot and
// LabelsToAnnot → LabelsFromAnnot give the same labels.
func TestAnnotRoundTrip(t *testing.T) {
	sd := subjectsDir(t)
	for _, h := range Hemis {
		a, err := ReadAnnot(AnnotPath(sd, "fsaverage5", h, "aparc"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseAnnot(a.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		l1, l2 := LabelsFromAnnot(a, h), LabelsFromAnnot(b, h)
		sameLabels(t, l1, l2)
		a3, err := LabelsToAnnot(l1, h, len(a.Values))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), h+".test.annot")
		if err := WriteAnnot(path, a3); err != nil {
			t.Fatal(err)
		}
		a4, err := ReadAnnot(path)
		if err != nil {
			t.Fatal(err)
		}
		sameLabels(t, l1, LabelsFromAnnot(a4, h))
		if !bytes.Equal(a3.Bytes(), a4.Bytes()) {
			t.Fatal("re-encoding differs")
		}
	}
	if _, err := ParseAnnot([]byte{0, 0, 0, 2, 0, 0}); err == nil {
		t.Fatal("truncated annot accepted")
	}
}

func sameLabels(t *testing.T, a, b []Label) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d labels", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Vertices) != len(b[i].Vertices) || a[i].Color != b[i].Color {
			t.Fatalf("label %d: %s/%d/%v vs %s/%d/%v", i, a[i].Name, len(a[i].Vertices), a[i].Color, b[i].Name, len(b[i].Vertices), b[i].Color)
		}
		for k := range a[i].Vertices {
			if a[i].Vertices[k] != b[i].Vertices[k] {
				t.Fatalf("%s vertex %d differs", a[i].Name, k)
			}
		}
	}
}

// TestExtractAgainstMNE compares the four modes with MNE's
// extract_label_time_course on a synthetic source estimate
// (scripts/mne_labels_compare.py), rel. error < 1e-3 (here ~1e-12).
func TestExtractAgainstMNE(t *testing.T) {
	sd := subjectsDir(t)
	sharedtest.RequireMNE(t)
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "mne_labels_compare.py")
	ref := filepath.Join(t.TempDir(), "mne.h5")
	if out, err := exec.Command(sharedtest.Python, script, sd, "fsaverage5", "aparc", ref).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	f, err := h5.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var src Sources
	for h, hemi := range Hemis {
		src.Vertno[h] = readInts(t, f, "vertno_"+hemi)
		nn, _, err := f.ReadFloat64("nn_" + hemi)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(nn); i += 3 {
			src.NN[h] = append(src.NN[h], geom.Vec3{nn[i], nn[i+1], nn[i+2]})
		}
	}
	data, dims, err := f.ReadFloat64("data")
	if err != nil {
		t.Fatal(err)
	}
	nT := dims[1]
	labels, err := ReadLabels(sd, "fsaverage5", "aparc")
	if err != nil {
		t.Fatal(err)
	}
	flipRef, _, _ := f.ReadFloat64("flip")
	flipOff := readInts(t, f, "flip_offsets")
	for _, mode := range []Mode{Mean, MeanFlip, PCAFlip, Max} {
		e, err := NewExtractor(labels, &src, mode, false)
		if err != nil {
			t.Fatal(err)
		}
		if mode == MeanFlip {
			for l := range labels {
				for i, v := range e.Flip[l] {
					if v != flipRef[flipOff[l]+i] {
						t.Fatalf("%s flip %d: %g, MNE %g", labels[l].Name, i, v, flipRef[flipOff[l]+i])
					}
				}
			}
		}
		got, err := e.Extract(data, nT)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := f.ReadFloat64("tc_" + mode.String())
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for l := range labels {
			var num, den float64
			for k := l * nT; k < (l+1)*nT; k++ {
				num += (got[k] - want[k]) * (got[k] - want[k])
				den += want[k] * want[k]
			}
			worst = max(worst, math.Sqrt(num/den))
		}
		t.Logf("%-9s max rel. error over 68 labels: %.2g", mode, worst)
		if worst > 1e-3 {
			t.Errorf("%s: rel. error %g", mode, worst)
		}
		if mode == Mean || mode == MeanFlip {
			// the folded operator on an identity "kernel" reproduces it
			n := src.N()
			k := make([]float64, n*nT)
			copy(k, data)
			w, err := e.FoldKernel(k, nT)
			if err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if math.Abs(w[i]-got[i]) > 1e-12*(1+math.Abs(got[i])) {
					t.Fatalf("FoldKernel differs at %d", i)
				}
			}
		}
	}
}
