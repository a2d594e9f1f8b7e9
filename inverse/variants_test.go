package inverse_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/inverse"
)

// variantsScript makes MNE's operators for loose 1 (free), fixed, loose
// 0.5 without depth weighting, and stores their singular values, source
// covariances and dSPM noise normalizations.
const variantsScript = `
import sys, h5py, numpy as np, mne
from mne.minimum_norm import make_inverse_operator, prepare_inverse_operator
fwd_path, cov_path, raw_path, names_path, out = sys.argv[1:6]
mne.set_log_level('error')
fwd = mne.read_forward_solution(fwd_path)
cov = mne.read_cov(cov_path)
names = [l.strip() for l in open(names_path) if l.strip()]
info = mne.io.read_info(raw_path)
info = mne.pick_info(info, [info['ch_names'].index(n) for n in names])
with h5py.File(out, 'w') as f:
    for key, kw in (('free', dict(loose=1., depth=0.8)), ('fixed', dict(fixed=True, depth=0.8)),
                    ('loose05_nodepth', dict(loose=0.5, depth=None))):
        inv = make_inverse_operator(info, fwd, cov, **kw)
        f[key + '/sing'] = inv['sing']
        f[key + '/source_cov'] = inv['source_cov']['data']
        f[key + '/noisenorm'] = prepare_inverse_operator(inv, 1, 1. / 9, 'dSPM')['noisenorm']
`

// TestOperatorVariantsVsMNE compares free, fixed and loose-without-depth
// operators with MNE's make_inverse_operator on the same forward solution
// and covariance.
func TestOperatorVariantsVsMNE(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	mneForward(t)
	ff, err := fif.ReadForward(fwdFIF)
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		t.Fatal(err)
	}
	ep := goldenV2(t)
	cov := goldenShrunk(t)
	dir := t.TempDir()
	covPath := filepath.Join(dir, "c-cov.fif")
	if err := fif.WriteCov(covPath, &cov.Cov); err != nil {
		t.Fatal(err)
	}
	namesPath := filepath.Join(dir, "names.txt")
	writeLines(t, namesPath, ep.Info.ChNames())
	out := filepath.Join(dir, "variants.h5")
	cmd := exec.Command(sharedtest.Python, "-c", variantsScript, fwdFIF, covPath, sharedtest.Path(t, "data/sim/facerec_sim_raw.fif"), namesPath, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	f, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	one, half, zero := 1.0, 0.5, 0.0
	variants := map[string]inverse.Options{
		"free":            {Loose: &one},
		"fixed":           {Fixed: true},
		"loose05_nodepth": {Loose: &half, Depth: &zero},
	}
	for key, opt := range variants {
		t.Run(key, func(t *testing.T) {
			op, err := inverse.MakeOperator(ep.Info, fwd, &cov.Cov, opt)
			if err != nil {
				t.Fatal(err)
			}
			k, err := op.Prepare(inverse.DSPM, 1.0/9, inverse.PickNone, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				got  []float64
			}{{"sing", op.Sing}, {"source_cov", op.SourceCov}, {"noisenorm", k.NoiseNorm}} {
				want, _, err := f.ReadFloat64(key + "/" + c.name)
				if err != nil {
					t.Fatal(err)
				}
				if len(want) != len(c.got) {
					t.Fatalf("%s: %d values, MNE %d", c.name, len(c.got), len(want))
				}
				e := relErr(c.got, want)
				t.Logf("%s: rel error %.3g", c.name, e)
				if e >= 1e-3 {
					t.Errorf("%s: rel error %.3g", c.name, e)
				}
			}
		})
	}
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	s := ""
	for _, l := range lines {
		s += l + "\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
