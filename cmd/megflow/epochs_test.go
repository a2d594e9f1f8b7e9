package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

// compareScript returns the path of scripts/mne_epochs_compare.py.
func compareScript(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "mne_epochs_compare.py")
}

// runCompare writes cfg as JSON and runs the comparison script on it.
func runCompare(t *testing.T, py string, cfg map[string]any) map[string]any {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "cfg.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, compareScript(t), p)
	cmd.Env = append(os.Environ(), "MPLBACKEND=Agg")
	out, err := cmd.Output()
	var rep map[string]any
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("comparison script failed: %v\n%s\n%s", err, out, stderr)
	}
	t.Logf("MNE comparison: %s", strings.Join(strings.Fields(string(out)), " "))
	if err != nil {
		t.Errorf("MNE comparison failed: %v", rep["failures"])
	}
	return rep
}

var simEventID = []string{"famous/first=5", "famous/immediate=6", "famous/long=7",
	"unfamiliar/first=13", "unfamiliar/immediate=14", "unfamiliar/long=15",
	"scrambled/first=17", "scrambled/immediate=18", "scrambled/long=19"}

func simEventIDMap() map[string]int {
	m := map[string]int{}
	for _, s := range simEventID {
		k, v, _ := strings.Cut(s, "=")
		var n int
		for _, c := range v {
			n = 10*n + int(c-'0')
		}
		m[k] = n
	}
	return m
}

// TestMNEEpochsParity runs megflow epochs / average / cov on two
// concatenated runs of the simulated recording (trigger channel with mask,
// trigger delay, 4x decimation with MNE's offset, MEG + EOG picks,
// rejection in a window, flat test, equalized counts) and checks with
// MNE-Python that the files read back as what mne.Epochs,
// mne.concatenate_epochs, equalize_event_counts, average(by_event_type=True)
// and compute_covariance give.
func TestMNEEpochsParity(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	py := mnePython(t)
	dir := t.TempDir()
	// A second run: the recording with extra sensor noise (saved by MNE).
	run2 := filepath.Join(dir, "run2_raw.fif")
	mk := exec.Command(py, "-c", `
import sys, numpy as np, mne
mne.set_log_level("error")
raw = mne.io.read_raw_fif(sys.argv[1], preload=True)
picks = mne.pick_types(raw.info, meg=True)
rng = np.random.RandomState(0)
raw._data[picks] += 0.3 * raw._data[picks].std(axis=1, keepdims=True) * rng.randn(len(picks), raw.n_times)
raw.save(sys.argv[2], overwrite=True)
`, in, run2)
	if b, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("making a second run: %v\n%s", err, b)
	}
	epo := filepath.Join(dir, "sim-epo.fif")
	ave := filepath.Join(dir, "sim-ave.fif")
	mneEpo := filepath.Join(dir, "mne-epo.fif")
	args := []string{"-q", "epochs", in + "," + run2, epo, "--stim", "STI101", "--mask", "4352",
		"--mask-type", "not_and", "--min-duration", "0.003", "--shift", "0.0345",
		"--tmin", "-0.1", "--tmax", "0.5", "--decim", "4", "--picks", "meg,eog",
		"--reject", "grad=2500e-13,mag=3.5e-12,eog=400e-6", "--flat", "mag=1e-15",
		"--reject-tmin", "0", "--reject-tmax", "0.4", "--equalize", "--fmt", "double", "--json"}
	for _, id := range simEventID {
		args = append(args, "--event-id", id)
	}
	var sum epochsSummary
	if err := json.Unmarshal([]byte(mustRun(t, args...)), &sum); err != nil {
		t.Fatal(err)
	}
	t.Logf("megflow: %d epochs of %d events, drop reasons %v", sum.NEpochs, sum.NEvents, sum.Dropped)
	mustRun(t, "-q", "average", epo, ave)
	var covs []map[string]any
	for _, c := range []struct {
		method string
		tmin   *float64
	}{{"empirical", nil}, {"shrunk", nil}, {"diagonal_fixed", f64Ptr(-0.05)}} {
		out := filepath.Join(dir, c.method+"-cov.fif")
		a := []string{"-q", "cov", epo, out, "--method", c.method, "--tmax", "0"}
		cfg := map[string]any{"file": out, "method": c.method, "tmax": 0.0}
		if c.tmin != nil {
			a = append(a, "--tmin", "-0.05")
			cfg["tmin"] = *c.tmin
		}
		mustRun(t, a...)
		covs = append(covs, cfg)
	}
	runCompare(t, py, map[string]any{
		"raws":  []string{in, run2},
		"stim":  map[string]any{"stim_channel": "STI101", "mask": 4352, "mask_type": "not_and", "min_duration": 0.003},
		"shift": 0.0345, "event_id": orderedIDs(), "tmin": -0.1, "tmax": 0.5,
		"decim": 4, "picks": "meg,eog",
		"reject": map[string]float64{"grad": 2500e-13, "mag": 3.5e-12, "eog": 400e-6},
		"flat":   map[string]float64{"mag": 1e-15}, "reject_tmin": 0.0, "reject_tmax": 0.4,
		"equalize": true, "fmt": "double", "epo": epo, "ave": ave, "covs": covs,
		"save_mne_epo": mneEpo, "tol": 1e-9, "cov_tol": 1e-9,
	})

	// megflow reads MNE's -epo.fif back as the epochs it wrote itself.
	mine, err := epochs.Read(epo)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := epochs.Read(mneEpo)
	if err != nil {
		t.Fatal(err)
	}
	if theirs.Len() != mine.Len() || len(theirs.DropLog) != len(mine.DropLog) {
		t.Fatalf("MNE's file: %d epochs / %d log entries, megflow's %d / %d", theirs.Len(), len(theirs.DropLog), mine.Len(), len(mine.DropLog))
	}
	for i := range mine.Events {
		if mine.Events[i] != theirs.Events[i] || mine.Selection[i] != theirs.Selection[i] {
			t.Fatalf("epoch %d: event %v sel %d (megflow) vs %v sel %d (MNE)", i, mine.Events[i], mine.Selection[i], theirs.Events[i], theirs.Selection[i])
		}
	}
	if mine.EventID.String() != theirs.EventID.String() || mine.Reject.String() != theirs.Reject.String() {
		t.Errorf("event id / reject differ: %s %s vs %s %s", mine.EventID, mine.Reject, theirs.EventID, theirs.Reject)
	}
	// MNE saves float32: compare within its precision, relative to the
	// channel's largest value.
	worst := 0.0
	nch, nt := mine.NChan(), mine.NTimes()
	for k := range nch {
		peak, d := 0.0, 0.0
		for i := range mine.Len() {
			a, b := mine.Epoch(i)[k*nt:(k+1)*nt], theirs.Epoch(i)[k*nt:(k+1)*nt]
			for j := range a {
				peak = max(peak, absDiff(a[j]))
				d = max(d, absDiff(a[j]-b[j]))
			}
		}
		if peak > 0 {
			worst = max(worst, d/peak)
		}
	}
	t.Logf("MNE's -epo.fif read by megflow: %d epochs, data within %.3g of each channel's peak", theirs.Len(), worst)
	if worst > 1e-7 {
		t.Errorf("MNE's saved epochs differ from megflow's by %.3g of the channel peak", worst)
	}
}

func absDiff(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func f64Ptr(v float64) *float64 { return &v }

// orderedIDs is the event id as a JSON object in condition order.
func orderedIDs() json.RawMessage {
	parts := make([]string, len(simEventID))
	m := simEventIDMap()
	for i, s := range simEventID {
		k, _, _ := strings.Cut(s, "=")
		b, _ := json.Marshal(k)
		parts[i] = string(b) + ":" + jsonInt(m[k])
	}
	return json.RawMessage("{" + strings.Join(parts, ",") + "}")
}

func jsonInt(v int) string { b, _ := json.Marshal(v); return string(b) }

// TestMNEProjRawCovParity checks SSP projectors (applied by megflow
// epochs, which makes the data rank deficient) and the raw covariance
// against MNE. The recording with projectors is made by MNE
// (compute_proj_raw) in a temporary directory.
func TestMNEProjRawCovParity(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	py := mnePython(t)
	dir := t.TempDir()
	projRaw := filepath.Join(dir, "proj_raw.fif")
	mk := exec.Command(py, "-c", `
import sys, mne
mne.set_log_level("error")
raw = mne.io.read_raw_fif(sys.argv[1], preload=True)
projs = mne.compute_proj_raw(raw, duration=5, n_grad=2, n_mag=1, n_eeg=0)
raw.add_proj(projs)
raw.save(sys.argv[2], overwrite=True)
`, in, projRaw)
	if b, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("making a recording with projectors: %v\n%s", err, b)
	}
	raw, err := fif.OpenRaw(projRaw, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Info.Projs) != 3 {
		t.Fatalf("%d projectors, want 3", len(raw.Info.Projs))
	}
	raw.Close()
	epo := filepath.Join(dir, "proj-epo.fif")
	args := []string{"-q", "epochs", projRaw, epo, "--stim", "STI101", "--mask", "4352",
		"--mask-type", "not_and", "--min-duration", "0.003", "--tmax", "0.6", "--decim", "2", "--fmt", "double"}
	for _, id := range simEventID {
		args = append(args, "--event-id", id)
	}
	mustRun(t, args...)
	empCov := filepath.Join(dir, "emp-cov.fif")
	mustRun(t, "-q", "cov", epo, empCov, "--tmax", "0")
	infoCov := filepath.Join(dir, "info-cov.fif")
	mustRun(t, "-q", "cov", epo, infoCov, "--tmax", "0", "--rank", "info")
	rawEmp := filepath.Join(dir, "raw-emp-cov.fif")
	mustRun(t, "-q", "cov", in, rawEmp, "--tmin", "2", "--tmax", "30", "--reject", "grad=2500e-13,mag=3.5e-12")
	rawShrunk := filepath.Join(dir, "raw-shrunk-cov.fif")
	mustRun(t, "-q", "cov", in, rawShrunk, "--tmin", "2", "--tmax", "30", "--method", "shrunk")
	runCompare(t, py, map[string]any{
		"raws":     []string{projRaw},
		"stim":     map[string]any{"stim_channel": "STI101", "mask": 4352, "mask_type": "not_and", "min_duration": 0.003},
		"event_id": orderedIDs(), "tmin": -0.2, "tmax": 0.6, "decim": 2, "fmt": "double", "epo": epo,
		"covs": []map[string]any{
			{"file": empCov, "method": "empirical", "tmax": 0.0},
			{"file": infoCov, "method": "empirical", "tmax": 0.0, "rank": "info"},
		},
		"raw_covs": []map[string]any{
			{"file": rawEmp, "raw": in, "method": "empirical", "tmin": 2.0, "tmax": 30.0, "reject": map[string]float64{"grad": 2500e-13, "mag": 3.5e-12}},
			{"file": rawShrunk, "raw": in, "method": "shrunk", "tmin": 2.0, "tmax": 30.0},
		},
		"tol": 1e-9, "cov_tol": 1e-9,
	})
}

func simArgs(in, out string, extra ...string) []string {
	args := []string{"-q", "epochs", in, out, "--stim", "STI101", "--mask", "4352",
		"--mask-type", "not_and", "--min-duration", "0.003"}
	for _, id := range simEventID {
		args = append(args, "--event-id", id)
	}
	return append(args, extra...)
}

// TestEpochsCLIGolden reproduces the golden v1 epochs and covariances from
// the raw recording in one command (the 40 Hz low-pass applied on the fly)
// and checks them against epochs.h5 and covariance.h5.
func TestEpochsCLIGolden(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	ef, err := h5.Open(sharedtest.Golden(t, "epochs.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	cf, err := h5.Open(sharedtest.Golden(t, "covariance.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	dir := t.TempDir()
	epo := filepath.Join(dir, "v1-epo.fif")
	out := mustRun(t, simArgs(in, epo, "--h-freq", "40", "--tmax", "0.8", "--decim", "5",
		"--reject", "grad=4000e-13,mag=4e-12", "--fmt", "double", "--json")...)
	var sum epochsSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.NEpochs != 28 || sum.NDropped != 2 || sum.Dropped["MEG1211"] != 2 || sum.Counts["famous/first"] != 4 {
		t.Errorf("summary: %+v", sum)
	}
	ep, err := epochs.Read(epo)
	if err != nil {
		t.Fatal(err)
	}
	sel, _, _ := ef.ReadInt64("v1_decim5_reject/selection")
	for i, s := range ep.Selection {
		if int64(s) != sel[i] {
			t.Fatalf("selection %v, golden %v", ep.Selection, sel)
		}
	}
	dl, _ := ef.AttrString("v1_decim5_reject", "drop_log")
	var want [][]string
	_ = json.Unmarshal([]byte(dl), &want)
	for i := range want {
		if strings.Join(ep.DropLog[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("drop log %d: %v, golden %v", i, ep.DropLog[i], want[i])
		}
	}
	first, dims, _ := ef.ReadFloat64("v1_decim5_reject/data_first")
	worst := 0.0
	per := dims[1] * dims[2]
	for i, v := range first {
		e := ep.Epoch(i / per)
		worst = max(worst, absDiff(v-e[i%per]))
	}
	t.Logf("data_first max abs error %.3g T(/m)", worst)
	if worst > 1e-20 {
		t.Errorf("data_first differs by %.3g", worst)
	}
	for _, method := range []string{"empirical", "shrunk"} {
		cov := filepath.Join(dir, method+"-cov.fif")
		var cs covSummary
		if err := json.Unmarshal([]byte(mustRun(t, "-q", "cov", epo, cov, "--method", method, "--tmax", "0", "--json")), &cs); err != nil {
			t.Fatal(err)
		}
		c, err := fif.ReadCov(cov)
		if err != nil {
			t.Fatal(err)
		}
		g, _, _ := cf.ReadFloat64(method + "/data")
		d, n := 0.0, 0.0
		for i := range g {
			d += (c.Data[i] - g[i]) * (c.Data[i] - g[i])
			n += g[i] * g[i]
		}
		rel := math.Sqrt(d / n)
		t.Logf("%s: ||dC||/||C|| = %.3g, nfree %d, shrinkage %v", method, rel, c.NFree, cs.Shrinkage)
		if rel > 1e-9 || c.NFree != 1259 || c.Method != method {
			t.Errorf("%s covariance: rel %.3g nfree %d method %q", method, rel, c.NFree, c.Method)
		}
	}
	ave := filepath.Join(dir, "v1-ave.fif")
	mustRun(t, "-q", "average", epo, ave, "--conditions", "famous,unfamiliar,scrambled")
	evs, err := fif.ReadEvokeds(ave)
	if err != nil || len(evs) != 3 || evs[0].Nave != 10 || evs[1].Nave != 8 || evs[2].Nave != 10 {
		t.Fatalf("averages: %v", err)
	}
}

func TestEpochsCLIErrors(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	out := filepath.Join(dir, "x-epo.fif")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-q", "epochs", in, out, "--event-id", "face=99"}, 1, "no matching events found for face (event id 99)"},
		{simArgs(in, out, "--tmin", "0.5", "--tmax", "0.2"), 1, "tmin (0.5 s) must be less than tmax"},
		{simArgs(in, out, "--baseline", "-1,0"), 1, "outside of the epoch"},
		{simArgs(in, out, "--reject", "eeg=1e-4"), 1, "no EEG channels"},
		{simArgs(in, out, "--reject", "grad=1e-14"), 1, "every epoch was dropped"},
		{simArgs(in, out, "--event-id", "x"), 2, "not a 32-bit integer"},
		{simArgs(in, out, "--decim", "0"), 2, "--decim"},
		{simArgs(in, out, "--baseline", "0"), 2, "baseline"},
		{[]string{"-q", "epochs", in + "," + in, out, "--events", "a-eve.fif"}, 2, "one per recording"},
		{[]string{"-q", "epochs", in, out, "--events", "a-eve.fif", "--stim", "STI101"}, 2, "one or the other"},
		{simArgs(in, out, "--picks", "eeg"), 2, "--picks"},
		{[]string{"-q", "cov", in, out, "--method", "oas"}, 2, "--method"},
		{[]string{"-q", "average", filepath.Join(dir, "none-epo.fif"), out}, 1, "cannot read"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("megflow %s: exit %d (want %d), stderr %q (want %q)", strings.Join(c.args[1:3], " "), code, c.code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s written despite the error", out)
		}
	}
}
