package preprocess

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/bigmem"
	"github.com/megflow/megflow/internal/dsp"
)

// ResampleOptions are the arguments of MNE's raw.resample (method FFT,
// window "boxcar", pad "reflect_limited": MNE 1.3's defaults and its only
// choices here). The zero value, with SFreq set, is MNE's defaults.
type ResampleOptions struct {
	// SFreq is the new sampling frequency (Hz).
	SFreq float64
	// NPad is the number of samples of padding on each side; nil is MNE's
	// npad="auto" (pad to the next power of two with at least
	// 2·min(n/8, 100) samples added).
	NPad *int
	// StimPicks are the channels resampled by MNE's trigger rule (take, in
	// each new sample's window of old samples, the first non-zero value)
	// instead of by FFT; nil selects every stim channel, bad or not, as MNE
	// does. Use an empty non-nil slice for none.
	StimPicks []int
	// Segments are the lengths of the contiguous parts MNE resamples one by
	// one (one per file of a split recording, as read_raw_fif keeps them);
	// nil means the whole recording is one segment.
	Segments []int64
	// Workers is the number of channels resampled in parallel; 0 means
	// GOMAXPROCS.
	Workers int
	// MaxMemory bounds the input held at once (bytes): channels are
	// resampled in groups of whole-recording rows that fit in it. 0 means
	// 256 MiB. At least one channel is always held.
	MaxMemory int64
	// SpillSize is the output size (bytes) above which the resampled data
	// go to an unlinked temporary file in TempDir instead of memory. 0 means
	// 1 GiB.
	SpillSize int64
	TempDir   string
	// Progress, when not nil, is called after each channel with the number
	// of channels done and the total (from several goroutines, serially).
	Progress func(done, total int)
}

// resampleLayout is the arithmetic of MNE's FFT resampling of one signal
// of n samples (mne.filter.resample): padding, padded and resampled
// lengths, and the samples trimmed after the inverse transform.
type resampleLayout struct {
	n, finalLen      int // input length, output length
	pad0, pad1       int // padding before and after
	origLen, newLen  int // padded length, its resampled length
	trim0, trim1     int // resampled samples removed at each end
	nyqBin           int // spectrum bin adjusted for the Nyquist term, -1 none
	nyqFactor, scale float64
}

// resampleLen is MNE's length after resampling n samples by ratio.
func resampleLen(ratio float64, n int64) int64 {
	return max(int64(math.RoundToEven(ratio*float64(n))), 1)
}

func newResampleLayout(n int, ratio float64, npad *int) (resampleLayout, error) {
	l := resampleLayout{n: n, finalLen: int(resampleLen(ratio, int64(n)))}
	if npad == nil {
		minAdd := min(n/8, 100) * 2
		pow := 1 << bits.Len(uint(n+minAdd-1)) // next power of two ≥ n+minAdd
		total := pow - n
		l.pad0, l.pad1 = total/2, total/2+total%2
	} else {
		if *npad < 0 {
			return l, fmt.Errorf("resample: npad %d must be non-negative", *npad)
		}
		l.pad0, l.pad1 = *npad, *npad
	}
	l.origLen = n + l.pad0 + l.pad1
	l.newLen = int(resampleLen(ratio, int64(l.origLen)))
	l.trim0 = int(math.RoundToEven(ratio * float64(l.pad0)))
	l.trim1 = l.newLen - l.finalLen - l.trim0
	if l.trim1 < 0 || l.trim0 < 0 || l.trim0+l.finalLen > l.newLen {
		return l, fmt.Errorf("resample: padding of %d+%d samples does not leave %d output samples out of %d (choose another npad)",
			l.pad0, l.pad1, l.finalLen, l.newLen)
	}
	// MNE halves (upsampling) or doubles (downsampling) the bin at the
	// Nyquist frequency of the shorter of the two lengths when it is even.
	use := min(l.newLen, l.origLen)
	l.nyqBin = -1
	if use%2 == 0 {
		l.nyqBin = use / 2
		l.nyqFactor = 0.5
		if l.newLen < l.origLen {
			l.nyqFactor = 2
		}
	}
	// The boxcar window is newLen/origLen at every bin; scipy's irfft
	// divides by newLen.
	l.scale = float64(l.newLen) / float64(l.origLen) / float64(l.newLen)
	return l, nil
}

// resampleWork holds one worker's buffers: two of each, for the channel
// pairs of run2.
type resampleWork struct {
	padded, padded2 []float64
	spec, spec2     []complex128
	out, out2       []float64
}

func growF(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func growC(b []complex128, n int) []complex128 {
	if cap(b) < n {
		return make([]complex128, n)
	}
	return b[:n]
}

// pad fills p (l.origLen values) with x padded by odd reflection about
// the end samples, limited to the signal, and zeros beyond it (MNE's
// pad="reflect_limited").
func (l *resampleLayout) pad(p, x []float64) {
	n := l.n
	for i := range l.pad0 {
		j := l.pad0 - i // distance from x[0]
		if j >= n {
			p[i] = 0
		} else {
			p[i] = 2*x[0] - x[j]
		}
	}
	copy(p[l.pad0:], x)
	for i := range l.pad1 {
		j := i + 1 // distance from x[n-1]
		if j >= n {
			p[l.pad0+n+i] = 0
		} else {
			p[l.pad0+n+i] = 2*x[n-1] - x[n-1-j]
		}
	}
}

// spectrum turns the spectrum of the padded signal (origLen/2+1 values at
// the start of buf, of room max(nbIn, nbOut)) into that of the resampled
// one (newLen/2+1 values), unscaled.
func (l *resampleLayout) spectrum(buf []complex128) []complex128 {
	nbIn, nbOut := l.origLen/2+1, l.newLen/2+1
	if l.nyqBin >= 0 {
		buf[l.nyqBin] *= complex(l.nyqFactor, 0)
	}
	spec := buf[:nbOut]
	if nbOut > nbIn {
		clear(spec[nbIn:])
	}
	return spec
}

// run resamples x (l.n samples) into dst (l.finalLen samples).
func (l *resampleLayout) run(dst, x []float64, w *resampleWork) {
	p := growF(w.padded, l.origLen)
	w.padded = p
	l.pad(p, x)
	nbIn, nbOut := l.origLen/2+1, l.newLen/2+1
	w.spec = growC(w.spec, max(nbIn, nbOut))
	dsp.RealFFTPlan(l.origLen).Forward(w.spec[:nbIn], p)
	spec := l.spectrum(w.spec)
	out := growF(w.out, l.newLen)
	w.out = out
	dsp.RealFFTPlan(l.newLen).InverseUnscaled(out, spec)
	for i := range dst {
		dst[i] = out[l.trim0+i] * l.scale
	}
}

// run2 is run of two signals at once, which lets the transforms of odd
// lengths with large prime factors (often the resampled length) do both
// in one complex transform.
func (l *resampleLayout) run2(dst1, dst2, x1, x2 []float64, w *resampleWork) {
	p1, p2 := growF(w.padded, l.origLen), growF(w.padded2, l.origLen)
	w.padded, w.padded2 = p1, p2
	l.pad(p1, x1)
	l.pad(p2, x2)
	nbIn, nbOut := l.origLen/2+1, l.newLen/2+1
	w.spec, w.spec2 = growC(w.spec, max(nbIn, nbOut)), growC(w.spec2, max(nbIn, nbOut))
	dsp.RealFFTPlan(l.origLen).Forward2(w.spec[:nbIn], w.spec2[:nbIn], p1, p2)
	s1, s2 := l.spectrum(w.spec), l.spectrum(w.spec2)
	o1, o2 := growF(w.out, l.newLen), growF(w.out2, l.newLen)
	w.out, w.out2 = o1, o2
	dsp.RealFFTPlan(l.newLen).InverseUnscaled2(o1, o2, s1, s2)
	for i := range dst1 {
		dst1[i] = o1[l.trim0+i] * l.scale
		dst2[i] = o2[l.trim0+i] * l.scale
	}
}

// ResampleArray resamples one signal by the factor ratio (new rate / old
// rate) as mne.filter.resample(x, up=ratio, npad=npad) does with its
// defaults (boxcar window, reflect_limited padding); npad nil is "auto".
func ResampleArray(x []float64, ratio float64, npad *int) ([]float64, error) {
	if !(ratio > 0) || math.IsInf(ratio, 0) {
		return nil, fmt.Errorf("resample: ratio %v must be a positive number", ratio)
	}
	if len(x) == 0 {
		return []float64{}, nil
	}
	l, err := newResampleLayout(len(x), ratio, npad)
	if err != nil {
		return nil, err
	}
	y := make([]float64, l.finalLen)
	l.run(y, x, &resampleWork{})
	return y, nil
}

// resampleStim resamples a trigger channel as MNE's _resample_stim_channels
// with up = len(dst), down = len(x): new sample i looks at the old samples
// from int(i/ratio) to the next new sample's start and takes the first
// non-zero value there, or the value at the start if all are zero.
func resampleStim(dst, x []float64) {
	n, m := len(x), len(dst)
	ratio := float64(m) / float64(n)
	pick := func(i int) int { return min(int(float64(i)/ratio), n-1) }
	for i := range dst {
		a := pick(i)
		b := n
		if i+1 < m {
			b = pick(i + 1)
		}
		v := x[a]
		for k := a; k < b; k++ {
			if x[k] != 0 {
				v = x[k]
				break
			}
		}
		dst[i] = v
	}
}

// Resampled is a recording resampled by Resample: a fif.RawSource for
// fif.WriteRaw (or any further stage). Close it to release the temporary
// file, if the output went to one.
type Resampled struct {
	info      *fif.Info
	firstSamp int64
	nTimes    int64
	ratio     float64
	store     rowStore
}

// RawInfo returns the measurement info with the new sampling frequency and
// low-pass (min(old, new sfreq / 2), as MNE).
func (r *Resampled) RawInfo() *fif.Info { return r.info }

// RawFirstSamp is round(old first sample × ratio) (half to even, as numpy).
func (r *Resampled) RawFirstSamp() int64 { return r.firstSamp }

// RawNTimes is the number of resampled samples.
func (r *Resampled) RawNTimes() int64 { return r.nTimes }

// Ratio is the new sampling frequency divided by the old.
func (r *Resampled) Ratio() float64 { return r.ratio }

// ReadAll reads samples [start, stop) of all channels, channel-major.
func (r *Resampled) ReadAll(dst []float64, start, stop int64) error {
	if start < 0 || stop > r.nTimes || start > stop {
		return fmt.Errorf("resampled data: read range [%d, %d) outside [0, %d)", start, stop, r.nTimes)
	}
	ns := int(stop - start)
	if len(dst) != len(r.info.Chs)*ns {
		return fmt.Errorf("resampled data: read buffer has %d values, need %d channels × %d samples", len(dst), len(r.info.Chs), ns)
	}
	for ch := range r.info.Chs {
		if err := r.store.read(ch, start, dst[ch*ns:(ch+1)*ns]); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the output storage.
func (r *Resampled) Close() error { return r.store.close() }

// Events returns events moved to the resampled time base (see
// ResampleEvents).
func (r *Resampled) Events(events []fif.Event) []fif.Event {
	return ResampleEvents(events, r.ratio, r.firstSamp, r.nTimes)
}

// ResampleEvents moves events (absolute samples) to a recording resampled
// by ratio whose first sample is firstSamp and length nTimes, as MNE's
// raw.resample(events=...) does: round(sample × ratio), half to even,
// capped at the last sample. Previous values and ids are kept.
func ResampleEvents(events []fif.Event, ratio float64, firstSamp, nTimes int64) []fif.Event {
	out := make([]fif.Event, len(events))
	last := nTimes + firstSamp - 1
	for i, e := range events {
		e.Sample = min(int64(math.RoundToEven(float64(e.Sample)*ratio)), last)
		out[i] = e
	}
	return out
}

// Resample resamples every channel of src to opt.SFreq as MNE's
// raw.resample(sfreq) does: FFT resampling of each contiguous segment with
// MNE's padding, trigger channels by MNE's subsampling rule, the first
// sample scaled and rounded, sfreq and lowpass updated. FFT resampling
// needs whole channels, so channels are read in groups whose rows fit in
// opt.MaxMemory and resampled in parallel; the output is kept in memory or
// in a temporary file (opt.SpillSize).
func Resample(ctx context.Context, src fif.RawSource, opt ResampleOptions) (*Resampled, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	info := src.RawInfo()
	old := info.SFreq
	sfreq := opt.SFreq
	if !(sfreq > 0) || math.IsInf(sfreq, 0) {
		return nil, fmt.Errorf("resample: new sampling frequency %v must be a positive number", sfreq)
	}
	if !(old > 0) || math.IsInf(old, 0) {
		return nil, fmt.Errorf("resample: the recording's sampling frequency %v is not a positive number", old)
	}
	nch := len(info.Chs)
	n := src.RawNTimes()
	if nch == 0 || n <= 0 {
		return nil, fmt.Errorf("resample: the recording has no data (%d channels, %d samples)", nch, n)
	}
	ratio := sfreq / old
	segs := opt.Segments
	if segs == nil {
		segs = []int64{n}
	}
	var total int64
	for _, s := range segs {
		if s <= 0 {
			return nil, fmt.Errorf("resample: segment length %d must be positive", s)
		}
		total += s
	}
	if total != n {
		return nil, fmt.Errorf("resample: segments add up to %d samples, the recording has %d", total, n)
	}
	layouts := make([]resampleLayout, len(segs))
	var newN int64
	for i, s := range segs {
		l, err := newResampleLayout(int(s), ratio, opt.NPad)
		if err != nil {
			return nil, err
		}
		layouts[i] = l
		newN += int64(l.finalLen)
	}

	isStim := make([]bool, nch)
	if opt.StimPicks == nil {
		for i, c := range info.Chs {
			isStim[i] = c.Kind == fif.KindStim
		}
	} else {
		for _, p := range opt.StimPicks {
			if p < 0 || p >= nch {
				return nil, fmt.Errorf("resample: stim pick %d outside [0, %d)", p, nch)
			}
			isStim[p] = true
		}
	}

	spill := opt.SpillSize
	if spill <= 0 {
		spill = 1 << 30
	}
	var store rowStore
	var err error
	if int64(nch)*newN*8 > spill {
		store, err = newFileStore(opt.TempDir, nch, newN)
		if err != nil {
			return nil, err
		}
	} else {
		store = newMemStore(nch, newN)
	}
	if err := resampleChannels(ctx, src, opt, layouts, isStim, store, n, newN); err != nil {
		store.close()
		return nil, err
	}

	out := *info
	out.SFreq = sfreq
	out.Lowpass = math.Min(info.Lowpass, sfreq/2)
	return &Resampled{
		info:      &out,
		firstSamp: int64(math.RoundToEven(float64(src.RawFirstSamp()) * ratio)),
		nTimes:    newN,
		ratio:     ratio,
		store:     store,
	}, nil
}

// resampleChannels runs the groups: read the rows of a group, resample
// them on the workers, store them.
func resampleChannels(ctx context.Context, src fif.RawSource, opt ResampleOptions, layouts []resampleLayout, isStim []bool, store rowStore, n, newN int64) error {
	nch := len(isStim)
	budget := opt.MaxMemory
	if budget <= 0 {
		budget = 256 << 20
	}
	group := int(min(int64(nch), max(1, budget/(n*8))))
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, group)
	rows := bigmem.Float64s(group * int(n))
	works := make([]resampleWork, workers)
	outs := make([][]float64, 2*workers)
	for i := range outs {
		outs[i] = make([]float64, newN)
	}
	var mu sync.Mutex
	done := 0
	picks := make([]int, 0, group)
	for g0 := 0; g0 < nch; g0 += group {
		if err := ctx.Err(); err != nil {
			return err
		}
		picks = picks[:0]
		for ch := g0; ch < min(g0+group, nch); ch++ {
			picks = append(picks, ch)
		}
		buf := rows[:len(picks)*int(n)]
		if err := readRows(src, picks, 0, n, buf); err != nil {
			return err
		}
		// A job is a pair of non-stim channels (resampled together by
		// run2) or a single channel.
		var jobList [][2]int
		pending := -1
		for k, ch := range picks {
			switch {
			case isStim[ch]:
				jobList = append(jobList, [2]int{k, -1})
			case pending < 0:
				pending = k
			default:
				jobList = append(jobList, [2]int{pending, k})
				pending = -1
			}
		}
		if pending >= 0 {
			jobList = append(jobList, [2]int{pending, -1})
		}
		jobs := make(chan [2]int)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for job := range jobs {
					if errs[w] != nil || ctx.Err() != nil {
						continue
					}
					k1, k2 := job[0], job[1]
					row := func(k int) []float64 { return buf[k*int(n) : (k+1)*int(n)] }
					y1, y2 := outs[2*w], outs[2*w+1]
					var o0, i0 int
					for _, l := range layouts {
						d1, x1 := y1[o0:o0+l.finalLen], row(k1)[i0:i0+l.n]
						switch {
						case isStim[picks[k1]]:
							resampleStim(d1, x1)
						case k2 < 0:
							l.run(d1, x1, &works[w])
						default:
							l.run2(d1, y2[o0:o0+l.finalLen], x1, row(k2)[i0:i0+l.n], &works[w])
						}
						o0 += l.finalLen
						i0 += l.n
					}
					for i, k := range job {
						if k < 0 {
							continue
						}
						if err := store.write(picks[k], outs[2*w+i]); err != nil {
							errs[w] = err
							break
						}
						if opt.Progress != nil {
							mu.Lock()
							done++
							opt.Progress(done, nch)
							mu.Unlock()
						}
					}
				}
			}()
		}
		for _, job := range jobList {
			jobs <- job
		}
		close(jobs)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return ctx.Err()
}
