package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

func TestInverseUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"inverse", "make", filepath.Join(dir, "x-inv.fif")},
		{"inverse", "make", "--fwd", "a", "--cov", "b", "--info", "c", "--loose", "1.5", filepath.Join(dir, "x-inv.fif")},
		{"inverse", "make", "--fwd", "a", "--cov", "b", "--info", "c", "--fixed", "--loose", "0.5", filepath.Join(dir, "x-inv.fif")},
		{"inverse", "apply", "--inv", "a", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", "--snr", "2", "--lambda2", "0.1", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", "--method", "eLORETA", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", "--pick-ori", "up", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", "--raw", "c", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", "--tmin", "1", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", "--condition", "x", filepath.Join(dir, "x.h5")},
		{"inverse", "apply", "--inv", "a", "--epochs", "b", filepath.Join(dir, "x.stc")},
		{"inverse", "apply", "--inv", "a", "--raw", "b", "--pick-ori", "vector", filepath.Join(dir, "x-lh.stc")},
		{"inverse", "apply", "--inv", "a", "--raw", "b", "--block", "0", filepath.Join(dir, "x.h5")},
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, c...)
		if code == 0 {
			t.Errorf("megflow %s: exit 0", strings.Join(c, " "))
		}
		t.Logf("%s -> %d: %s", strings.Join(c[2:], " "), code, strings.TrimSpace(errs))
	}
	out := mustRun(t, "inverse", "apply", "--help")
	for _, want := range []string{"megflow inverse apply --inv", "--raw sub-01_raw.fif", "--condition famous/first sub-01-famous.stc"} {
		if !strings.Contains(out, want) {
			t.Errorf("inverse apply --help has no example with %q", want)
		}
	}
}

// TestInverseCommands runs epochs -> cov -> inverse make -> inverse apply
// on the simulated run with MNE's forward solution (sharedtest.MNEForward)
// and checks the HDF5 output of epochs and raw data, and the .stc output of
// an evoked response and of raw data against MNE-Python's apply_inverse and
// apply_inverse_raw on the same operator.
func TestInverseCommands(t *testing.T) {
	py := mnePython(t)
	raw := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	_, fwd := sharedtest.MNEForward(t)
	dir := t.TempDir()
	epo := filepath.Join(dir, "sim-epo.fif")
	ave := filepath.Join(dir, "sim-ave.fif")
	cov := filepath.Join(dir, "sim-cov.fif")
	inv := filepath.Join(dir, "sim-inv.fif")
	out := filepath.Join(dir, "sim-stc.h5")
	ids := "famous/first=5,famous/immediate=6,famous/long=7,unfamiliar/first=13,unfamiliar/immediate=14,unfamiliar/long=15,scrambled/first=17,scrambled/immediate=18,scrambled/long=19"
	mustRun(t, "-q", "epochs", raw, epo, "--stim", "STI101", "--mask", "4352", "--mask-type", "not_and",
		"--min-duration", "0.003", "--event-id", ids, "--tmin", "-0.2", "--tmax", "0.8", "--decim", "5")
	mustRun(t, "-q", "cov", epo, cov, "--method", "shrunk", "--tmax", "0")
	mustRun(t, "-q", "average", epo, ave)
	t.Log(mustRun(t, "inverse", "make", "--fwd", fwd, "--cov", cov, "--info", epo, inv))
	t.Log(mustRun(t, "inverse", "apply", "--inv", inv, "--epochs", epo, "--method", "dSPM", "--snr", "3", out))
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, dims, err := f.ReadFloat64("data")
	if err != nil {
		t.Fatal(err)
	}
	if len(dims) != 3 || dims[1] != 8195 {
		t.Fatalf("data dims %v", dims)
	}
	for _, v := range data {
		if !(v >= 0) {
			t.Fatalf("dSPM (pick_ori none) value %g", v)
		}
	}
	cond, _ := f.ReadStrings("condition")
	ev, _, _ := f.ReadInt64("event_id")
	if len(cond) != dims[0] || len(ev) != dims[0] || !slices.Contains(cond, "famous/first") {
		t.Errorf("conditions %v event ids %v", cond[:min(3, len(cond))], ev[:min(3, len(ev))])
	}
	m, _ := f.ReadStrings("method")
	l2, _, _ := f.ReadFloat64("lambda2")
	if len(m) != 1 || m[0] != "dSPM" || len(l2) != 1 || l2[0] != 1.0/9 {
		t.Errorf("method %v lambda2 %v", m, l2)
	}

	// One evoked response as .stc: --condition is required with several.
	stcEv := filepath.Join(dir, "sim-famous.stc")
	code, _, errs := runCLI(t, "inverse", "apply", "--inv", inv, "--evoked", ave, stcEv)
	if code == 0 || !strings.Contains(errs, "--condition") || !strings.Contains(errs, ave) {
		t.Errorf("several evoked responses to .stc: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "inverse", "apply", "--inv", inv, "--evoked", ave, "--condition", "nope", stcEv)
	if code == 0 || !strings.Contains(errs, "famous/first") {
		t.Errorf("unknown condition: exit %d: %s", code, errs)
	}
	t.Log(mustRun(t, "inverse", "apply", "--inv", inv, "--evoked", ave, "--condition", "famous/first", stcEv))
	// Raw data: HDF5 (pick_ori none) and .stc (normal), 5 s to 6 s.
	rawH5 := filepath.Join(dir, "sim-raw-stc.h5")
	rawStc := filepath.Join(dir, "sim-raw-lh.stc")
	t.Log(mustRun(t, "inverse", "apply", "--inv", inv, "--raw", raw, "--tmin", "5", "--tmax", "6", "--block", "0.3", rawH5))
	t.Log(mustRun(t, "inverse", "apply", "--inv", inv, "--raw", raw, "--tmin", "5", "--tmax", "6", "--pick-ori", "normal", rawStc))
	code, _, errs = runCLI(t, "inverse", "apply", "--inv", inv, "--raw", raw, "--tmax", "100", filepath.Join(dir, "x.h5"))
	if code == 0 || !strings.Contains(errs, "--tmin/--tmax") || !strings.Contains(errs, raw) {
		t.Errorf("tmax beyond the end: exit %d: %s", code, errs)
	}
	for _, p := range []string{"sim-famous-lh.stc", "sim-famous-rh.stc", "sim-raw-lh.stc", "sim-raw-rh.stc"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	rf, err := h5.Open(rawH5)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	rdims, err := rf.Shape("data")
	if err != nil {
		t.Fatal(err)
	}
	times, _, _ := rf.ReadFloat64("times")
	if !slices.Equal(rdims, []int{1, 8195, 1101}) || len(times) != 1101 || times[0] != 5 {
		t.Errorf("raw estimate dims %v, %d times from %v", rdims, len(times), times[:min(1, len(times))])
	}

	// MNE applies the same operator and reads the .stc pairs.
	script := `import sys, json, h5py, numpy as np, mne
from mne.minimum_norm import read_inverse_operator, apply_inverse, apply_inverse_raw
inv_path, ave, raw_path, stc_ev, stc_raw, raw_h5 = sys.argv[1:7]
mne.set_log_level('error')
inv = read_inverse_operator(inv_path)
def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
res = {}
ev = mne.read_evokeds(ave, condition='famous/first')
want = apply_inverse(ev, inv, 1. / 9, 'dSPM')
got = mne.read_source_estimate(stc_ev)
res['evoked_stc'] = rel(got.data, want.data)
res['evoked_tmin'] = got.tmin - want.tmin
raw = mne.io.read_raw_fif(raw_path)
start, stop = 5500, 6601
for pick, key in ((None, 'raw_h5'), ('normal', 'raw_stc')):
    want = apply_inverse_raw(raw, inv, 1. / 9, 'dSPM', start=start, stop=stop, pick_ori=pick)
    if key == 'raw_h5':
        with h5py.File(raw_h5, 'r') as f:
            got = f['data'][0]
            res['raw_h5_times'] = float(np.abs(f['times'][()] - want.times).max())
    else:
        s = mne.read_source_estimate(stc_raw)
        got = s.data
        res['raw_stc_tmin'] = s.tmin - want.tmin
    res[key] = rel(got, want.data)
print(json.dumps(res))`
	cmd := exec.Command(py, "-c", script, inv, ave, raw, strings.TrimSuffix(stcEv, ".stc"), rawStc, rawH5)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("MNE: %v\n%s", err, stderr.String())
	}
	var res map[string]float64
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("MNE output %q: %v", b, err)
	}
	t.Logf("vs MNE: %v", res)
	for _, k := range []string{"evoked_stc", "raw_h5", "raw_stc"} {
		if v, ok := res[k]; !ok || !(v < 1e-3) {
			t.Errorf("%s: relative error %g vs MNE", k, v)
		}
	}
	for _, k := range []string{"evoked_tmin", "raw_h5_times", "raw_stc_tmin"} {
		if v := res[k]; math.Abs(v) > 1e-6 {
			t.Errorf("%s: %g", k, v)
		}
	}

	// A free-orientation operator gives normal estimates too.
	free := filepath.Join(dir, "sim-free-inv.fif")
	mustRun(t, "-q", "inverse", "make", "--fwd", fwd, "--cov", cov, "--info", epo, "--loose", "1", free)
	freeH5 := filepath.Join(dir, "free-normal.h5")
	t.Log(mustRun(t, "inverse", "apply", "--inv", free, "--raw", raw, "--tmin", "5", "--tmax", "5.5", "--pick-ori", "normal", freeH5))
	// MNE applies pick_ori normal to megflow's free operator too (it needs
	// the orientation prior of ones that MNE writes for loose 1).
	mneOut, err := exec.Command(py, "-c", `import sys, h5py, numpy as np, mne
from mne.minimum_norm import read_inverse_operator, apply_inverse_raw
mne.set_log_level('error')
inv = read_inverse_operator(sys.argv[1])
raw = mne.io.read_raw_fif(sys.argv[2])
want = apply_inverse_raw(raw, inv, 1. / 9, 'dSPM', start=5500, stop=6051, pick_ori='normal')
got = h5py.File(sys.argv[3], 'r')['data'][0]
print(float(np.linalg.norm(got - want.data) / np.linalg.norm(want.data)))`, free, raw, freeH5).CombinedOutput()
	if err != nil {
		t.Fatalf("MNE on megflow's free operator: %v\n%s", err, mneOut)
	}
	if v, err := strconv.ParseFloat(strings.TrimSpace(string(mneOut)), 64); err != nil || !(v < 1e-3) {
		t.Errorf("free operator, pick_ori normal: relative error %q vs MNE", mneOut)
	} else {
		t.Logf("free operator, pick_ori normal vs MNE: relative error %.2g", v)
	}
}
