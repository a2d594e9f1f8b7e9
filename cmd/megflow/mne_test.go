package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/megflow/megflow/internal/sharedtest"
)

// mnePython returns a Python interpreter that imports mne and h5py, or
// skips the test.
func mnePython(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("MNE-Python comparison skipped in -short mode")
	}
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(py); err == nil {
			if exec.Command(p, "-c", "import mne, h5py").Run() == nil {
				return p
			}
		}
	}
	t.Skip("MNE-Python with h5py not found (Debian: apt-get install python3-mne python3-h5py); skipping")
	return ""
}

// TestMNEConvertParity checks convert against MNE-Python itself: the
// cropped and picked FIF output read by mne.io.read_raw_fif equals
// raw.crop(tmin, tmax).pick(names) sample for sample, and the HDF5 output
// equals raw.get_data().
func TestMNEConvertParity(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	py := mnePython(t)
	dir := t.TempDir()
	fifOut := filepath.Join(dir, "part_raw.fif")
	h5Out := filepath.Join(dir, "part.h5")
	const tmin, tmax = "1.0005", "3.2"
	const picks = "MEG0731,grad,STI101,EOG062"
	mustRun(t, "-q", "convert", "--fmt", "double", "--tmin", tmin, "--tmax", tmax, "--picks", picks, in, fifOut)
	mustRun(t, "-q", "convert", "--tmin", tmin, "--tmax", tmax, "--picks", picks, in, h5Out)
	script := `
import sys, numpy as np, mne, h5py
mne.set_log_level("error")
src, fif_out, h5_out, tmin, tmax = sys.argv[1:6]
out = mne.io.read_raw_fif(fif_out, preload=True)
ref = mne.io.read_raw_fif(src, preload=True).crop(float(tmin), float(tmax))
ref.pick(out.ch_names)
assert out.ch_names == ref.ch_names, (out.ch_names[:5], ref.ch_names[:5])
assert out.first_samp == ref.first_samp, (out.first_samp, ref.first_samp)
assert out.n_times == ref.n_times, (out.n_times, ref.n_times)
assert out.info["bads"] == ref.info["bads"], (out.info["bads"], ref.info["bads"])
assert np.array_equal(out.get_data(), ref.get_data()), np.abs(out.get_data() - ref.get_data()).max()
with h5py.File(h5_out, "r") as f:
    assert list(f["ch_names"].asstr()[:]) == ref.ch_names
    assert f.attrs["first_samp"] == ref.first_samp
    assert f.attrs["sfreq"] == ref.info["sfreq"]
    assert np.array_equal(f["data"][:], ref.get_data())
    assert np.array_equal(f["times"][:], ref.times)
print("OK", out.first_samp, out.n_times, len(out.ch_names))
`
	cmd := exec.Command(py, "-c", script, in, fifOut, h5Out, tmin, tmax)
	cmd.Env = append(os.Environ(), "MPLBACKEND=Agg")
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "OK") {
		t.Fatalf("MNE comparison failed: %v\n%s", err, b)
	}
	t.Logf("MNE-Python: %s", strings.TrimSpace(string(b)))
}
