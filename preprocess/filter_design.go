package preprocess

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// FilterOptions are the design parameters of CreateFilter, with MNE's
// defaults for zero values (raw.filter(l_freq, h_freq) with everything
// else left alone: fir, firwin, hamming, zero phase, automatic lengths).
type FilterOptions struct {
	// Method is "fir" (default; "fft" is accepted as MNE's old name) or
	// "iir" (Butterworth, forward-backward).
	Method string
	// FilterLength is MNE's filter_length for FIR: "auto" or "" (from the
	// narrowest transition band and the window), a duration ("10s",
	// "500ms"), or a number of samples ("3301"; made odd by adding one).
	FilterLength string
	// LTransBandwidth and HTransBandwidth are the transition bandwidths in
	// Hz below l_freq and above h_freq (FIR only); 0 means MNE's "auto":
	// min(max(0.25·l_freq, 2), l_freq) and min(max(0.25·h_freq, 2),
	// sfreq/2 - h_freq).
	LTransBandwidth, HTransBandwidth float64
	// FIRWindow is "hamming" (default), "hann" or "blackman".
	FIRWindow string
	// IIROrder is the Butterworth order (default 4); the effective order
	// after forward-backward filtering is twice that per band edge.
	IIROrder int
	// NTimes is the number of samples the filter will be applied to, for
	// MNE's length warning; 0 means unknown (MNE's data=None, which logs
	// that the checks are skipped).
	NTimes int64
}

// Filter is a designed filter: FIR taps or IIR second-order sections,
// with MNE's design log.
type Filter struct {
	Method string // "fir" or "iir"
	// Kind is "lowpass", "highpass", "bandpass", "bandstop" or "allpass".
	Kind  string
	SFreq float64
	// LFreq and HFreq are the requested edges (0 = none); for a band-stop
	// with several bands (notch) they are the first band's.
	LFreq, HFreq float64
	// Taps are the FIR coefficients (odd length, zero phase: the centre
	// tap is at (len-1)/2).
	Taps []float64
	// Window, and the resolved transition bandwidths in Hz (FIR; per band
	// for band-stops, where LTransBandwidth is at the lower edge of each
	// stop band, set by FilterOptions.HTransBandwidth as in MNE).
	Window                           string
	LTransBandwidth, HTransBandwidth []float64
	// SOS are the IIR second-order sections (b0 b1 b2 a0 a1 a2, scipy's
	// layout), Order the Butterworth order, PadLen MNE's padding estimate
	// (estimate_ringing_samples).
	SOS    [][6]float64
	Order  int
	PadLen int
	// Log is MNE's INFO log of the design, line by line.
	Log []string
	// Warnings are MNE's warnings (short filter, weak attenuation).
	Warnings []string
}

// Summary returns the design log as MNE prints it.
func (f *Filter) Summary() string { return strings.Join(f.Log, "\n") + "\n" }

// Delay returns the number of samples by which a causal application of
// the filter would lag (the zero-phase shift): (len(Taps)-1)/2 for FIR.
func (f *Filter) Delay() int { return (len(f.Taps) - 1) / 2 }

var errNyquist = errors.New("must be less than the Nyquist frequency")

// CreateFilter designs a filter as mne.filter.create_filter(data, sfreq,
// l_freq, h_freq, ...) with MNE 1.3's defaults for unset options. lFreq
// and hFreq are in Hz, 0 meaning None:
//
//   - lFreq == 0, hFreq > 0: low-pass
//   - lFreq > 0, hFreq == 0: high-pass
//   - lFreq < hFreq: band-pass
//   - lFreq > hFreq: band-stop (MNE's convention)
//   - both 0: all-pass (FIR only)
//
// The errors are MNE's (Nyquist, negative frequencies, bad transition
// bands or lengths, unknown windows).
func CreateFilter(sfreq, lFreq, hFreq float64, opt FilterOptions) (*Filter, error) {
	var l, h []float64
	if lFreq != 0 {
		l = []float64{lFreq}
	}
	if hFreq != 0 {
		h = []float64{hFreq}
	}
	if lFreq == hFreq && lFreq != 0 {
		return nil, fmt.Errorf("l_freq and h_freq are both %g Hz: no band to pass (l_freq < h_freq) or stop (l_freq > h_freq)", lFreq)
	}
	return createFilter(sfreq, l, h, opt)
}

// CreateBandStop designs a FIR band-stop filter with several stop bands,
// as create_filter(None, sfreq, l_freq=highs, h_freq=lows, ...) does for
// notch_filter: band i stops between lows[i] and highs[i] (the outer
// edges of the transition bands).
func CreateBandStop(sfreq float64, lows, highs []float64, opt FilterOptions) (*Filter, error) {
	if len(lows) == 0 || len(lows) != len(highs) {
		return nil, fmt.Errorf("band-stop: need as many lower (%d) as upper (%d) band edges, at least one", len(lows), len(highs))
	}
	return createFilter(sfreq, slices.Clone(highs), slices.Clone(lows), opt)
}

// designer carries one create_filter call.
type designer struct {
	sfreq float64
	opt   FilterOptions
	win   windowInfo
	f     *Filter
	// length is the FIR length resolved by triage.
	length int
}

func (d *designer) logf(format string, args ...any) {
	d.f.Log = append(d.f.Log, fmt.Sprintf(format, args...))
}

func (d *designer) warnf(format string, args ...any) {
	d.f.Warnings = append(d.f.Warnings, fmt.Sprintf(format, args...))
}

// createFilter follows create_filter: l and h are nil (None) or hold the
// edges (several only for band-stops).
func createFilter(sfreq float64, l, h []float64, opt FilterOptions) (*Filter, error) {
	if !(sfreq > 0) || math.IsInf(sfreq, 0) {
		return nil, fmt.Errorf("sfreq must be positive, got %g", sfreq)
	}
	for _, v := range append(slices.Clone(l), h...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("filter frequencies must be finite, got %g", v)
		}
	}
	d := &designer{sfreq: sfreq, opt: opt, f: &Filter{SFreq: sfreq}}
	method := strings.ToLower(opt.Method)
	switch method {
	case "", "fir", "fft":
		method = "fir"
	case "iir":
	default:
		return nil, fmt.Errorf(`method must be "fir" or "iir", got %q`, opt.Method)
	}
	d.f.Method = method
	winName := strings.ToLower(opt.FIRWindow)
	if winName == "" {
		winName = "hamming"
	}
	win, ok := windows[winName]
	if !ok {
		return nil, fmt.Errorf(`fir_window must be "blackman", "hamming" or "hann", got %q`, opt.FIRWindow)
	}
	d.win = win
	d.f.Window = winName
	if opt.NTimes <= 0 {
		d.logf("No data specified. Sanity checks related to the length of the signal relative to the filter order will be skipped.")
	}
	nyq := sfreq / 2
	for _, v := range h {
		if v > nyq {
			return nil, fmt.Errorf("h_freq (%s) must be less than the Nyquist frequency %s", pyFloat(v), pyFloat(nyq))
		}
	}
	if l != nil && !slices.ContainsFunc(l, func(v float64) bool { return v != 0 }) {
		l = nil
	}
	if len(l) == 1 {
		d.f.LFreq = l[0]
	}
	if len(h) >= 1 {
		d.f.HFreq = h[0]
	}
	if len(l) > 1 || len(h) > 1 {
		d.f.LFreq, d.f.HFreq = l[0], h[0]
	}

	var freq, gain []float64
	var err error
	switch {
	case l == nil && h == nil:
		d.f.Kind = "allpass"
		if method == "iir" {
			return nil, errors.New("an IIR filter needs l_freq or h_freq")
		}
		if _, err := d.triage(nil, nil, false); err != nil {
			return nil, err
		}
		freq, gain = []float64{0, nyq}, []float64{1, 1}
	case l == nil:
		d.f.Kind = "lowpass"
		if len(h) != 1 {
			return nil, errors.New("a low-pass filter takes one h_freq")
		}
		d.logf("Setting up low-pass filter at %.2g Hz", h[0])
		t, err := d.triage(nil, h, false)
		if err != nil {
			return nil, err
		}
		if method == "iir" {
			return d.iir(h, "lowpass")
		}
		fp, fs := h[0], t.hStop[0]
		freq, gain = []float64{0, fp, fs}, []float64{1, 1, 0}
		if fs != nyq {
			freq, gain = append(freq, nyq), append(gain, 0)
		}
	case h == nil:
		d.f.Kind = "highpass"
		if len(l) != 1 {
			return nil, errors.New("a high-pass filter takes one l_freq")
		}
		d.logf("Setting up high-pass filter at %.2g Hz", l[0])
		t, err := d.triage(l, nil, false)
		if err != nil {
			return nil, err
		}
		if method == "iir" {
			return d.iir(l, "highpass")
		}
		stop, pass := t.lStop[0], l[0]
		freq, gain = []float64{stop, pass, nyq}, []float64{0, 1, 1}
		if stop != 0 {
			freq, gain = append([]float64{0}, freq...), append([]float64{0}, gain...)
		}
	case len(l) == 1 && len(h) == 1 && l[0] < h[0]:
		d.f.Kind = "bandpass"
		d.logf("Setting up band-pass filter from %.2g - %.2g Hz", l[0], h[0])
		t, err := d.triage(l, h, false)
		if err != nil {
			return nil, err
		}
		if method == "iir" {
			return d.iir([]float64{l[0], h[0]}, "bandpass")
		}
		fs1, fp1, fp2, fs2 := t.lStop[0], l[0], h[0], t.hStop[0]
		freq, gain = []float64{fs1, fp1, fp2, fs2}, []float64{0, 1, 1, 0}
		if fs2 != nyq {
			freq, gain = append(freq, nyq), append(gain, 0)
		}
		if fs1 != 0 {
			freq, gain = append([]float64{0}, freq...), append([]float64{0}, gain...)
		}
	default:
		d.f.Kind = "bandstop"
		if len(l) != len(h) {
			return nil, errors.New("l_freq and h_freq must be the same length")
		}
		for i := range l {
			if l[i] <= h[i] {
				return nil, fmt.Errorf("band-stop %d: the upper edge %g Hz must be above the lower edge %g Hz", i+1, l[i], h[i])
			}
		}
		msg := "Setting up band-stop filter"
		if len(l) == 1 {
			msg += fmt.Sprintf(" from %.2g - %.2g Hz", h[0], l[0])
		}
		d.logf("%s", msg)
		// MNE swaps the roles here: the lower edges are triaged as
		// high-pass edges and the upper ones as low-pass edges, with
		// h_trans_bandwidth at the lower edges and l_trans_bandwidth at
		// the upper ones.
		d.opt.LTransBandwidth, d.opt.HTransBandwidth = d.opt.HTransBandwidth, d.opt.LTransBandwidth
		t, err := d.triage(h, l, true)
		if err != nil {
			return nil, err
		}
		if method == "iir" {
			if len(l) != 1 {
				return nil, errors.New("multiple stop-bands can only be used with FIR filtering")
			}
			return d.iir([]float64{t.lStop[0], t.hStop[0]}, "bandstop")
		}
		freq, gain, err = bandStopPoints(t, nyq)
		if err != nil {
			return nil, err
		}
	}
	if err = d.fir(freq, gain); err != nil {
		return nil, err
	}
	return d.f, nil
}

// triaged holds what _triage_filter_params returns for FIR: the stop
// edges per band, the (possibly shifted) pass edges and the length.
type triaged struct {
	lFreq, hFreq []float64
	lStop, hStop []float64
	length       int
}

// triage is MNE's _triage_filter_params: it validates the edges, resolves
// the transition bandwidths and the filter length, and logs the FIR
// parameters. reverse marks band-stops, whose transitions lie inside the
// given edges.
func (d *designer) triage(l, h []float64, reverse bool) (*triaged, error) {
	nyq := d.sfreq / 2
	for _, v := range l {
		if v <= 0 {
			return nil, fmt.Errorf("highpass frequency %s must be greater than zero", pyFloats(l))
		}
	}
	for _, v := range h {
		if v >= nyq {
			return nil, fmt.Errorf("lowpass frequency %s must be less than Nyquist (%s): %w", pyFloats(h), pyFloat(nyq), errNyquist)
		}
		if v <= 0 {
			return nil, fmt.Errorf("lowpass frequency %s must be greater than zero", pyFloats(h))
		}
	}
	t := &triaged{lFreq: slices.Clone(l), hFreq: slices.Clone(h), lStop: slices.Clone(l), hStop: slices.Clone(h)}
	if d.f.Method == "iir" {
		return t, nil
	}
	kind := "allpass"
	switch {
	case l != nil && h != nil && reverse:
		kind = "bandstop"
	case l != nil && h != nil:
		kind = "bandpass"
	case l != nil:
		kind = "highpass"
	case h != nil:
		kind = "lowpass"
	}
	// MNE reports -6 dB points only for single bands.
	dbCutoff := len(l) <= 1 && len(h) <= 1
	d.logf("")
	d.logf("FIR filter parameters")
	d.logf("---------------------")
	d.logf("Designing a one-pass, zero-phase, non-causal %s filter:", kind)
	d.logf("- Windowed time-domain design (firwin) method")
	d.logf("- %s window with %.4f passband ripple and %d dB stopband attenuation", d.win.name, d.win.ripple, d.win.attenuation)

	if l != nil {
		ltb := make([]float64, len(l))
		for i, v := range l {
			if d.opt.LTransBandwidth == 0 {
				ltb[i] = math.Min(math.Max(0.25*v, 2), v)
			} else {
				ltb[i] = d.opt.LTransBandwidth
			}
		}
		msg := "- Lower transition bandwidth: " + fmtBands(ltb, d.opt.LTransBandwidth) + " Hz"
		if dbCutoff {
			d.logf("- Lower passband edge: %.2f", l[0])
			msg += fmt.Sprintf(" (-6 dB cutoff frequency: %.2f Hz)", l[0]-ltb[0]/2)
		}
		d.logf("%s", msg)
		for _, v := range ltb {
			if !(v > 0) {
				return nil, fmt.Errorf("l_trans_bandwidth must be positive, got %s", pyFloats(ltb))
			}
		}
		for i := range l {
			t.lStop[i] = l[i] - ltb[i]
			if reverse {
				t.lStop[i] += ltb[i]
				t.lFreq[i] += ltb[i]
			}
			if t.lStop[i] < 0 {
				return nil, fmt.Errorf("filter specification invalid: lower stop frequency negative (%.2f Hz); increase the pass frequency or reduce the transition bandwidth (l_trans_bandwidth)", t.lStop[i])
			}
		}
		d.f.LTransBandwidth = ltb
	}
	if h != nil {
		htb := make([]float64, len(h))
		for i, v := range h {
			if d.opt.HTransBandwidth == 0 {
				htb[i] = math.Min(math.Max(0.25*v, 2), nyq-v)
			} else {
				htb[i] = d.opt.HTransBandwidth
			}
		}
		msg := "- Upper transition bandwidth: " + fmtBands(htb, d.opt.HTransBandwidth) + " Hz"
		if dbCutoff {
			d.logf("- Upper passband edge: %.2f Hz", h[0])
			msg += fmt.Sprintf(" (-6 dB cutoff frequency: %.2f Hz)", h[0]+htb[0]/2)
		}
		d.logf("%s", msg)
		for _, v := range htb {
			if !(v > 0) {
				return nil, fmt.Errorf("h_trans_bandwidth must be positive, got %s", pyFloats(htb))
			}
		}
		for i := range h {
			t.hStop[i] = h[i] + htb[i]
			if reverse {
				t.hStop[i] -= htb[i]
				t.hFreq[i] -= htb[i]
			}
			if t.hStop[i] > nyq {
				return nil, fmt.Errorf("effective band-stop frequency (%s) is too high (maximum based on Nyquist is %s); lower h_freq or h_trans_bandwidth: %w",
					pyFloat(t.hStop[i]), pyFloat(nyq), errNyquist)
			}
		}
		d.f.HTransBandwidth = htb
	}

	n, err := d.filterLength()
	if err != nil {
		return nil, err
	}
	d.logf("- Filter length: %d samples (%.3f sec)", n, float64(n)/d.sfreq)
	d.logf("")
	if n <= 0 {
		return nil, fmt.Errorf("filter_length must be positive, got %d", n)
	}
	t.length = n
	d.length = n
	if d.opt.NTimes > 0 && int64(n) > d.opt.NTimes && (l != nil || h != nil) {
		d.warnf("filter_length (%d) is longer than the signal (%d), distortion is likely. Reduce filter length or filter a longer signal.", n, d.opt.NTimes)
	}
	return t, nil
}

// filterLength resolves FilterOptions.FilterLength to an odd number of
// samples (MNE's _to_samples plus the odd-length rule of firwin).
func (d *designer) filterLength() (int, error) {
	s := strings.ToLower(strings.TrimSpace(d.opt.FilterLength))
	var secs float64
	mult := 1.0
	switch {
	case s == "" || s == "auto":
		narrowest := math.Inf(1)
		for _, b := range append(slices.Clone(d.f.LTransBandwidth), d.f.HTransBandwidth...) {
			narrowest = math.Min(narrowest, b)
		}
		// MNE formats this as "%ss" and parses it back: Python's repr of
		// a float round-trips, so the value is unchanged.
		secs = d.win.lengthFac / narrowest
	case strings.HasSuffix(s, "ms") || strings.HasSuffix(s, "s"):
		num := strings.TrimSuffix(s, "s")
		if strings.HasSuffix(s, "ms") {
			num, mult = strings.TrimSuffix(s, "ms"), 1e-3
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf(`filter_length, if a string, must be a human-readable time, e.g. "10s", or "auto", not %q`, d.opt.FilterLength)
		}
		secs = v
	default:
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf(`filter_length must be "auto", a time such as "10s" or "500ms", or a number of samples, not %q`, d.opt.FilterLength)
		}
		return n + (n-1)&1, nil
	}
	x := math.Ceil(secs * mult * d.sfreq)
	if x > 1<<31 {
		return 0, fmt.Errorf("filter_length %q is %g samples at %g Hz: too long", d.opt.FilterLength, x, d.sfreq)
	}
	n := max(int(x), 1)
	return n + (n-1)&1, nil
}

// bandStopPoints builds the gain control points of a (multi-)band-stop
// from the triaged edges, as create_filter does.
func bandStopPoints(t *triaged, nyq float64) (freq, gain []float64, err error) {
	// outputs of the reversed triage: pass edges fp1 = lStop, fp2 =
	// hStop; stop edges fs1 = lFreq, fs2 = hFreq.
	type pt struct{ f, g float64 }
	var pts []pt
	for _, v := range t.lStop {
		pts = append(pts, pt{v, 1})
	}
	for _, v := range t.lFreq {
		pts = append(pts, pt{v, 0})
	}
	for _, v := range t.hFreq {
		pts = append(pts, pt{v, 0})
	}
	for _, v := range t.hStop {
		pts = append(pts, pt{v, 1})
	}
	slices.SortStableFunc(pts, func(a, b pt) int {
		switch {
		case a.f < b.f:
			return -1
		case a.f > b.f:
			return 1
		}
		return 0
	})
	for _, p := range pts {
		freq, gain = append(freq, p.f), append(gain, p.g)
	}
	if freq[0] != 0 {
		freq, gain = append([]float64{0}, freq...), append([]float64{1}, gain...)
	}
	if freq[len(freq)-1] != nyq {
		freq, gain = append(freq, nyq), append(gain, 1)
	}
	for i := 0; i+2 < len(gain); i++ {
		if math.Abs(gain[i+2]-2*gain[i+1]+gain[i]) > 1 {
			return nil, nil, errors.New("stop bands are not sufficiently separated")
		}
	}
	return freq, gain, nil
}

// fir is MNE's _construct_fir_filter for phase="zero", firwin design.
func (d *designer) fir(freq, gain []float64) error {
	nyq := d.sfreq / 2
	fn := make([]float64, len(freq))
	for i, v := range freq {
		fn[i] = v / nyq
	}
	if fn[0] != 0 || fn[len(fn)-1] != 1 {
		return fmt.Errorf("freq must start at 0 and end at Nyquist (%g), got %v", nyq, freq)
	}
	h, err := firwinDesign(d.length, fn, gain, d.win, d.sfreq)
	if err != nil {
		return err
	}
	if db, at := stopAttenuation(h, fn, gain); db < 20 {
		d.warnf("Attenuation at stop frequency %.2f Hz is only %.2f dB. Increase filter_length for higher attenuation.", at*nyq, db)
	}
	d.f.Taps = h
	return nil
}

// fmtBands formats transition bandwidths as MNE's log does: "%0.2f" of
// the value given (or of the one automatic value), numpy's fixed
// two-decimal array print for automatic values of several bands.
func fmtBands(v []float64, given float64) string {
	if given != 0 {
		return fmt.Sprintf("%.2f", given)
	}
	if len(v) == 1 {
		return fmt.Sprintf("%.2f", v[0])
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// pyFloat formats like Python's repr of a float (40.0, 0.5, 1e-05).
func pyFloat(v float64) string {
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

func pyFloats(v []float64) string {
	if len(v) == 1 {
		return pyFloat(v[0])
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = pyFloat(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
