package preprocess

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/megflow/megflow/internal/dsp"
)

// WelchOptions are the parameters of PSDWelch. Zero values take the
// defaults of MNE 1.3's mne.time_frequency.psd_array_welch, which are those
// of scipy.signal.spectrogram underneath: 256-point segments without
// overlap, a periodic Hamming window, each segment's mean removed
// (detrend="constant"), one-sided density scaling and the mean of the
// segment periodograms.
//
// Note that MNE's raw.compute_psd() and raw.plot_psd() use
// n_fft = min(n_times, 2048) instead (see RawPSDNFFT).
type WelchOptions struct {
	// NFFT is the FFT length (MNE's n_fft); 0 means 256. Segments shorter
	// than NFFT are zero-padded. Unless NPerSeg is set, NFFT must not
	// exceed the number of samples.
	NFFT int
	// NPerSeg is the segment length (n_per_seg); 0 means NFFT. It is
	// lowered to NFFT and to the number of samples when larger.
	NPerSeg int
	// NOverlap is the number of samples shared by consecutive segments
	// (n_overlap, default 0); it must be below the segment length.
	NOverlap int
	// Window is "hamming" (default), "hann" (or "hanning") or "boxcar",
	// all in scipy's periodic (fftbins=True) form.
	Window string
	// Average is "mean" (default) or "median" (bias-corrected as scipy and
	// MNE do).
	Average string
	// FMin and FMax bound the frequencies returned, inclusive. FMax = 0
	// means no upper bound (MNE's fmax=np.inf).
	FMin, FMax float64
}

// RawPSDNFFT returns the FFT length MNE 1.3 uses for raw.compute_psd()
// and raw.plot_psd() with method="welch": min(nTimes, 2048).
func RawPSDNFFT(nTimes int) int { return min(nTimes, 2048) }

// welchPlan is the validated geometry of one PSDWelch call.
type welchPlan struct {
	nfft, nperseg, step, nseg int
	lo, hi                    int // frequency bins [lo, hi)
	win                       []float64
	scale                     float64 // 1/(sfreq·Σw²)
	median                    bool
}

func newWelchPlan(nTimes int, sfreq float64, opt WelchOptions) (*welchPlan, error) {
	if !(sfreq > 0) || math.IsInf(sfreq, 0) {
		return nil, fmt.Errorf("preprocess: PSDWelch: sampling frequency must be positive and finite, got %g", sfreq)
	}
	nfft := opt.NFFT
	if nfft == 0 {
		nfft = 256
	}
	if nfft < 1 {
		return nil, fmt.Errorf("preprocess: PSDWelch: n_fft must be positive, got %d", nfft)
	}
	if opt.NPerSeg < 0 || opt.NOverlap < 0 {
		return nil, fmt.Errorf("preprocess: PSDWelch: n_per_seg (%d) and n_overlap (%d) must not be negative", opt.NPerSeg, opt.NOverlap)
	}
	if nTimes < 1 {
		return nil, errors.New("preprocess: PSDWelch: no samples")
	}
	if opt.NPerSeg == 0 && nfft > nTimes {
		return nil, fmt.Errorf("preprocess: PSDWelch: n_fft (%d) exceeds the signal length (%d); set NPerSeg to zero-pad", nfft, nTimes)
	}
	nperseg := opt.NPerSeg
	if nperseg == 0 || nperseg > nfft {
		nperseg = nfft
	}
	nperseg = min(nperseg, nTimes)
	if opt.NOverlap >= nperseg {
		return nil, fmt.Errorf("preprocess: PSDWelch: n_overlap (%d) must be below n_per_seg (%d)", opt.NOverlap, nperseg)
	}
	p := &welchPlan{nfft: nfft, nperseg: nperseg, step: nperseg - opt.NOverlap}
	p.nseg = (nTimes - opt.NOverlap) / p.step

	switch opt.Average {
	case "", "mean":
	case "median":
		p.median = true
	default:
		return nil, fmt.Errorf("preprocess: PSDWelch: average must be \"mean\" or \"median\", got %q", opt.Average)
	}

	p.win = make([]float64, nperseg)
	switch opt.Window {
	case "", "hamming":
		periodicCosineWindow(p.win, 0.54)
	case "hann", "hanning":
		periodicCosineWindow(p.win, 0.5)
	case "boxcar", "rectangular", "ones":
		for i := range p.win {
			p.win[i] = 1
		}
	default:
		return nil, fmt.Errorf("preprocess: PSDWelch: unknown window %q (want hamming, hann or boxcar)", opt.Window)
	}
	var ss float64
	for _, w := range p.win {
		ss += w * w
	}
	p.scale = 1 / (sfreq * ss)

	fmax := opt.FMax
	if fmax == 0 {
		fmax = math.Inf(1)
	}
	nfreq := nfft/2 + 1
	p.lo, p.hi = -1, -1
	for k := range nfreq {
		f := float64(k) * (sfreq / float64(nfft))
		if f >= opt.FMin && f <= fmax {
			if p.lo < 0 {
				p.lo = k
			}
			p.hi = k + 1
		}
	}
	if p.lo < 0 {
		return nil, fmt.Errorf("preprocess: PSDWelch: no frequencies between fmin=%g and fmax=%g", opt.FMin, opt.FMax)
	}
	return p, nil
}

// periodicCosineWindow fills w with a - (1-a)·cos(2πn/N), N = len(w):
// scipy's general_hamming(N, a, sym=False).
func periodicCosineWindow(w []float64, a float64) {
	n := len(w)
	if n == 1 {
		w[0] = 1
		return
	}
	for i := range w {
		w[i] = a - (1-a)*math.Cos(2*math.Pi*float64(i)/float64(n))
	}
}

// PSDWelch computes the power spectral density of each row of data
// (channels × samples, all rows of one length) by Welch's method, as
// mne.time_frequency.psd_array_welch(data, sfreq, ...) does with the
// options' MNE equivalents: psd[c][k] is in unit²/Hz at freqs[k], where
// freqs are the bins k·sfreq/NFFT within [FMin, FMax].
//
// Each segment of NPerSeg samples (NPerSeg-NOverlap apart; a tail too
// short for a segment is ignored) has its mean removed, is windowed,
// zero-padded to NFFT and transformed; |X|²/(sfreq·Σw²), doubled for
// the bins other than DC and Nyquist, is averaged over segments.
// Segments containing NaN are left out of the average (numpy's nanmean
// and nanmedian, so that samples blanked out as bad do not spoil a
// spectrum); a channel with no finite segment gets NaN.
//
// Channels are processed in parallel; each worker reuses its buffers.
func PSDWelch(data [][]float64, sfreq float64, opt WelchOptions) (psd [][]float64, freqs []float64, err error) {
	if len(data) == 0 {
		return nil, nil, errors.New("preprocess: PSDWelch: no channels")
	}
	nTimes := len(data[0])
	for c, row := range data {
		if len(row) != nTimes {
			return nil, nil, fmt.Errorf("preprocess: PSDWelch: channel %d has %d samples, channel 0 has %d", c, len(row), nTimes)
		}
	}
	p, err := newWelchPlan(nTimes, sfreq, opt)
	if err != nil {
		return nil, nil, err
	}
	nf := p.hi - p.lo
	freqs = make([]float64, nf)
	for i := range freqs {
		freqs[i] = float64(p.lo+i) * (sfreq / float64(p.nfft))
	}
	psd = make([][]float64, len(data))
	flat := make([]float64, len(data)*nf)
	for c := range psd {
		psd[c] = flat[c*nf : (c+1)*nf : (c+1)*nf]
	}

	fft := dsp.RealFFTPlan(p.nfft)
	workers := min(runtime.GOMAXPROCS(0), len(data))
	var next sync.Mutex
	ch := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWelchWork(p)
			for {
				next.Lock()
				c := ch
				ch++
				next.Unlock()
				if c >= len(data) {
					return
				}
				w.channel(fft, data[c], psd[c])
			}
		}()
	}
	wg.Wait()
	return psd, freqs, nil
}

// welchWork holds one worker's buffers.
type welchWork struct {
	p     *welchPlan
	seg   []float64    // nfft, zero tail
	spec  []complex128 // nfft/2+1
	segs  []float64    // median: nseg × nf periodograms
	col   []float64    // median: one bin across segments
	valid []bool       // median: segments without NaN
}

func newWelchWork(p *welchPlan) *welchWork {
	w := &welchWork{p: p, seg: make([]float64, p.nfft), spec: make([]complex128, p.nfft/2+1)}
	if p.median {
		w.segs = make([]float64, p.nseg*(p.hi-p.lo))
		w.col = make([]float64, 0, p.nseg)
		w.valid = make([]bool, p.nseg)
	}
	return w
}

// channel writes the averaged periodogram of x into out.
func (w *welchWork) channel(fft *dsp.RealFFT, x, out []float64) {
	p := w.p
	nf := p.hi - p.lo
	clear(out)
	count := 0
	for s := range p.nseg {
		seg := x[s*p.step : s*p.step+p.nperseg]
		var mean float64
		for _, v := range seg {
			mean += v
		}
		mean /= float64(p.nperseg)
		if math.IsNaN(mean) {
			if p.median {
				w.valid[s] = false
			}
			continue
		}
		for i, v := range seg {
			w.seg[i] = (v - mean) * p.win[i]
		}
		w.spec = fft.Forward(w.spec, w.seg)
		dst := out
		if p.median {
			w.valid[s] = true
			dst = w.segs[s*nf : (s+1)*nf]
		}
		for i := range nf {
			k := p.lo + i
			c := w.spec[k]
			v := (real(c)*real(c) + imag(c)*imag(c)) * p.scale
			if k != 0 && !(p.nfft%2 == 0 && k == p.nfft/2) {
				v *= 2
			}
			if p.median {
				dst[i] = v
			} else {
				dst[i] += v
			}
		}
		count++
	}
	if count == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return
	}
	if !p.median {
		inv := float64(count)
		for i := range out {
			out[i] /= inv
		}
		return
	}
	bias := medianBias(count)
	for i := range nf {
		w.col = w.col[:0]
		for s := range p.nseg {
			if w.valid[s] {
				w.col = append(w.col, w.segs[s*nf+i])
			}
		}
		slices.Sort(w.col)
		m := len(w.col)
		var med float64
		if m%2 == 1 {
			med = w.col[m/2]
		} else {
			med = (w.col[m/2-1] + w.col[m/2]) / 2
		}
		out[i] = med / bias
	}
}

// medianBias is scipy's _median_bias(n): the ratio of the median to the
// mean of n exponentially distributed periodogram values,
// 1 + Σ_{i=1}^{(n-1)/2} (1/(2i+1) - 1/(2i)).
func medianBias(n int) float64 {
	b := 1.0
	for i := 1; i <= (n-1)/2; i++ {
		b += 1/float64(2*i+1) - 1/float64(2*i)
	}
	return b
}
