package main

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/preprocess"
)

func TestResampleCommand(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	out := filepath.Join(dir, "sim220_raw.fif")
	eve := filepath.Join(dir, "sim-eve.fif")
	eveOut := filepath.Join(dir, "sim220-eve.fif")
	mustRun(t, "-q", "events", "--out", eve, in)
	mustRun(t, "-q", "resample", "--sfreq", "220", "--fmt", "double", "--events", eve, "--events-out", eveOut, in, out)

	raw, err := fif.OpenRaw(in, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	want, err := preprocess.Resample(context.Background(), raw, preprocess.ResampleOptions{SFreq: 220})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	got, err := fif.OpenRaw(out, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Info.SFreq != 220 || got.Info.Lowpass != 110 || got.FirstSamp != 2750 || got.NTimes != 10381 {
		t.Errorf("output: sfreq %v lowpass %v first %d n %d", got.Info.SFreq, got.Info.Lowpass, got.FirstSamp, got.NTimes)
	}
	a, err := got.Read(nil, 0, got.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]float64, len(a))
	if err := want.ReadAll(b, 0, got.NTimes); err != nil {
		t.Fatal(err)
	}
	// Stored as value/cal in float64, read back as stored*cal: equal to
	// within one rounding.
	for i := range a {
		if math.Abs(a[i]-b[i]) > 4e-16*math.Abs(b[i]) {
			t.Fatalf("value %d: file %v, preprocess.Resample %v", i, a[i], b[i])
		}
	}
	h := got.Info.ProcHistory
	if len(h) == 0 || !strings.Contains(h[len(h)-1].Creator, "resample sfreq=220 npad=auto") {
		t.Errorf("processing history: %+v", h)
	}
	ev, err := fif.ReadEvents(eve)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := fif.ReadEvents(eveOut)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(moved, preprocess.ResampleEvents(ev, 0.2, 2750, 10381)) {
		t.Errorf("resampled events: %v", moved)
	}
}

func TestResampleCommandErrors(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	out := filepath.Join(dir, "x_raw.fif")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"resample", in, out}, exitUsage, "--sfreq is required"},
		{[]string{"resample", "--sfreq", "0", in, out}, exitUsage, "must be a positive number"},
		{[]string{"resample", "--sfreq", "-100", in, out}, exitUsage, "must be a positive number"},
		{[]string{"resample", "--sfreq", "100", "--npad", "-3", in, out}, exitUsage, "--npad"},
		{[]string{"resample", "--sfreq", "100", "--events", "a-eve.fif", in, out}, exitUsage, "go together"},
		{[]string{"resample", "--sfreq", "100", in, filepath.Join(dir, "x.h5")}, exitUsage, "must end in .fif"},
		{[]string{"resample", "--sfreq", "100", in, in}, exitUsage, "is the input file"},
		{[]string{"resample", "--sfreq", "100", filepath.Join(dir, "missing.fif"), out}, exitError, "cannot read"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("megflow %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written despite the errors")
	}
	for in, want := range map[string]int64{"256MB": 256 << 20, "4GB": 4 << 30, "1.5kB": 1536, "1000": 1000} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseMemory("-1MB"); err == nil {
		t.Error("parseMemory(-1MB) accepted")
	}
	help := mustRun(t, "resample", "--help")
	for _, s := range []string{"raw.resample", "--events-out", "Examples:", "reflect_limited"} {
		if !strings.Contains(help, s) {
			t.Errorf("help lacks %q", s)
		}
	}
}

// TestMNEResampleParity checks the command against MNE-Python on a split
// recording (MNE resamples each part on its own) with explicit npad, and
// the default call on the unsplit file, comparing every channel (stim
// included) and the events (skipped without MNE).
func TestMNEResampleParity(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	py := mnePython(t)
	dir := t.TempDir()
	split := filepath.Join(dir, "split_raw.fif")
	mustRun(t, "-q", "convert", "--fmt", "double", "--split-size", "9MB", in, split)
	if _, err := os.Stat(filepath.Join(dir, "split_raw-1.fif")); err != nil {
		t.Fatalf("convert did not split the file: %v", err)
	}
	eve := filepath.Join(dir, "sim-eve.fif")
	mustRun(t, "-q", "events", "--out", eve, in)
	outs := map[string][]string{
		"split": {"--npad", "64", split, filepath.Join(dir, "split250_raw.fif")},
		"whole": {"--events", eve, "--events-out", filepath.Join(dir, "whole333-eve.fif"), in, filepath.Join(dir, "whole333_raw.fif")},
	}
	mustRun(t, append([]string{"-q", "resample", "--sfreq", "250", "--fmt", "double"}, outs["split"]...)...)
	mustRun(t, append([]string{"-q", "resample", "--sfreq", "333.3", "--fmt", "double"}, outs["whole"]...)...)
	script := `
import sys, numpy as np, mne
mne.set_log_level("error")
d = sys.argv[1]
def check(ref, path, what):
    out = mne.io.read_raw_fif(path, preload=True)
    assert out.first_samp == ref.first_samp, (what, out.first_samp, ref.first_samp)
    assert out.n_times == ref.n_times, (what, out.n_times, ref.n_times)
    # FIF stores sfreq and lowpass as float32, as MNE's own save does.
    f32 = lambda v: float(np.float32(v))
    assert out.info["sfreq"] == f32(ref.info["sfreq"]), (what, out.info["sfreq"])
    assert out.info["lowpass"] == f32(ref.info["lowpass"]), (what, out.info["lowpass"])
    a, b = out.get_data(), ref.get_data()
    sd = b.std(axis=1); sd[sd == 0] = 1
    err = (np.abs(a - b).max(axis=1) / sd).max()
    assert err < 1e-6, (what, err)
    print(what, "max err/std %.2g" % err)
raw = mne.io.read_raw_fif(d + "/split_raw.fif", preload=True)
assert len(raw._raw_lengths) > 1
check(raw.copy().resample(250., npad=64), d + "/split250_raw.fif", "split")
raw = mne.io.read_raw_fif(sys.argv[2], preload=True)
ev = mne.read_events(d + "/sim-eve.fif")
ref, ev2 = raw.copy().resample(333.3, events=ev)
check(ref, d + "/whole333_raw.fif", "whole")
assert np.array_equal(mne.read_events(d + "/whole333-eve.fif"), ev2)
print("OK")
`
	cmd := exec.Command(py, "-c", script, dir, in)
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "OK") {
		t.Fatalf("MNE comparison failed: %v\n%s", err, b)
	}
	t.Logf("MNE-Python: %s", strings.TrimSpace(string(b)))
}

// TestSplitSegments checks the per-part lengths of a split recording.
func TestSplitSegments(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	split := filepath.Join(dir, "split_raw.fif")
	mustRun(t, "-q", "convert", "--split-size", "12MB", in, split)
	raw, err := fif.OpenRaw(split, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	segs, err := splitSegments(raw, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, s := range segs {
		sum += s
	}
	if len(segs) != len(raw.Paths) || len(segs) < 2 || sum != raw.NTimes {
		t.Errorf("segments %v for %d parts, %d samples", segs, len(raw.Paths), raw.NTimes)
	}
}
