package preprocess

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// NotchOptions are the parameters of NotchFilter, with the defaults of
// MNE's raw.notch_filter(freqs) for zero values.
type NotchOptions struct {
	// NotchWidths are the stop-band widths in Hz, one per frequency or
	// one for all; nil means freqs/200.
	NotchWidths []float64
	// TransBandwidth is the width of each transition band in Hz; 0 means
	// MNE's default, 1 Hz.
	TransBandwidth float64
	// FilterLength and FIRWindow as in FilterOptions ("auto", hamming).
	FilterLength string
	FIRWindow    string
	// NTimes as in FilterOptions.
	NTimes int64
}

// NotchFilter designs MNE's default (FIR) notch filter at freqs (Hz), as
// mne.filter.notch_filter does: one band-stop per frequency f with edges
// f ∓ (width/2 + trans/2) and transition bands of trans/2 on each side,
// all in one FIR filter, i.e. create_filter(sfreq, l_freq=highs,
// h_freq=lows, l_trans_bandwidth=trans/2, h_trans_bandwidth=trans/2).
func NotchFilter(sfreq float64, freqs []float64, opt NotchOptions) (*Filter, error) {
	if len(freqs) == 0 {
		return nil, errors.New("notch: no frequencies given")
	}
	widths := make([]float64, len(freqs))
	switch len(opt.NotchWidths) {
	case 0:
		for i, f := range freqs {
			widths[i] = f / 200
		}
	case 1:
		for i := range widths {
			widths[i] = opt.NotchWidths[0]
		}
	case len(freqs):
		copy(widths, opt.NotchWidths)
	default:
		return nil, errors.New("notch_widths must be None, scalar, or the same length as freqs")
	}
	for _, w := range widths {
		if w < 0 || math.IsNaN(w) {
			return nil, errors.New("notch_widths must be >= 0")
		}
	}
	tb := opt.TransBandwidth
	if tb == 0 {
		tb = 1
	}
	if !(tb > 0) || math.IsInf(tb, 0) {
		return nil, fmt.Errorf("trans_bandwidth must be positive, got %g", tb)
	}
	tb2 := tb / 2
	lows := make([]float64, len(freqs))
	highs := make([]float64, len(freqs))
	for i, f := range freqs {
		lows[i] = f - widths[i]/2 - tb2
		highs[i] = f + widths[i]/2 + tb2
	}
	return CreateBandStop(sfreq, lows, highs, FilterOptions{
		FilterLength:    opt.FilterLength,
		FIRWindow:       opt.FIRWindow,
		LTransBandwidth: tb2,
		HTransBandwidth: tb2,
		NTimes:          opt.NTimes,
	})
}

// Harmonics returns the multiples of each base frequency (Hz) whose notch
// fits below Nyquist with the default width (f/200) and the given
// transition bandwidth (0: 1 Hz), sorted, without duplicates: the
// frequencies to give NotchFilter to remove line noise and its
// harmonics (50 Hz at 1100 Hz: 50, 100, ..., 500).
func Harmonics(base []float64, sfreq, transBandwidth float64) []float64 {
	if transBandwidth == 0 {
		transBandwidth = 1
	}
	nyq := sfreq / 2
	var out []float64
	for _, f := range base {
		if !(f > 0) {
			continue
		}
		for k := 1; ; k++ {
			h := float64(k) * f
			if h+h/400+transBandwidth/2 >= nyq {
				break
			}
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
