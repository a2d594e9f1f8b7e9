package preprocess

import (
	"fmt"
	"math"
	"math/cmplx"
)

// windowInfo describes a FIR design window as MNE reports it: the length
// factor that sets the filter length for a transition band (MNE's
// _length_factors: taps ≈ factor·sfreq/transition), and the passband
// ripple and stopband attenuation it logs.
type windowInfo struct {
	name        string // as MNE prints it
	lengthFac   float64
	ripple      float64
	attenuation int
	coefs       []float64 // generalized cosine window coefficients
}

var windows = map[string]windowInfo{
	"hamming":  {"Hamming", 3.3, 0.0194, 53, []float64{0.54, 0.46}},
	"hann":     {"Hann", 3.1, 0.0546, 44, []float64{0.5, 0.5}},
	"blackman": {"Blackman", 5.0, 0.0017, 74, []float64{0.42, 0.50, 0.08}},
}

// symWindow returns the symmetric generalized cosine window of length m
// (scipy.signal.get_window(name, m, fftbins=False)): Σ_k a_k·cos(k·φ_i)
// with φ running from -π to π in m steps (numpy.linspace), which gives
// scipy's alternating signs without writing them.
func symWindow(coefs []float64, m int) []float64 {
	w := make([]float64, m)
	if m <= 1 {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	step := 2 * math.Pi / float64(m-1)
	for i := range w {
		phi := float64(i)*step - math.Pi
		if i == m-1 {
			phi = math.Pi
		}
		var s float64
		for k, a := range coefs {
			s += a * math.Cos(float64(k)*phi)
		}
		w[i] = s
	}
	return w
}

// sinc is numpy.sinc: sin(πx)/(πx), 1 at 0 (numpy evaluates it at 1e-20
// there, which rounds to exactly 1).
func sinc(x float64) float64 {
	if x == 0 {
		x = 1e-20
	}
	y := math.Pi * x
	return math.Sin(y) / y
}

// firwinLowpass is scipy.signal.firwin(n, cutoff, window=win,
// pass_zero=True, fs=2): a windowed-sinc low-pass with cutoff as a
// fraction of Nyquist, scaled to unit gain at DC.
func firwinLowpass(n int, cutoff float64, win windowInfo) ([]float64, error) {
	if !(cutoff > 0 && cutoff < 1) {
		return nil, fmt.Errorf("invalid cutoff frequency %g (as a fraction of Nyquist): it must be between 0 and 1", cutoff)
	}
	h := make([]float64, n)
	alpha := 0.5 * float64(n-1)
	for i := range h {
		m := float64(i) - alpha
		h[i] = cutoff * sinc(cutoff*m)
	}
	w := symWindow(win.coefs, n)
	for i := range h {
		h[i] *= w[i]
	}
	s := pairwiseSum(h)
	for i := range h {
		h[i] /= s
	}
	return h, nil
}

// pairwiseSum sums as numpy's add.reduce does for long arrays (blocks of
// 128 summed in 8 interleaved partial sums, halves added recursively), so
// that the normalization of the taps rounds like scipy's.
func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		var s float64
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-(n%8); i += 8 {
			for j := 0; j < 8; j++ {
				r[j] += x[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum(x[:n2]) + pairwiseSum(x[n2:])
}

// firwinDesign is MNE's _firwin_design: the taps of length n (odd) for
// the piecewise-constant gain (0 or 1) at the normalized frequencies freq
// (0 ... 1 = Nyquist). Starting from all-pass or all-stop at Nyquist, each
// change of gain adds or subtracts a low-pass whose cutoff is the middle
// of the transition and whose own length follows from the transition
// width (centred in the n taps).
func firwinDesign(n int, freq, gain []float64, win windowInfo, sfreq float64) ([]float64, error) {
	h := make([]float64, n)
	prevFreq, prevGain := freq[len(freq)-1], gain[len(gain)-1]
	if prevGain == 1 {
		h[n/2] = 1
	}
	for i := len(freq) - 2; i >= 0; i-- {
		thisFreq, thisGain := freq[i], gain[i]
		if thisGain != prevGain {
			transition := (prevFreq - thisFreq) / 2
			thisN := int(math.RoundToEven(win.lengthFac / transition))
			thisN += 1 - thisN%2
			if thisN > n {
				return nil, fmt.Errorf("the requested filter length %d is too short for the requested %.2f Hz transition band, which requires %d samples",
					n, transition*sfreq/2, thisN)
			}
			lp, err := firwinLowpass(thisN, (prevFreq+thisFreq)/2, win)
			if err != nil {
				return nil, err
			}
			off := (n - thisN) / 2
			for j, v := range lp {
				if thisGain == 0 {
					h[off+j] -= v
				} else {
					h[off+j] += v
				}
			}
		}
		prevGain, prevFreq = thisGain, thisFreq
	}
	return h, nil
}

// freqResponse returns |H(e^{iπf})| of the taps h at normalized
// frequencies f (1 = Nyquist), as scipy.signal.freqz(h, worN=π·f).
func freqResponse(h []float64, f []float64) []float64 {
	out := make([]float64, len(f))
	for i, fi := range f {
		w := math.Pi * fi
		var s complex128
		for n, hn := range h {
			s += complex(hn, 0) * cmplx.Rect(1, -w*float64(n))
		}
		out[i] = cmplx.Abs(s)
	}
	return out
}

// stopAttenuation is MNE's _filter_attenuation: the smallest attenuation
// (dB) over the stop-band control points and where it occurs.
func stopAttenuation(h, freq, gain []float64) (db, at float64) {
	resp := freqResponse(h, freq)
	idx := 0
	for i := range resp {
		if gain[i] == 1 {
			resp[i] = 0
		}
		if resp[i] > resp[idx] {
			idx = i
		}
	}
	return -20 * math.Log10(math.Max(resp[idx], 1e-20)), freq[idx]
}
