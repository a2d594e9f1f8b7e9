package main

import (
	"os/exec"
	"path/filepath"
	"slices"
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
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, c...)
		if code == 0 {
			t.Errorf("megflow %s: exit 0", strings.Join(c, " "))
		}
		t.Logf("%s -> %d: %s", strings.Join(c[2:], " "), code, strings.TrimSpace(errs))
	}
	out := mustRun(t, "inverse", "apply", "--help")
	if !strings.Contains(out, "megflow inverse apply --inv") {
		t.Error("inverse apply --help has no example")
	}
}

// TestInverseCommands runs epochs -> cov -> inverse make -> inverse apply
// on the simulated run with MNE's forward solution and checks the HDF5
// output.
func TestInverseCommands(t *testing.T) {
	py := mnePython(t)
	raw := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	dir := t.TempDir()
	fwd := filepath.Join(dir, "sim-fwd.fif")
	script := `import sys, mne
raw, trans, bem, subj, out = sys.argv[1:6]
info = mne.io.read_info(raw, verbose=False)
src = mne.setup_source_space('fsaverage5', 'oct6', subjects_dir=subj, add_dist=False, verbose=False)
fwd = mne.make_forward_solution(info, trans=trans, src=src, bem=bem, meg=True, eeg=False, mindist=5., verbose=False)
mne.write_forward_solution(out, fwd, verbose=False)`
	cmd := exec.Command(py, "-c", script, raw, sharedtest.Path(t, "data/subjects/fsaverage5/bem/fsaverage5-trans.fif"),
		sharedtest.Golden(t, "fsaverage5-ico4-bem-sol.fif"), sharedtest.Path(t, "data/subjects"), fwd)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	epo := filepath.Join(dir, "sim-epo.fif")
	cov := filepath.Join(dir, "sim-cov.fif")
	inv := filepath.Join(dir, "sim-inv.fif")
	out := filepath.Join(dir, "sim-stc.h5")
	ids := "famous/first=5,famous/immediate=6,famous/long=7,unfamiliar/first=13,unfamiliar/immediate=14,unfamiliar/long=15,scrambled/first=17,scrambled/immediate=18,scrambled/long=19"
	mustRun(t, "-q", "epochs", raw, epo, "--stim", "STI101", "--mask", "4352", "--mask-type", "not_and",
		"--min-duration", "0.003", "--event-id", ids, "--tmin", "-0.2", "--tmax", "0.8", "--decim", "5")
	mustRun(t, "-q", "cov", epo, cov, "--method", "shrunk", "--tmax", "0")
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
	// MNE reads the operator.
	chk := exec.Command(py, "-c", `import sys, mne; inv = mne.minimum_norm.read_inverse_operator(sys.argv[1], verbose=False); print(inv)`, inv)
	if b, err := chk.CombinedOutput(); err != nil {
		t.Fatalf("MNE cannot read %s: %v\n%s", inv, err, b)
	} else {
		t.Logf("MNE: %s", strings.TrimSpace(string(b)))
	}
}
