package rsa

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

type rdmGolden struct {
	patterns  []float64
	labelOf   []int
	names     []string
	condition []string
	trigger   []int64
	window    []float64
	nEp, nSrc int
}

func readRDMGolden(t *testing.T) *rdmGolden {
	f, err := h5.Open(sharedtest.Golden(t, "rdm.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var g rdmGolden
	var dims []int
	if g.patterns, dims, err = f.ReadFloat64("window_patterns"); err != nil {
		t.Fatal(err)
	}
	g.nEp, g.nSrc = dims[0], dims[1]
	lo, _, err := f.ReadInt64("label_of_source")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range lo {
		g.labelOf = append(g.labelOf, int(v))
	}
	if g.names, err = f.ReadStrings("label_names"); err != nil {
		t.Fatal(err)
	}
	if g.condition, err = f.ReadStrings("condition"); err != nil {
		t.Fatal(err)
	}
	if g.trigger, _, err = f.ReadInt64("trigger_code"); err != nil {
		t.Fatal(err)
	}
	if g.window, _, err = f.ReadFloat64("rdm_window"); err != nil {
		t.Fatal(err)
	}
	return &g
}

// TestGoldenWindowRDM: rdm_window of rdm.h5 from its window_patterns and
// label_of_source, abs diff < 1e-5 (golden README).
func TestGoldenWindowRDM(t *testing.T) {
	g := readRDMGolden(t)
	parcels, err := Parcels(g.labelOf, len(g.names))
	if err != nil {
		t.Fatal(err)
	}
	got := WindowRDMs(g.patterns, g.nEp, g.nSrc, parcels, Correlation, 0)
	if len(got) != len(g.window) {
		t.Fatalf("got %d values, want %d", len(got), len(g.window))
	}
	var worst float64
	for i := range got {
		worst = max(worst, math.Abs(got[i]-g.window[i]))
	}
	t.Logf("rdm_window (%d×%d): max abs diff %.3g", len(g.names), NPairs(g.nEp), worst)
	if worst > 1e-5 {
		t.Fatalf("max abs diff %g > 1e-5", worst)
	}
	// category structure (golden README, "RDM category structure")
	want := map[string][3]float64{
		"fusiform-lh":         {0.44, 0.70, 0.79},
		"fusiform-rh":         {0.59, 0.66, 0.70},
		"lateraloccipital-lh": {0.51, 0.87, 0.95},
		"precentral-lh":       {0.73, 0.79, 0.75},
	}
	np := NPairs(g.nEp)
	for li, name := range g.names {
		w, ok := want[name]
		if !ok {
			continue
		}
		var s [3]float64
		var c [3]int
		for i := 0; i < g.nEp; i++ {
			for j := i + 1; j < g.nEp; j++ {
				fi, fj := g.condition[i] != "scrambled", g.condition[j] != "scrambled"
				k := 2
				switch {
				case fi && fj:
					k = 0
				case !fi && !fj:
					k = 1
				}
				s[k] += got[li*np+PairIndex(i, j, g.nEp)]
				c[k]++
			}
		}
		for k := range s {
			m := s[k] / float64(c[k])
			if math.Abs(m-w[k]) > 0.005 {
				t.Errorf("%s category %d: mean %.4f, README %.2f", name, k, m, w[k])
			}
		}
		t.Logf("%s: faces-faces %.2f scrambled-scrambled %.2f faces-scrambled %.2f", name, s[0]/float64(c[0]), s[1]/float64(c[1]), s[2]/float64(c[2]))
	}
}

// TestHDF5Layout writes the golden window RDMs and checks the layout with
// h5py; with RSATOOLBOX_PATH set, rsatoolbox's own loader opens the file.
func TestHDF5Layout(t *testing.T) {
	g := readRDMGolden(t)
	parcels, err := Parcels(g.labelOf, len(g.names))
	if err != nil {
		t.Fatal(err)
	}
	d := WindowRDMs(g.patterns, g.nEp, g.nSrc, parcels, Correlation, 0)
	path := filepath.Join(t.TempDir(), "rdm_window.h5")
	trial := make([]int64, g.nEp)
	for i := range trial {
		trial[i] = int64(i)
	}
	times := make([]float64, len(g.names))
	for i := range times {
		times[i] = 0.35
	}
	meta := Meta{
		Measure: "correlation", ROI: g.names, Time: times,
		Condition: g.condition, EventID: g.trigger, Trial: trial,
		Descriptors: map[string]string{"parcellation": "aparc", "method": "window"},
		Attrs:       map[string]string{"megflow_config": "metric: correlation\n", "megflow_inputs": "rdm.h5"},
	}
	if err := WriteHDF5(path, d, len(g.names), g.nEp, meta); err != nil {
		t.Fatal(err)
	}
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	back, dims, err := f.ReadFloat64("dissimilarities")
	f.Close()
	if err != nil || dims[0] != len(g.names) || dims[1] != NPairs(g.nEp) {
		t.Fatalf("dissimilarities %v %v", dims, err)
	}
	for i := range back {
		if math.Abs(back[i]-d[i]) > 1e-6 {
			t.Fatalf("value %d: %g vs %g", i, back[i], d[i])
		}
	}
	py := `import h5py,sys
f=h5py.File(sys.argv[1])
a=f.attrs['dissimilarity_measure']; assert isinstance(a,str),type(a)
assert f['rdm_descriptors/roi'].dtype.kind=='S'
assert f['pattern_descriptors/condition'].dtype.kind=='S'
assert len(f['rdm_descriptors'].attrs)==0 and len(f['pattern_descriptors'].attrs)==0
d=f['dissimilarities']; assert d.dtype=='float32' and d.compression=='gzip' and d.shuffle
print('ok')`
	if out, err := exec.Command(sharedtest.Python, "-c", py, path).CombinedOutput(); err != nil {
		if strings.Contains(string(out), "No module named 'h5py'") {
			t.Skip("h5py not installed")
		}
		t.Fatalf("h5py check: %v\n%s", err, out)
	}
	checkRsatoolbox(t, path)
}

// checkRsatoolbox runs scripts/check_rsatoolbox.py on path when
// RSATOOLBOX_PATH is set.
func checkRsatoolbox(t *testing.T, paths ...string) {
	t.Helper()
	if os.Getenv("RSATOOLBOX_PATH") == "" {
		t.Log("RSATOOLBOX_PATH not set: skipping the rsatoolbox loader check (extract rsatoolbox's source and point RSATOOLBOX_PATH at it)")
		return
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "check_rsatoolbox.py")
	out, err := exec.Command(sharedtest.Python, append([]string{script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("rsatoolbox check: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			OK bool `json:"ok"`
		}
		if json.Unmarshal([]byte(line), &r) != nil || !r.OK {
			t.Fatalf("rsatoolbox check: %s", line)
		}
		t.Logf("rsatoolbox: %s", line)
	}
}
