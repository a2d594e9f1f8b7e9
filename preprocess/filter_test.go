package preprocess

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/megflow/megflow/fif"
)

// filtRaw is an in-memory fif.RawSource for tests.
type filtRaw struct {
	info      *fif.Info
	data      []float64 // channel-major
	n         int64
	firstSamp int64
	reads     int
}

func (m *filtRaw) RawInfo() *fif.Info  { return m.info }
func (m *filtRaw) RawFirstSamp() int64 { return m.firstSamp }
func (m *filtRaw) RawNTimes() int64    { return m.n }
func (m *filtRaw) ReadAll(dst []float64, start, stop int64) error {
	m.reads++
	ns := stop - start
	for ch := range m.info.Chs {
		copy(dst[int64(ch)*ns:int64(ch+1)*ns], m.data[int64(ch)*m.n+start:int64(ch)*m.n+stop])
	}
	return nil
}

// testInfo has two magnetometers, a gradiometer, an EEG, an EOG and a
// stim channel.
func testInfo(sfreq float64) *fif.Info {
	chs := []fif.Channel{
		{Name: "MEG0111", Kind: fif.KindMEG, Unit: fif.UnitT, Cal: 1, Range: 1},
		{Name: "MEG0112", Kind: fif.KindMEG, Unit: fif.UnitTM, Cal: 1, Range: 1},
		{Name: "MEG0121", Kind: fif.KindMEG, Unit: fif.UnitT, Cal: 1, Range: 1},
		{Name: "EEG001", Kind: fif.KindEEG, Unit: fif.UnitV, Cal: 1, Range: 1},
		{Name: "EOG061", Kind: fif.KindEOG, Unit: fif.UnitV, Cal: 1, Range: 1},
		{Name: "STI101", Kind: fif.KindStim, Unit: fif.UnitNone, Cal: 1, Range: 1},
	}
	return &fif.Info{Chs: chs, SFreq: sfreq, Lowpass: sfreq / 2, Bads: []string{"MEG0121"}}
}

// newFiltRaw fills testInfo channels with AR(1) noise plus offsets and
// line noise, channel scales differing by orders of magnitude (T, T/m, V).
func newFiltRaw(sfreq float64, n int64, seed uint64) *filtRaw {
	info := testInfo(sfreq)
	r := rand.New(rand.NewPCG(seed, 99))
	scales := []float64{1e-12, 1e-11, 1e-12, 1e-5, 1e-4, 1}
	data := make([]float64, int64(len(info.Chs))*n)
	for ch := range info.Chs {
		v := 0.0
		for i := int64(0); i < n; i++ {
			v = 0.9*v + r.NormFloat64()
			x := v + 3 + 2*math.Sin(2*math.Pi*50*float64(i)/sfreq)
			if ch == 5 { // stim: steps
				x = float64((i / 97) % 3)
			}
			data[int64(ch)*n+i] = scales[ch] * x
		}
	}
	return &filtRaw{info: info, data: data, n: n, firstSamp: 1234}
}

func TestCreateFilterErrors(t *testing.T) {
	cases := []struct {
		name   string
		l, h   float64
		opt    FilterOptions
		substr string
	}{
		{"h at Nyquist", 0, 500, FilterOptions{}, "less than Nyquist"},
		{"h above Nyquist", 0, 600, FilterOptions{}, "less than the Nyquist"},
		{"negative l", -1, 40, FilterOptions{}, "greater than zero"},
		{"negative h", 0, -5, FilterOptions{}, "greater than zero"},
		{"l equals h", 10, 10, FilterOptions{}, "both 10 Hz"},
		{"unknown window", 1, 40, FilterOptions{FIRWindow: "kaiser"}, "fir_window"},
		{"unknown method", 1, 40, FilterOptions{Method: "fft2"}, "method"},
		{"bad length", 1, 40, FilterOptions{FilterLength: "ten seconds"}, "filter_length"},
		{"length too short", 1, 40, FilterOptions{FilterLength: "101"}, "too short"},
		{"stop below 0", 1, 0, FilterOptions{LTransBandwidth: 2}, "negative"},
		{"stop above Nyquist", 0, 450, FilterOptions{HTransBandwidth: 60}, "too high"},
		{"negative bandwidth", 1, 40, FilterOptions{HTransBandwidth: -3}, "positive"},
		{"iir allpass", 0, 0, FilterOptions{Method: "iir"}, "needs l_freq or h_freq"},
		{"iir order", 1, 40, FilterOptions{Method: "iir", IIROrder: -2}, "order"},
		{"NaN", math.NaN(), 40, FilterOptions{}, "finite"},
	}
	for _, c := range cases {
		_, err := CreateFilter(1000, c.l, c.h, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.substr) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.substr)
		}
	}
	if _, err := CreateFilter(0, 1, 40, FilterOptions{}); err == nil {
		t.Error("sfreq 0 accepted")
	}
}

// response returns |H| of FIR taps at f Hz (zero-phase: real).
func response(h []float64, f, sfreq float64) float64 {
	var s complex128
	for n, v := range h {
		s += complex(v, 0) * cmplx.Rect(1, -2*math.Pi*f/sfreq*float64(n))
	}
	return cmplx.Abs(s)
}

func TestFIRDesignProperties(t *testing.T) {
	sf := 1000.0
	for _, c := range []struct {
		l, h          float64
		pass, stop    []float64
		half          []float64 // -6 dB points
		window        string
		wantLen, gain int
	}{
		{0, 40, []float64{0, 20, 39}, []float64{50, 100, 400}, []float64{45}, "hamming", 331, 0},
		{1, 0, []float64{2, 100, 499}, []float64{0}, []float64{0.5}, "hamming", 3301, 0},
		{1, 40, []float64{2, 20, 39}, []float64{0, 50, 300}, []float64{0.5, 45}, "hann", 3101, 0},
		{0, 100, []float64{0, 50, 99}, []float64{125, 300}, []float64{112.5}, "blackman", 201, 0},
		{80, 40, []float64{0, 30, 100}, []float64{55}, []float64{45, 70}, "hamming", 331, 0}, // band-stop
	} {
		f, err := CreateFilter(sf, c.l, c.h, FilterOptions{FIRWindow: c.window})
		if err != nil {
			t.Fatal(err)
		}
		h := f.Taps
		if len(h) != c.wantLen || len(h)%2 != 1 {
			t.Errorf("l=%g h=%g %s: %d taps, want %d", c.l, c.h, c.window, len(h), c.wantLen)
		}
		// symmetric (linear phase) up to the last bit of the window, which
		// numpy's linspace does not make exactly symmetric either
		for i := range h {
			if math.Abs(h[i]-h[len(h)-1-i]) > 1e-16 {
				t.Fatalf("l=%g h=%g: taps not symmetric at %d (not linear phase)", c.l, c.h, i)
			}
		}
		for _, fp := range c.pass {
			if g := response(h, fp, sf); math.Abs(g-1) > 0.01 {
				t.Errorf("l=%g h=%g %s: gain %.4f at %g Hz (pass band)", c.l, c.h, c.window, g, fp)
			}
		}
		for _, fs := range c.stop {
			if g := response(h, fs, sf); g > 0.01 {
				t.Errorf("l=%g h=%g %s: gain %.4f at %g Hz (stop band)", c.l, c.h, c.window, g, fs)
			}
		}
		for _, fh := range c.half {
			if g := response(h, fh, sf); math.Abs(g-0.5) > 0.02 {
				t.Errorf("l=%g h=%g %s: gain %.4f at %g Hz, want 0.5 (-6 dB)", c.l, c.h, c.window, g, fh)
			}
		}
	}
}

func TestFilterLength(t *testing.T) {
	for _, c := range []struct {
		l, h   float64
		length string
		window string
		want   int
	}{
		{1, 0, "", "hamming", 3301}, {1, 0, "auto", "hann", 3101}, {1, 0, "", "blackman", 5001},
		{1, 0, "10s", "", 10001}, {1, 0, "4.5s", "", 4501}, {1, 0, "3500ms", "", 3501},
		{1, 0, "3300", "", 3301}, {1, 0, "3301", "", 3301}, {0, 40, "", "", 331},
		{0.1, 0, "", "", 33001}, {0, 0, "", "", 1},
	} {
		f, err := CreateFilter(1000, c.l, c.h, FilterOptions{FilterLength: c.length, FIRWindow: c.window})
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if len(f.Taps) != c.want {
			t.Errorf("%+v: %d taps, want %d", c, len(f.Taps), c.want)
		}
	}
	// MNE's all-pass is the identity
	f, _ := CreateFilter(1000, 0, 0, FilterOptions{})
	if f.Kind != "allpass" || f.Taps[0] != 1 {
		t.Errorf("allpass: %s %v", f.Kind, f.Taps)
	}
	// the length warning of filtering short data
	f, _ = CreateFilter(1000, 1, 0, FilterOptions{NTimes: 1000})
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "longer than the signal") {
		t.Errorf("warnings %q", f.Warnings)
	}
}

func TestIIRDesignProperties(t *testing.T) {
	sf := 1000.0
	for _, c := range []struct {
		l, h  float64
		order int
		kind  string
	}{{0, 40, 4, "lowpass"}, {1, 0, 3, "highpass"}, {1, 40, 4, "bandpass"}, {2, 100, 5, "bandpass"}, {60, 40, 2, "bandstop"}, {0, 200, 1, "lowpass"}} {
		f, err := CreateFilter(sf, c.l, c.h, FilterOptions{Method: "iir", IIROrder: c.order})
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind != c.kind || f.PadLen <= 0 {
			t.Errorf("%+v: kind %s padlen %d", c, f.Kind, f.PadLen)
		}
		// each edge is at -3 dB for one pass (-6 dB forward-backward)
		for _, e := range []float64{c.l, c.h} {
			if e == 0 {
				continue
			}
			g := cmplx.Abs(sosResponse(f.SOS, 2*math.Pi*e/sf))
			if math.Abs(g-math.Sqrt(0.5)) > 1e-9 {
				t.Errorf("%+v: gain %.6f at %g Hz, want 1/sqrt(2)", c, g, e)
			}
		}
		for _, s := range f.SOS {
			for _, p := range quadRoots(s[3], s[4], s[5]) {
				if cmplx.Abs(p) >= 1 {
					t.Errorf("%+v: pole %v outside the unit circle", c, p)
				}
			}
		}
		// gain 1 in the pass band
		var fp float64
		switch c.kind {
		case "lowpass", "bandstop":
			fp = 0.001
		case "highpass":
			fp = 400
		case "bandpass":
			fp = math.Sqrt(c.l * c.h)
		}
		if g := cmplx.Abs(sosResponse(f.SOS, 2*math.Pi*fp/sf)); math.Abs(g-1) > 1e-3 {
			t.Errorf("%+v: pass-band gain %.6f at %g Hz", c, g, fp)
		}
	}
}

// TestFillExt checks the padding against MNE's _smart_pad
// ('reflect_limited') written out literally.
func TestFillExt(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 20} {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i*i) + 0.5
		}
		for _, nPad := range []int{0, 1, 3, 6, 19, 25} {
			nEdge := min(nPad, n-1)
			// MNE: zeros, 2x0 - x[nEdge:0:-1], x, 2x[-1] - x[-2:-nEdge-2:-1], zeros
			var want []float64
			for i := 0; i < nPad-nEdge; i++ {
				want = append(want, 0)
			}
			for j := nEdge; j >= 1; j-- {
				want = append(want, 2*x[0]-x[j])
			}
			want = append(want, x...)
			for j := n - 2; j >= n-1-nEdge; j-- {
				want = append(want, 2*x[n-1]-x[j])
			}
			for i := 0; i < nPad-nEdge; i++ {
				want = append(want, 0)
			}
			got := make([]float64, n+2*nPad)
			fillExt(got, int64(-nPad), int64(n), int64(nEdge), x, 0, x[0], x[n-1])
			if !slices.Equal(got, want) {
				t.Errorf("n=%d pad=%d: %v, want %v", n, nPad, got, want)
			}
		}
	}
}

// TestStreamMatchesApply compares the streaming source with filtering
// whole channels in memory, for many chunk sizes, read patterns and
// recording lengths (shorter than the filter included).
func TestStreamMatchesApply(t *testing.T) {
	sf := 250.0
	designs := map[string]FilterOptions{
		"fir": {}, "fir-long": {FilterLength: "20s"}, "iir": {Method: "iir"}, "iir-odd": {Method: "iir", IIROrder: 3},
	}
	for _, n := range []int64{1, 2, 5, 300, 830, 4000, 12345} {
		src := newFiltRaw(sf, n, uint64(n))
		for name, opt := range designs {
			opt.NTimes = n
			f, err := CreateFilter(sf, 1, 40, opt)
			if err != nil {
				t.Fatal(err)
			}
			picks := DataChannels(src.info)
			want := slices.Clone(src.data)
			if err := f.Apply(want, int(n), picks); err != nil {
				t.Fatal(err)
			}
			chunks := []int{0, 97, 1000}
			if n <= 300 {
				chunks = append(chunks, 1)
			}
			for _, chunk := range chunks {
				s, err := NewFilteredRaw(src, f, picks, StreamOptions{ChunkLen: chunk, Workers: 3})
				if err != nil {
					t.Fatal(err)
				}
				got := readPattern(t, s, n, int(n)%3)
				s.Close()
				for i := range want {
					tol := 1e-13 * math.Abs(want[i]) // FFT lengths may differ
					if f.Method == "iir" {
						tol = 0 // bit-identical by construction
					}
					if d := math.Abs(got[i] - want[i]); d > tol && d > 1e-13*rowScale(want, int(n), i) {
						t.Fatalf("n=%d %s chunk=%d: sample %d (channel %d) = %g, want %g", n, name, chunk, i%int(n), i/int(n), got[i], want[i])
					}
				}
			}
		}
	}
}

// rowScale is the largest magnitude of the row holding element i.
func rowScale(x []float64, n, i int) float64 {
	r := i / n
	s := 0.0
	for _, v := range x[r*n : (r+1)*n] {
		s = math.Max(s, math.Abs(v))
	}
	return s
}

// readPattern reads a whole source in one of three ways: sequential
// blocks of 333, backwards blocks of 500, or random ranges.
func readPattern(t *testing.T, s *FilteredRaw, n int64, pattern int) []float64 {
	t.Helper()
	nch := int64(len(s.RawInfo().Chs))
	out := make([]float64, nch*n)
	get := func(a, b int64) {
		buf := make([]float64, nch*(b-a))
		if err := s.ReadAll(buf, a, b); err != nil {
			t.Fatal(err)
		}
		for ch := int64(0); ch < nch; ch++ {
			copy(out[ch*n+a:ch*n+b], buf[ch*(b-a):(ch+1)*(b-a)])
		}
	}
	switch pattern {
	case 0:
		for a := int64(0); a < n; a += 333 {
			get(a, min(a+333, n))
		}
	case 1:
		for b := n; b > 0; b -= 500 {
			get(max(0, b-500), b)
		}
	default:
		r := rand.New(rand.NewPCG(uint64(n), 1))
		for k := 0; k < 20; k++ {
			a := r.Int64N(n)
			get(a, a+1+r.Int64N(n-a))
		}
		get(0, n)
	}
	return out
}

func TestStreamPassThroughAndInfo(t *testing.T) {
	src := newFiltRaw(1000, 5000, 3)
	f, err := CreateFilter(1000, 1, 40, FilterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	picks := DataChannels(src.info)
	if !slices.Equal(picks, []int{0, 1, 2, 3}) {
		t.Fatalf("data channels %v, want MEG and EEG, bads included", picks)
	}
	info := FilteredInfo(src.info, picks, 1, 40)
	if info.Highpass != 1 || info.Lowpass != 40 || src.info.Highpass != 0 {
		t.Errorf("info highpass %g lowpass %g (source %g)", info.Highpass, info.Lowpass, src.info.Highpass)
	}
	if sub := FilteredInfo(src.info, []int{0, 1}, 1, 40); sub.Highpass != 0 || sub.Lowpass != 500 {
		t.Errorf("a subset of the data channels changed the info: %g %g", sub.Highpass, sub.Lowpass)
	}
	if bs := FilteredInfo(src.info, picks, 60, 40); bs.Highpass != 0 || bs.Lowpass != 500 {
		t.Errorf("a band-stop changed the info: %g %g", bs.Highpass, bs.Lowpass)
	}
	if lp := FilteredInfo(&fif.Info{Chs: src.info.Chs, Lowpass: 30, Highpass: 2}, picks, 1, 40); lp.Lowpass != 30 || lp.Highpass != 2 {
		t.Errorf("edges moved outwards: %g %g", lp.Highpass, lp.Lowpass)
	}
	s, err := NewFilteredRaw(src, f, picks, StreamOptions{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.RawInfo() != info || s.RawFirstSamp() != 1234 || s.RawNTimes() != 5000 {
		t.Error("info, first sample or length not passed on")
	}
	out := readPattern(t, s, 5000, 0)
	for _, ch := range []int{4, 5} {
		if !slices.Equal(out[ch*5000:(ch+1)*5000], src.data[ch*5000:(ch+1)*5000]) {
			t.Errorf("channel %d (not picked) changed", ch)
		}
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatal("NaN or Inf in the output")
		}
	}
	if err := s.ReadAll(make([]float64, 6), 4999, 5001); err == nil {
		t.Error("read past the end accepted")
	}
	if _, err := NewFilteredRaw(src, f, []int{9}, StreamOptions{}); err == nil {
		t.Error("bad pick accepted")
	}
	g, _ := CreateFilter(500, 1, 40, FilterOptions{})
	if _, err := NewFilteredRaw(src, g, nil, StreamOptions{}); err == nil {
		t.Error("filter of another sampling rate accepted")
	}
}

// TestIIRStreamBounded checks that streaming IIR keeps its memory to
// blocks: with a short block the source is read in pieces only.
func TestIIRStreamBounded(t *testing.T) {
	src := newFiltRaw(1000, 20000, 5)
	f, err := CreateFilter(1000, 0.5, 0, FilterOptions{Method: "iir"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewFilteredRaw(src, f, nil, StreamOptions{ChunkLen: 512})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float64, 6*100)
	if err := s.ReadAll(buf, 0, 100); err != nil {
		t.Fatal(err)
	}
	s.Close() // wait for the block computed in the background
	eng := s.eng.(*iirEngine)
	if int64(cap(eng.read)) > 6*(512+1) || int64(len(eng.ext)) != 4*512 {
		t.Errorf("buffers of %d and %d values for blocks of 512", cap(eng.read), len(eng.ext))
	}
}

func TestNotchAndHarmonics(t *testing.T) {
	h := Harmonics([]float64{50}, 1100, 0)
	want := []float64{50, 100, 150, 200, 250, 300, 350, 400, 450, 500}
	if !slices.Equal(h, want) {
		t.Errorf("harmonics %v, want %v", h, want)
	}
	if h := Harmonics([]float64{60, 120}, 250, 0); !slices.Equal(h, []float64{60, 120}) {
		t.Errorf("harmonics at 250 Hz: %v", h)
	}
	f, err := NotchFilter(1100, h, NotchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range h {
		if g := response(f.Taps, fr, 1100); g > 0.01 {
			t.Errorf("gain %.4f at %g Hz", g, fr)
		}
		if g := response(f.Taps, fr+5, 1100); math.Abs(g-1) > 0.01 {
			t.Errorf("gain %.4f at %g Hz (between notches)", g, fr+5)
		}
	}
	if _, err := NotchFilter(1000, []float64{499.9}, NotchOptions{}); err == nil {
		t.Error("notch at Nyquist accepted")
	}
	if _, err := NotchFilter(1000, []float64{50, 100}, NotchOptions{NotchWidths: []float64{1, 2, 3}}); err == nil {
		t.Error("3 widths for 2 frequencies accepted")
	}
	if _, err := NotchFilter(1000, nil, NotchOptions{}); err == nil {
		t.Error("no frequencies accepted")
	}
}
