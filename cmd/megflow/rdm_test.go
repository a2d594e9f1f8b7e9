package main

import (
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

// atlasFixture writes a source-estimate file in the inverse stage's
// layout whose samples are all equal to rdm.h5's window_patterns (so every
// window mean is the stored pattern), with rdm.h5's conditions and trigger
// codes, on the forward.h5 source space.
type atlasFixture struct {
	subjectsDir, stc string
	golden           string
	nEp, nSrc, nT    int
}

func newAtlasFixture(t *testing.T) *atlasFixture {
	t.Helper()
	fx := &atlasFixture{subjectsDir: sharedtest.Path(t, "data/subjects"), golden: sharedtest.Golden(t, "rdm.h5")}
	g, err := h5.Open(fx.golden)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	pat, dims, err := g.ReadFloat64("window_patterns")
	if err != nil {
		t.Fatal(err)
	}
	cond, err := g.ReadStrings("condition")
	if err != nil {
		t.Fatal(err)
	}
	trig, _, err := g.ReadInt64("trigger_code")
	if err != nil {
		t.Fatal(err)
	}
	fw, err := h5.Open(sharedtest.Golden(t, "forward.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	fx.nEp, fx.nSrc, fx.nT = dims[0], dims[1], 71
	times := make([]float64, fx.nT)
	for i := range times {
		times[i] = -0.1 + 0.01*float64(i)
	}
	data := make([]float32, fx.nEp*fx.nSrc*fx.nT)
	for e := 0; e < fx.nEp; e++ {
		for s := 0; s < fx.nSrc; s++ {
			for k := 0; k < fx.nT; k++ {
				data[(e*fx.nSrc+s)*fx.nT+k] = float32(pat[e*fx.nSrc+s])
			}
		}
	}
	fx.stc = filepath.Join(t.TempDir(), "stc.h5")
	w, err := h5.Create(fx.stc)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"lh", "rh"} {
		v, _, err := fw.ReadInt64("forward/src_" + h + "/vertno")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteInt64("vertices_"+h, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range []error{
		w.WriteFloat32("data", data, []int{fx.nEp, fx.nSrc, fx.nT}, h5.Chunks(1, fx.nSrc, fx.nT)),
		w.WriteFloat64("times", times, nil),
		w.WriteInt64("event_id", trig, nil),
		w.WriteStrings("condition", cond),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// TestRDMCommandGolden: megflow rdm --method window on a source estimate
// whose window means are rdm.h5's window_patterns reproduces rdm_window
// (abs diff < 1e-5), and the file opens in h5py/rsatoolbox.
func TestRDMCommandGolden(t *testing.T) {
	fx := newAtlasFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "rdm_window.h5")
	mustRun(t, "-q", "rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir,
		"--parc", "aparc", "--method", "window", "--tmin", "0.1", "--tmax", "0.6", "--average-by", "none", out)
	got := readF64(t, out, "dissimilarities")
	want := readF64(t, fx.golden, "rdm_window")
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	var worst float64
	for i := range got {
		worst = max(worst, math.Abs(got[i]-want[i]))
	}
	t.Logf("megflow rdm --method window vs rdm_window: max abs diff %.3g", worst)
	if worst > 1e-5 {
		t.Fatalf("max abs diff %g", worst)
	}
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	roi, _ := f.ReadStrings("rdm_descriptors/roi")
	tm, _, _ := f.ReadFloat64("rdm_descriptors/time")
	cond, _ := f.ReadStrings("pattern_descriptors/condition")
	measure, _ := f.AttrString("/", "dissimilarity_measure")
	f.Close()
	if len(roi) != 68 || roi[0] != "bankssts-lh" || math.Abs(tm[0]-0.35) > 1e-9 || len(cond) != 30 || measure != "correlation" {
		t.Fatalf("descriptors: %d roi %q time %g, %d conditions, measure %q", len(roi), roi[0], tm[0], len(cond), measure)
	}

	// time-resolved (every 10th sample) and parcel-time-course RDMs;
	// averaged by condition (3 patterns) and by stimulus
	outT := filepath.Join(dir, "rdm_time.h5")
	mustRun(t, "-q", "rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir,
		"--method", "time", "--step", "10", "--average-by", "none", outT)
	gt := readF64(t, outT, "dissimilarities")
	nt := 8 // samples 0, 10, ..., 70
	if len(gt) != 68*nt*435 {
		t.Fatalf("time RDMs: %d values, want %d", len(gt), 68*nt*435)
	}
	for p := 0; p < 68; p++ {
		for ti := 0; ti < nt; ti++ {
			for k := 0; k < 435; k += 37 {
				// constant data: every time RDM is the window RDM
				if d := math.Abs(gt[(p*nt+ti)*435+k] - want[p*435+k]); d > 1e-5 {
					t.Fatalf("time RDM parcel %d t %d pair %d: diff %g", p, ti, k, d)
				}
			}
		}
	}
	outC := filepath.Join(dir, "rdm_cond.h5")
	mustRun(t, "-q", "rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir,
		"--method", "window", "--average-by", "stimulus", "--metric", "euclidean", outC)
	outTC := filepath.Join(dir, "rdm_tc.h5")
	mustRun(t, "-q", "rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir,
		"--method", "tc", "--mode", "mean", "--average-by", "condition", "--metric", "euclidean", outTC)
	if d := readF64(t, outTC, "dissimilarities"); len(d) != 68*3 {
		t.Fatalf("tc RDMs by condition: %d values, want 68×3", len(d))
	}
	if code, _, errs := runCLI(t, "rdm", "--stc", fx.stc, "--subject", "fsaverage5", "--subjects-dir", fx.subjectsDir, "--method", "nope", outC); code != exitUsage {
		t.Fatalf("bad --method: exit %d %s", code, errs)
	}
	checkRsatoolboxFiles(t, out, outT, outC, outTC)
}

func readF64(t *testing.T, path, name string) []float64 {
	t.Helper()
	f, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, _, err := f.ReadFloat64(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkRsatoolboxFiles runs scripts/check_rsatoolbox.py (rsatoolbox's own
// loader) when RSATOOLBOX_PATH is set.
func checkRsatoolboxFiles(t *testing.T, paths ...string) {
	t.Helper()
	if os.Getenv("RSATOOLBOX_PATH") == "" {
		t.Log("RSATOOLBOX_PATH not set: skipping the rsatoolbox loader check")
		return
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "check_rsatoolbox.py")
	out, err := exec.Command(sharedtest.Python, append([]string{script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("rsatoolbox check: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		t.Logf("rsatoolbox: %s", line)
	}
}
