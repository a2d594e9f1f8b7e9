package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
)

// TestForwardPipelineCmd runs source-space, bem and forward on the shared
// fsaverage5 data, reads the outputs back and, with MNE-Python, checks that
// MNE reads them and that its view of the gain matches the golden one.
func TestForwardPipelineCmd(t *testing.T) {
	if testing.Short() {
		t.Skip("long: BEM solution and forward solution")
	}
	sd := filepath.Dir(filepath.Dir(sharedtest.Path(t, "data/subjects/fsaverage5/surf/lh.white")))
	sd = filepath.Dir(sd)
	raw := sharedtest.Path(t, "data/sim/facerec_sim_raw.fif")
	trans := filepath.Join(sd, "fsaverage5", "bem", "fsaverage5-trans.fif")
	dir := t.TempDir()
	src := filepath.Join(dir, "fs5-oct6-src.fif")
	bem := filepath.Join(dir, "fs5-ico4-bem-sol.fif")
	fwdPath := filepath.Join(dir, "fs5-oct6-fwd.fif")
	mustRun(t, "source-space", "--subject", "fsaverage5", "--subjects-dir", sd, "--spacing", "oct6", src)
	mustRun(t, "bem", "--subject", "fsaverage5", "--subjects-dir", sd, "--ico", "4", "--conductivity", "0.3", bem)
	mustRun(t, "forward", "--info", raw, "--trans", trans, "--src", src, "--bem", bem, "--mindist", "5", fwdPath)

	s, err := fif.ReadSourceSpaces(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].NUse() != 4098 || s[1].NUse() != 4098 {
		t.Fatalf("source spaces: %d", len(s))
	}
	b, err := fif.ReadBEM(bem)
	if err != nil {
		t.Fatal(err)
	}
	if b.NSol() != 2562 || len(b.Solution) != 2562*2562 {
		t.Fatalf("BEM: %d vertices", b.NSol())
	}
	fwd, err := fif.ReadForward(fwdPath)
	if err != nil {
		t.Fatal(err)
	}
	if fwd.NSource != 8195 || fwd.NChan != 306 || fwd.SourceOri != fif.FreeOri {
		t.Fatalf("forward: %d sources, %d channels", fwd.NSource, fwd.NChan)
	}
	// Refuses to overwrite.
	if code, _, _ := runCLI(t, "source-space", "--subject", "fsaverage5", "--subjects-dir", sd, src); code != exitUsage {
		t.Errorf("overwrite without --overwrite: exit %d", code)
	}

	sharedtest.RequireMNE(t)
	script := `
import sys, numpy as np, h5py, mne
mne.set_log_level("ERROR")
src, bem, fwd, golden = sys.argv[1:5]
g = h5py.File(golden, "r")
s = mne.read_source_spaces(src)
for h, ss in zip(("lh", "rh"), s):
    assert np.array_equal(ss["vertno"], g["source_space/%s/vertno" % h][()]), h
b = mne.read_bem_solution(bem)
assert b["solution"].shape == (2562, 2562)
f = mne.read_forward_solution(fwd)
assert f["nsource"] == 8195 and f["nchan"] == 306
ff = mne.convert_forward_solution(f, surf_ori=True, force_fixed=True, use_cps=True)
ref = g["forward/gain_fixed"][()]
got = ff["sol"]["data"]
rel = np.linalg.norm(got - ref, axis=0) / np.linalg.norm(ref, axis=0)
assert rel.max() < 1e-3, rel.max()
print("ok %.3g" % rel.max())
`
	out, err := exec.Command(sharedtest.Python, "-c", script, src, bem, fwdPath, sharedtest.Golden(t, "forward.h5")).CombinedOutput()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("MNE check failed: %v\n%s", err, out)
	}
	t.Logf("MNE reads megflow's files; fixed gain max column rel. error %s", strings.TrimSpace(string(out)))
}

func TestForwardCmdUsage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.fif")
	for _, args := range [][]string{
		{"source-space", out},
		{"bem", "--subject", "s", "--subjects-dir", dir, "--conductivity", "0.3,0.1", out},
		{"forward", "--info", "a", "--trans", "b", "--src", "c", out},
		{"forward", "--info", "a", "--trans", "b", "--src", "c", "--bem", "d", "--sphere", "auto", out},
	} {
		if code, _, errs := runCLI(t, args...); code == 0 {
			t.Errorf("megflow %v succeeded: %s", args, errs)
		}
	}
	if code, _, errs := runCLI(t, "bem", "--subject", "nobody", "--subjects-dir", dir, out); code != exitError || !strings.Contains(errs, "not found") {
		t.Errorf("missing subject: exit %d: %s", code, errs)
	}
}
