package preprocess

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// psdTestData returns nch channels of n samples: sinusoids, a DC offset,
// a slow drift and white noise, deterministic.
func psdTestData(nch, n int, sfreq float64) [][]float64 {
	rng := rand.New(rand.NewPCG(7, 11))
	data := make([][]float64, nch)
	for c := range data {
		row := make([]float64, n)
		f1 := 10 + 3*float64(c)
		for i := range row {
			t := float64(i) / sfreq
			row[i] = 1e-12*(3+float64(c)) + 2e-12*math.Sin(2*math.Pi*f1*t) +
				5e-13*math.Sin(2*math.Pi*50*t+0.3) + 1e-13*t + 3e-13*rng.NormFloat64()
		}
		data[c] = row
	}
	return data
}

func TestPSDWelchSine(t *testing.T) {
	// A unit-amplitude sinusoid at a bin centre has power 1/2; the density
	// integrated over frequency (Σ psd·Δf) must give it back.
	const sfreq, n = 1000.0, 10000
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 125 * float64(i) / sfreq)
	}
	for _, win := range []string{"hamming", "hann", "boxcar"} {
		psd, freqs, err := PSDWelch([][]float64{x}, sfreq, WelchOptions{NFFT: 200, NOverlap: 100, Window: win})
		if err != nil {
			t.Fatal(err)
		}
		if len(freqs) != 101 || freqs[25] != 125 {
			t.Fatalf("%s: freqs = %d values, freqs[25] = %g", win, len(freqs), freqs[25])
		}
		var total float64
		for _, v := range psd[0] {
			total += v * (sfreq / 200)
		}
		if math.Abs(total-0.5) > 1e-3 {
			t.Errorf("%s: total power %g, want 0.5", win, total)
		}
	}
}

func TestPSDWelchErrors(t *testing.T) {
	x := [][]float64{make([]float64, 100)}
	cases := []struct {
		opt  WelchOptions
		want string
	}{
		{WelchOptions{}, "exceeds the signal length"},
		{WelchOptions{NFFT: 64, NOverlap: 64}, "n_overlap"},
		{WelchOptions{NFFT: 64, Window: "kaiser"}, "unknown window"},
		{WelchOptions{NFFT: 64, Average: "max"}, "average"},
		{WelchOptions{NFFT: 64, FMin: 600, FMax: 700}, "no frequencies"},
	}
	for _, c := range cases {
		if _, _, err := PSDWelch(x, 1000, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.opt, err, c.want)
		}
	}
	if _, _, err := PSDWelch([][]float64{make([]float64, 10), make([]float64, 9)}, 1000, WelchOptions{NFFT: 8}); err == nil {
		t.Error("ragged rows: no error")
	}
	if _, _, err := PSDWelch(x, 0, WelchOptions{NFFT: 8}); err == nil {
		t.Error("sfreq 0: no error")
	}
}

func TestPSDWelchNaNSegments(t *testing.T) {
	const sfreq = 500.0
	data := psdTestData(1, 4096, sfreq)
	clean, _, err := PSDWelch([][]float64{data[0][:2048]}, sfreq, WelchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := append([]float64(nil), data[0]...)
	for i := 2048; i < len(x); i++ {
		x[i] = math.NaN()
	}
	got, _, err := PSDWelch([][]float64{x}, sfreq, WelchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k := range got[0] {
		if math.Abs(got[0][k]-clean[0][k]) > 1e-12*clean[0][k] {
			t.Fatalf("bin %d: %g with NaN tail, %g without", k, got[0][k], clean[0][k])
		}
	}
}

// TestPSDWelchMNE compares PSDWelch with MNE 1.3's psd_array_welch run on
// the same data by /usr/bin/python3 (skipped without it).
func TestPSDWelchMNE(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import mne.time_frequency").Run(); err != nil {
		t.Skip("MNE-Python not importable")
	}
	const nch, n, sfreq = 5, 6001, 600.0
	data := psdTestData(nch, n, sfreq)
	// Blank a stretch of channel 2 as MNE does for bad annotations.
	for i := 3000; i < 3400; i++ {
		data[2][i] = math.NaN()
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "x.f64")
	buf := make([]byte, 0, nch*n*8)
	for _, row := range data {
		for _, v := range row {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	if err := os.WriteFile(in, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		opt WelchOptions
		kw  string
	}{
		{WelchOptions{}, ""},
		{WelchOptions{NFFT: 2048}, "n_fft=2048"},
		{WelchOptions{NFFT: 600, NOverlap: 300, Window: "hann"}, "n_fft=600, n_overlap=300, window='hann'"},
		{WelchOptions{NFFT: 512, NPerSeg: 300, NOverlap: 150, FMin: 2, FMax: 140}, "n_fft=512, n_per_seg=300, n_overlap=150, fmin=2, fmax=140"},
		{WelchOptions{NFFT: 257, NOverlap: 128, Average: "median", Window: "boxcar"}, "n_fft=257, n_overlap=128, average='median', window='boxcar'"},
		{WelchOptions{NFFT: 256, Average: "median", FMin: 1}, "n_fft=256, average='median', fmin=1"},
	}
	var script strings.Builder
	fmt.Fprintf(&script, "import numpy as np\nfrom mne.time_frequency import psd_array_welch\n"+
		"x = np.fromfile(%q, dtype='<f8').reshape(%d, %d)\n", in, nch, n)
	for i, c := range cases {
		kw := c.kw
		if kw != "" {
			kw += ", "
		}
		fmt.Fprintf(&script, "p, f = psd_array_welch(x, %g, %sverbose=False)\n", sfreq, kw)
		fmt.Fprintf(&script, "np.concatenate([f, p.ravel()]).astype('<f8').tofile(%q)\n", filepath.Join(dir, fmt.Sprintf("out%d.f64", i)))
	}
	src := script.String()
	cmd := exec.Command(py, "-c", src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s\n%s", err, out, src)
	}
	for i, c := range cases {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("out%d.f64", i)))
		if err != nil {
			t.Fatal(err)
		}
		ref := make([]float64, len(raw)/8)
		for j := range ref {
			ref[j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))
		}
		psd, freqs, err := PSDWelch(data, sfreq, c.opt)
		if err != nil {
			t.Fatalf("case %d (%s): %v", i, c.kw, err)
		}
		nf := len(freqs)
		if len(ref) != nf*(nch+1) {
			t.Fatalf("case %d (%s): MNE gave %d values, want %d freqs × %d", i, c.kw, len(ref), nf, nch+1)
		}
		for k, f := range freqs {
			if math.Abs(f-ref[k]) > 1e-12*max(1, f) {
				t.Fatalf("case %d: freqs[%d] = %g, MNE %g", i, k, f, ref[k])
			}
		}
		var worst float64
		for ch := range nch {
			// After the mean removal the DC bin is round-off (exactly so
			// with the boxcar window): errors are relative to at least
			// 1e-9 of the channel's peak.
			var peak float64
			for k := range nf {
				peak = max(peak, ref[nf+ch*nf+k])
			}
			for k := range nf {
				want := ref[nf+ch*nf+k]
				rel := math.Abs(psd[ch][k]-want) / max(math.Abs(want), 1e-9*peak)
				worst = max(worst, rel)
				if !(rel < 1e-6) {
					t.Fatalf("case %d (%s): ch %d f=%g: %g, MNE %g (rel %.2g)", i, c.kw, ch, freqs[k], psd[ch][k], want, rel)
				}
			}
		}
		t.Logf("case %d (%s): %d freqs, max rel error %.2g", i, c.kw, nf, worst)
	}
}

func BenchmarkPSDWelch(b *testing.B) {
	// 306 channels × 60 s at 1 kHz, raw defaults (n_fft = 2048).
	data := psdTestData(306, 60000, 1000)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := PSDWelch(data, 1000, WelchOptions{NFFT: 2048}); err != nil {
			b.Fatal(err)
		}
	}
}
