package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
)

const (
	ermRawFile = "data/fif/test_move_anon_erm_raw.fif"
	sssCalFile = "data/maxfilter/sss_cal_3053.dat"
	ctSparse   = "data/maxfilter/ct_sparse.fif"
)

// TestMaxwellCLI runs the erm tSSS variant of the golden data through the
// command and checks the JSON report, the output file and the data.
func TestMaxwellCLI(t *testing.T) {
	in := sharedtest.Path(t, ermRawFile)
	golden := sharedtest.Golden(t, "maxwell.h5")
	out := filepath.Join(t.TempDir(), "erm_tsss_raw.fif")
	stdout := mustRun(t, "-q", "maxwell", "--json", "--frame", "meg", "--origin", "0,0.013,-0.006",
		"--regularize", "none", "--bad-condition", "ignore", "--st-duration", "1", in, out)
	var rep struct {
		NFree      int     `json:"nfree"`
		NInKept    int     `json:"n_in_kept"`
		NOutKept   int     `json:"n_out_kept"`
		Components []int   `json:"components"`
		Condition  float64 `json:"condition_number"`
		Projected  []int   `json:"tsss_n_projected"`
		Windows    []struct {
			Start, Stop int64
			TMin        float64 `json:"tmin"`
			NProjected  int     `json:"n_projected"`
		} `json:"windows"`
		Frame string `json:"frame"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.NFree != 80 || rep.NInKept != 80 || rep.NOutKept != 15 || len(rep.Components) != 95 || rep.Frame != "meg" {
		t.Fatalf("report %+v", rep)
	}
	if !slices.Equal(rep.Projected, []int{4}) || len(rep.Windows) != 1 || rep.Windows[0].Stop != 1201 || !(rep.Condition > 1) {
		t.Fatalf("tSSS report %+v", rep)
	}
	raw, err := fif.OpenRaw(out, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if sss := raw.Info.ProcHistory[0].MaxInfo.SSSInfo; sss == nil || *sss.NFree != 80 {
		t.Fatalf("no SSS record in the output")
	}
	if !strings.Contains(raw.Info.ProcHistory[0].Creator, "maxwell") {
		t.Errorf("creator %q", raw.Info.ProcHistory[0].Creator)
	}
	g, err := h5.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	names, _ := g.ReadStrings("erm/ch_names")
	ref, _, err := g.ReadFloat64("erm/e_tsss1/data")
	if err != nil {
		t.Fatal(err)
	}
	data, err := raw.Read(nil, 0, raw.NTimes)
	if err != nil {
		t.Fatal(err)
	}
	n := int(raw.NTimes)
	worst := math.Inf(1)
	for r, name := range names {
		i := raw.Info.ChIndex(name)
		num, den := 0.0, 0.0
		for s := range n {
			e := ref[r*n+s]
			num += e * e
			den += (data[i*n+s] - e) * (data[i*n+s] - e)
		}
		worst = math.Min(worst, math.Sqrt(num/den))
	}
	if worst < 1000 {
		t.Fatalf("SNR vs MNE %g", worst)
	}
	// Filtering the output again is refused.
	code, _, stderr := runCLI(t, "maxwell", "--frame", "meg", out, filepath.Join(t.TempDir(), "again_raw.fif"))
	if code != 1 || !strings.Contains(stderr, "already been applied") {
		t.Errorf("refiltering: exit %d %q", code, stderr)
	}
}

func TestMaxwellCLIErrors(t *testing.T) {
	in := sharedtest.Path(t, ermRawFile)
	sim := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	out := filepath.Join(dir, "out_raw.fif")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{in, out}, 1, "dev_head_t"},
		{[]string{"--frame", "meg", "--int-order", "17", in, out}, 1, "exceeds the number of good MEG channels"},
		{[]string{"--frame", "meg", "--calibration", sharedtest.Path(t, ctSparse), in, out}, 1, "ct_sparse.fif"},
		{[]string{"--frame", "meg", "--cross-talk", sharedtest.Path(t, sssCalFile), in, out}, 1, "sss_cal_3053.dat"},
		{[]string{"--frame", "sideways", in, out}, 2, "--frame"},
		{[]string{"--regularize", "out", in, out}, 2, "--regularize"},
		{[]string{"--origin", "1,2", in, out}, 2, "--origin"},
		{[]string{"--bad-condition", "panic", in, out}, 2, "--bad-condition"},
		{[]string{"--st-correlation", "2", in, out}, 2, "--st-correlation"},
		{[]string{"--bads", "MEG9999", sim, out}, 2, "MEG9999"},
		{[]string{"--frame", "meg", "--destination", "0,0,0.04", in, out}, 1, "destination"},
		{[]string{"--st-duration", "100", sim, out}, 1, "st_duration"},
		{[]string{sim, filepath.Join(dir, "out.h5")}, 2, ".fif"},
	} {
		code, _, stderr := runCLI(t, append([]string{"maxwell"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("maxwell %q: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, stderr, c.msg)
		}
	}
	if left := dirNames(t, dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// A fine-calibration file that lacks channels.
	b, err := os.ReadFile(sharedtest.Path(t, sssCalFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	short := filepath.Join(t.TempDir(), "short_cal.dat")
	os.WriteFile(short, []byte(strings.Join(lines[1:], "")), 0o644)
	code, _, stderr := runCLI(t, "maxwell", "--frame", "meg", "--calibration", short, in, out)
	if code != 1 || !strings.Contains(stderr, "MEG0113") {
		t.Errorf("short calibration: exit %d %q", code, stderr)
	}
}

// TestMNEMaxwellParity runs scripts/mne_maxwell_compare.py, which filters
// with MNE-Python and megflow on parameters other than the golden ones
// and checks SNR, kept components, tSSS counts and MNE's reading of the
// output.
func TestMNEMaxwellParity(t *testing.T) {
	sim := sharedtest.Path(t, simRaw)
	erm := sharedtest.Path(t, ermRawFile)
	other := sharedtest.Path(t, "data/fif/141027_cropped_90Hz_raw.fif")
	cal := sharedtest.Path(t, sssCalFile)
	ct := sharedtest.Path(t, ctSparse)
	py := mnePython(t)
	bin := filepath.Join(t.TempDir(), "megflow")
	cal3d := write3DCal(t, cal)
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	for _, args := range [][]string{
		// origin auto (sphere fit), an extra bad channel, tSSS 4 s with a lumped tail
		{sim, "--bads", "MEG2443", "--st-duration", "4"},
		// lower orders, translated destination, no regularization
		{sim, "--int-order", "6", "--ext-order", "2", "--regularize", "none", "--destination", "0,0.005,0.05", "--bad-condition", "warning"},
		// MaxShield empty room, device frame, fine calibration + cross-talk, bads
		{erm, "--frame", "meg", "--int-order", "7", "--calibration", cal, "--cross-talk", ct, "--bads", "MEG0111,MEG2443", "--st-duration", "0.5", "--st-correlation", "0.9"},
		// tSSS buffers shorter than the channel count (QR route, small-rank fallback)
		{erm, "--frame", "meg", "--origin", "0,0.013,-0.006", "--st-duration", "0.15"},
		// 3D gradiometer imbalance (16-column lines), head frame
		{sim, "--calibration", cal3d, "--origin", "0,0,0.04"},
		// old T1 magnetometer coil types (fixed to T3), device frame, auto origin
		{other, "--frame", "meg", "--st-duration", "4"},
	} {
		cmd := exec.Command(py, append([]string{"../../scripts/mne_maxwell_compare.py", "--megflow", bin}, args...)...)
		cmd.Env = append(os.Environ(), "MPLBACKEND=Agg")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		var res struct {
			OK       bool     `json:"ok"`
			Failures []string `json:"failures"`
			Min      float64  `json:"snr_min"`
			Median   float64  `json:"snr_median"`
			NFree    int      `json:"nfree_megflow"`
			TSSS     []int    `json:"tsss_megflow"`
		}
		if jerr := json.Unmarshal(b, &res); jerr != nil {
			t.Fatalf("%q: %v %v\n%s\n%s", args[1:], err, jerr, b, stderr.String())
		}
		t.Logf("%q: SNR min %.3g median %.3g, nfree %d, tSSS %v", args[1:], res.Min, res.Median, res.NFree, res.TSSS)
		if !res.OK || err != nil {
			t.Errorf("%q: %v (%v)\n%s", args[1:], res.Failures, err, b)
		}
	}
}

// TestMaxwellDestinationFile: a FIF file as --destination (its
// dev_head_t, here the recording's own) reconstructs at that position, so
// the output equals the one without --destination.
func TestMaxwellDestinationFile(t *testing.T) {
	in := sharedtest.Path(t, simRaw)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a_raw.fif"), filepath.Join(dir, "b_raw.fif")
	mustRun(t, "-q", "maxwell", "--origin", "0,0,0.04", "--fmt", "double", in, a)
	mustRun(t, "-q", "maxwell", "--origin", "0,0,0.04", "--fmt", "double", "--destination", in, in, b)
	ra, err := fif.OpenRaw(a, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	rb, err := fif.OpenRaw(b, fif.RawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	da, _ := ra.Read(nil, 0, 2000)
	db, _ := rb.Read(nil, 0, 2000)
	if !slices.Equal(da, db) {
		t.Fatal("--destination with the recording's own dev_head_t changes the output")
	}
	if ra.Info.DevHeadT.M != rb.Info.DevHeadT.M {
		t.Fatal("dev_head_t differs")
	}
}

// write3DCal makes a fine-calibration file with 3D gradiometer imbalance
// from a 1D one: each gradiometer line gets y and z imbalance terms.
func write3DCal(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) == 14 && !strings.HasSuffix(f[0], "1") { // gradiometers end in 2 or 3
			line += fmt.Sprintf(" %.6f %.6f", 0.002*math.Sin(float64(i)), -0.0015*math.Cos(float64(3*i)))
		}
		out.WriteString(line + "\n")
	}
	p := filepath.Join(t.TempDir(), "sss_cal_3d.dat")
	if err := os.WriteFile(p, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
