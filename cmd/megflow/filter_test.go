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

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/sharedtest"
	"github.com/megflow/megflow/preprocess"
)

func TestFilterCommandErrors(t *testing.T) {
	dir := t.TempDir()
	in, _ := synthRaw(t, dir)
	out := filepath.Join(dir, "out_raw.fif")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"filter", in, out}, exitUsage, "give --l-freq"},
		{[]string{"filter", "--l-freq", "40", "--h-freq", "1", in, out}, exitUsage, "--bandstop"},
		{[]string{"filter", "--l-freq", "10", "--h-freq", "10", in, out}, exitUsage, "both 10 Hz"},
		{[]string{"filter", "--h-freq", "40", "--fir-window", "kaiser", in, out}, exitUsage, "--fir-window"},
		{[]string{"filter", "--h-freq", "40", "--method", "fft2", in, out}, exitUsage, "--method"},
		{[]string{"filter", "--h-freq", "40", "--iir-order", "3", in, out}, exitUsage, "--iir-order applies"},
		{[]string{"filter", "--h-freq", "40", "--method", "iir", "--filter-length", "2s", in, out}, exitUsage, "FIR"},
		{[]string{"filter", "--h-freq", "40", "--h-trans-bandwidth", "-2", in, out}, exitUsage, "positive"},
		{[]string{"filter", "--l-freq", "-1", in, out}, exitUsage, "positive frequency"},
		{[]string{"filter", "--h-freq", "40", "--picks", "MEG9999", in, out}, exitUsage, "MEG9999"},
		{[]string{"filter", "--h-freq", "500", in, out}, exitError, "Nyquist"},
		{[]string{"filter", "--h-freq", "600", in, out}, exitError, "Nyquist"},
		{[]string{"filter", "--l-freq", "1", "--filter-length", "100", in, out}, exitError, "too short"},
		{[]string{"filter", "--h-freq", "40", in, filepath.Join(dir, "out.h5")}, exitUsage, "FIF"},
		{[]string{"notch", in, out}, exitUsage, "--freqs is required"},
		{[]string{"notch", "--freqs", "50,abc", in, out}, exitUsage, "abc"},
		{[]string{"notch", "--freqs", "499.9", in, out}, exitError, "Nyquist"},
		{[]string{"notch", "--freqs", "0", in, out}, exitUsage, "positive"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("megflow %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(c.args, " "), code, errs, c.code, c.msg)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("megflow %s left %s behind", strings.Join(c.args, " "), out)
		}
	}
}

// TestFilterCommand filters the synthetic recording and checks the
// output against the library applied in memory, the info update, the
// history record and the JSON report.
func TestFilterCommand(t *testing.T) {
	dir := t.TempDir()
	in, src := synthRaw(t, dir)
	n := int(src.n)
	for _, c := range []struct {
		args     []string
		design   func() (*preprocess.Filter, error)
		picks    []int
		hp, lp   float64
		historyS string
	}{
		{[]string{"filter", "--l-freq", "1", "--h-freq", "40"}, func() (*preprocess.Filter, error) {
			return preprocess.CreateFilter(1000, 1, 40, preprocess.FilterOptions{NTimes: src.n})
		}, []int{0, 1, 2, 3}, 1, 40, "filter l_freq=1 h_freq=40 method=fir"},
		{[]string{"filter", "--method", "iir", "--l-freq", "2", "--picks", "eog,eeg"}, func() (*preprocess.Filter, error) {
			return preprocess.CreateFilter(1000, 2, 0, preprocess.FilterOptions{Method: "iir", NTimes: src.n})
		}, []int{4, 3}, 0.1, 330, "method=iir"},
		{[]string{"filter", "--h-freq", "100", "--h-trans-bandwidth", "5", "--fir-window", "blackman", "--filter-length", "1.5s"}, func() (*preprocess.Filter, error) {
			return preprocess.CreateFilter(1000, 0, 100, preprocess.FilterOptions{HTransBandwidth: 5, FIRWindow: "blackman", FilterLength: "1.5s", NTimes: src.n})
		}, []int{0, 1, 2, 3}, 0.1, 100, "fir_window=blackman"},
		{[]string{"notch", "--freqs", "50", "--harmonics"}, func() (*preprocess.Filter, error) {
			return preprocess.NotchFilter(1000, preprocess.Harmonics([]float64{50}, 1000, 1), preprocess.NotchOptions{NTimes: src.n})
		}, []int{0, 1, 2, 3}, 0.1, 330, "notch freqs=[50,100,150,200,250,300,350,400,450]"},
	} {
		out := filepath.Join(dir, "out_raw.fif")
		args := append(append([]string{}, c.args...), "--fmt", "double", "--json", "--overwrite", in, out)
		code, stdout, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("megflow %s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("--json output: %v\n%s", err, stdout)
		}
		f, err := c.design()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errs, f.Log[1]) {
			t.Errorf("design summary %q not logged in %q", f.Log[1], errs)
		}
		want := append([]float64(nil), src.data...)
		if err := f.Apply(want, n, c.picks); err != nil {
			t.Fatal(err)
		}
		raw, err := fif.OpenRaw(out, fif.RawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := raw.Read(nil, 0, raw.NTimes)
		if err != nil {
			t.Fatal(err)
		}
		for ch := range raw.Info.Chs {
			row, wrow := got[ch*n:(ch+1)*n], want[ch*n:(ch+1)*n]
			var scale float64
			for _, v := range wrow {
				scale = math.Max(scale, math.Abs(v))
			}
			for i := range row {
				if math.Abs(row[i]-wrow[i]) > 1e-12*scale {
					t.Fatalf("%v: channel %d sample %d: %g, want %g", c.args, ch, i, row[i], wrow[i])
				}
			}
		}
		if float32(raw.Info.Highpass) != float32(c.hp) || float32(raw.Info.Lowpass) != float32(c.lp) {
			t.Errorf("%v: highpass %g lowpass %g, want %g %g", c.args, raw.Info.Highpass, raw.Info.Lowpass, c.hp, c.lp)
		}
		hist := raw.Info.ProcHistory
		if len(hist) == 0 || !strings.Contains(hist[len(hist)-1].Creator, c.historyS) {
			t.Errorf("%v: history %+v lacks %q", c.args, hist, c.historyS)
		}
		if raw.FirstSamp != src.first {
			t.Errorf("first sample %d, want %d", raw.FirstSamp, src.first)
		}
		raw.Close()
	}
}

// TestFilterCommandGolden runs the command on the shared 3-channel
// recording and compares with MNE's stored output (filter.h5).
func TestFilterCommandGolden(t *testing.T) {
	in := sharedtest.Path(t, "data/fif/test_elekta_3ch_raw.fif")
	g, err := h5.Open(sharedtest.Golden(t, "filter.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	dir := t.TempDir()
	for _, v := range []struct {
		name string
		args []string
	}{
		{"lowpass40", []string{"filter", "--h-freq", "40"}},
		{"highpass1", []string{"filter", "--l-freq", "1"}},
		{"bandpass1_40", []string{"filter", "--l-freq", "1", "--h-freq", "40"}},
		{"notch50_100", []string{"notch", "--freqs", "50,100"}},
		{"iir_bandpass1_40", []string{"filter", "--method", "iir", "--l-freq", "1", "--h-freq", "40"}},
	} {
		out := filepath.Join(dir, v.name+"_raw.fif")
		mustRun(t, append(v.args, "-q", "--fmt", "double", in, out)...)
		raw, err := fif.OpenRaw(out, fif.RawOptions{})
		if err != nil {
			t.Fatal(err)
		}
		head, dims, err := g.ReadFloat64("elekta_3ch/" + v.name + "/data_head")
		if err != nil {
			t.Fatal(err)
		}
		std, _, _ := g.ReadFloat64("elekta_3ch/" + v.name + "/std")
		w := dims[1]
		got, err := raw.Read([]int{0, 1, 2}, 0, int64(w))
		if err != nil {
			t.Fatal(err)
		}
		var e float64
		for ch := 0; ch < 3; ch++ {
			for i := 0; i < w; i++ {
				e = math.Max(e, math.Abs(got[ch*w+i]-head[ch*w+i])/std[ch])
			}
		}
		t.Logf("%s: first %d samples, max error %.2e x std", v.name, w, e)
		if e > 1e-6 {
			t.Errorf("%s: error %.2e x std", v.name, e)
		}
		raw.Close()
	}
}

// TestMNEFilterCompare runs scripts/mne_filter_compare.py: random
// parameters within MNE's valid range on the shared recordings, MNE's
// raw.filter / notch_filter against megflow's output read back by MNE.
func TestMNEFilterCompare(t *testing.T) {
	sim := sharedtest.Path(t, simRaw)
	elekta := sharedtest.Path(t, "data/fif/test_elekta_3ch_raw.fif")
	py := mnePython(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "megflow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "mne_filter_compare.py")
	cmd := exec.Command(py, script, "--megflow", bin, "--cases", "8", "--seed", "3", "--tmp", dir, "--json", elekta, sim)
	out, err := cmd.Output()
	var res []map[string]any
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("comparison script: %v %v\n%s\n%s", err, jerr, out, stderr)
	}
	for _, r := range res {
		t.Logf("case %v %v: %v, max error %v x std", r["case"], r["file"], r["command"], r["max_err_over_std"])
		if r["ok"] != true {
			t.Errorf("case %v failed: %v", r["case"], r)
		}
	}
}
