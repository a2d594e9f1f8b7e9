package epochs

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/megflow/megflow/fif"
)

// Baseline is a baseline interval in seconds; a NaN end means MNE's None
// (the first or the last time of the epoch). A nil *Baseline means no
// baseline correction.
type Baseline struct {
	Tmin, Tmax float64
}

// BaselineNoneZero is MNE's default baseline (None, 0): from the start of
// the epoch to the event.
func BaselineNoneZero() *Baseline { return &Baseline{Tmin: math.NaN(), Tmax: 0} }

// ParseBaseline reads "none" (no baseline, nil), "none,0" or "-0.2,0"
// (the two ends; "none" or "" for an open end).
func ParseBaseline(s string) (*Baseline, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "none" || s == "off" {
		return nil, nil
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return nil, fmt.Errorf("baseline %q: want none or START,END (seconds; none for an open end), e.g. none,0", s)
	}
	end := func(v string) (float64, error) {
		v = strings.TrimSpace(v)
		if v == "" || v == "none" {
			return math.NaN(), nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("baseline %q: %q is not a time in seconds", s, v)
		}
		return f, nil
	}
	lo, err := end(a)
	if err != nil {
		return nil, err
	}
	hi, err := end(b)
	if err != nil {
		return nil, err
	}
	return &Baseline{Tmin: lo, Tmax: hi}, nil
}

// EventRepeated says what to do with events that share a sample (MNE's
// event_repeated).
type EventRepeated int

const (
	// RepeatedError refuses them (MNE's default).
	RepeatedError EventRepeated = iota
	// RepeatedDrop keeps the first of each sample and logs the others as
	// 'DROP DUPLICATE'.
	RepeatedDrop
)

// Options are the parameters of New, named after mne.Epochs'. The zero
// value of a field is the natural default where MNE's default cannot be a
// Go zero value: see the fields.
type Options struct {
	// EventID selects and names the conditions; nil uses every code in
	// the events, named by itself (MNE's event_id=None).
	EventID EventID
	// Tmin and Tmax are the epoch limits in seconds around each event
	// (both included, rounded to samples as MNE does). Tmin < Tmax.
	Tmin, Tmax float64
	// Baseline is the interval whose mean is subtracted from each channel
	// of each epoch; nil means none. MNE's default is BaselineNoneZero().
	Baseline *Baseline
	// Picks are the channels (indices into the source's info); nil means
	// the MEG channels that are not marked bad (DefaultPicks).
	Picks []int
	// Reject and Flat are peak-to-peak limits by channel type.
	Reject, Flat Thresholds
	// RejectTmin and RejectTmax restrict the rejection window (seconds);
	// nil means the start / end of the epoch.
	RejectTmin, RejectTmax *float64
	// Decim keeps every Decim-th sample (0 or 1: all). DecimOffset is
	// added to MNE's start index (0 <= DecimOffset < Decim).
	Decim, DecimOffset int
	// NoProj leaves the SSP projectors unapplied (MNE's proj=False); by
	// default they are applied and marked active.
	NoProj bool
	// Shift, in seconds, is added to every event time before epoching
	// (rounded to the nearest sample, half to even), e.g. 0.0345 for a
	// projector delay.
	Shift float64
	// EventRepeated handles events sharing a sample.
	EventRepeated EventRepeated
	// Annotations of the recording (MNE's raw.annotations, onsets in
	// seconds from the first sample): an epoch whose rejection window
	// overlaps one whose description starts with "bad" (any case) is
	// dropped with that description as the reason (MNE's
	// reject_by_annotation=True).
	Annotations []Annotation
	// Log receives MNE's informational messages and warnings; nil
	// discards them.
	Log *slog.Logger
	// Progress, if set, is called after each epoch is read with the number
	// done and the total.
	Progress func(done, total int)
}

// Annotation is a labelled time span of a recording.
type Annotation struct {
	Onset, Duration float64 // seconds; onset from the first sample
	Description     string
}

// DefaultPicks returns the MEG channels (gradiometers and magnetometers)
// that are not marked bad: mne.pick_types(info, meg=True, exclude='bads').
func DefaultPicks(info *fif.Info) []int {
	var out []int
	for i, c := range info.Chs {
		t := fif.ChannelType(c)
		if (t == "grad" || t == "mag" || t == "meg") && !info.IsBad(c.Name) {
			out = append(out, i)
		}
	}
	return out
}

// ParsePicks reads a channel selection: comma-separated channel names and
// type words (meg, grad, mag, eeg, eog, ecg, emg, stim, misc, data, all).
// Type words select the channels of the type that are not marked bad, as
// pick_types(..., exclude='bads'); names are taken as given, bad or not.
// The result is in file order. "" gives DefaultPicks.
func ParsePicks(info *fif.Info, spec string) ([]int, error) {
	if strings.TrimSpace(spec) == "" {
		return DefaultPicks(info), nil
	}
	var sel []int
	for _, tok := range strings.Split(spec, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if i := info.ChIndex(tok); i >= 0 {
			sel = append(sel, i)
			continue
		}
		idx, err := info.ParsePicks(tok)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			if !info.IsBad(info.Chs[i].Name) {
				sel = append(sel, i)
			}
		}
	}
	slices.Sort(sel)
	sel = slices.Compact(sel)
	if len(sel) == 0 {
		return nil, fmt.Errorf("picks %q select no good channels", spec)
	}
	return sel, nil
}

// timing is the time axis of an epoch set, computed as MNE's BaseEpochs
// does.
type timing struct {
	sfreq    float64   // of the raw data
	rawTimes []float64 // undecimated epoch times
	decim    int
	iStart   int // first raw sample kept by decimation
	times    []float64
	newSFreq float64
	// baseline: resolved interval (nil: none) and its raw-sample range.
	baseline   *[2]float64
	bLo, bHi   int
	rejLo      int // rejection window [rejLo, rejHi) in decimated samples
	rejHi      int
	rejectTmin *float64
	rejectTmax *float64
}

func pyRound(x float64) int { return int(math.RoundToEven(x)) }

// isClose is numpy's isclose with its default tolerances.
func isClose(a, b float64) bool { return math.Abs(a-b) <= 1e-8+1e-5*math.Abs(b) }

func newTiming(info *fif.Info, opt *Options, log *slog.Logger) (*timing, error) {
	sfreq := info.SFreq
	if !(sfreq > 0) {
		return nil, fmt.Errorf("sampling frequency %g is not positive", sfreq)
	}
	for _, v := range []float64{opt.Tmin, opt.Tmax} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("tmin and tmax must be finite, got tmin=%g tmax=%g", opt.Tmin, opt.Tmax)
		}
	}
	if opt.Tmin >= opt.Tmax {
		return nil, fmt.Errorf("tmin (%g s) must be less than tmax (%g s)", opt.Tmin, opt.Tmax)
	}
	t := &timing{sfreq: sfreq}
	i0 := pyRound(float64(opt.Tmin * sfreq))
	i1 := pyRound(float64(opt.Tmax * sfreq))
	for k := i0; k <= i1; k++ {
		t.rawTimes = append(t.rawTimes, float64(k)/sfreq)
	}
	if len(t.rawTimes) == 0 {
		return nil, fmt.Errorf("tmin %g s and tmax %g s give no sample at %g Hz", opt.Tmin, opt.Tmax, sfreq)
	}

	// Rejection limits are checked against the undecimated times.
	rtmin, rtmax := opt.RejectTmin, opt.RejectTmax
	if rtmin != nil {
		v := *rtmin
		switch {
		case isClose(v, opt.Tmin):
			v = t.rawTimes[0]
		case v < opt.Tmin:
			return nil, fmt.Errorf("reject_tmin needs to be >= tmin (got %g s, tmin %g s)", v, opt.Tmin)
		}
		rtmin = &v
	}
	if rtmax != nil {
		v := *rtmax
		switch {
		case isClose(v, opt.Tmax):
			v = t.rawTimes[len(t.rawTimes)-1]
		case v > opt.Tmax:
			return nil, fmt.Errorf("reject_tmax needs to be <= tmax (got %g s, tmax %g s)", v, opt.Tmax)
		}
		rtmax = &v
	}
	if rtmin != nil && rtmax != nil && *rtmin >= *rtmax {
		return nil, fmt.Errorf("reject_tmin (%g s) needs to be < reject_tmax (%g s)", *rtmin, *rtmax)
	}
	t.rejectTmin, t.rejectTmax = rtmin, rtmax

	// Decimation (mne.utils.mixin.TimeMixin.decimate).
	decim := opt.Decim
	if decim == 0 {
		decim = 1
	}
	if decim < 1 {
		return nil, fmt.Errorf("decim must be an integer > 0, got %d", opt.Decim)
	}
	if opt.DecimOffset < 0 || opt.DecimOffset >= decim {
		return nil, fmt.Errorf("decimation offset must be at least 0 and less than %d, got %d", decim, opt.DecimOffset)
	}
	t.decim = decim
	t.newSFreq = sfreq / float64(decim)
	if decim > 1 && t.newSFreq < 3*info.Lowpass {
		log.Warn(fmt.Sprintf("The measurement information indicates a low-pass frequency of %g Hz. The decim=%d parameter will result in a sampling frequency of %g Hz, which can cause aliasing artifacts.",
			info.Lowpass, decim, t.newSFreq))
	}
	start := pyRound(float64(-t.rawTimes[0] * sfreq))
	t.iStart = ((start%decim)+decim)%decim + opt.DecimOffset
	for k := t.iStart; k < len(t.rawTimes); k += decim {
		t.times = append(t.times, t.rawTimes[k])
	}
	if len(t.times) == 0 {
		return nil, fmt.Errorf("decimation by %d leaves no sample of the %d-sample epoch", decim, len(t.rawTimes))
	}

	if err := t.setBaseline(opt.Baseline); err != nil {
		return nil, err
	}

	// Rejection window in decimated samples: MNE's slice(imin, imax),
	// which leaves out the sample at reject_tmax itself.
	t.rejLo, t.rejHi = 0, len(t.times)
	if rtmin != nil || rtmax != nil {
		if rtmin != nil {
			t.rejLo = -1
			for i, v := range t.times {
				if v >= *rtmin {
					t.rejLo = i
					break
				}
			}
			if t.rejLo < 0 {
				return nil, fmt.Errorf("reject_tmin %g s is after the last epoch time %g s", *rtmin, t.times[len(t.times)-1])
			}
		}
		if rtmax != nil {
			t.rejHi = -1
			for i, v := range t.times {
				if v <= *rtmax {
					t.rejHi = i
				}
			}
			if t.rejHi < 0 {
				return nil, fmt.Errorf("reject_tmax %g s is before the first epoch time %g s", *rtmax, t.times[0])
			}
		}
	}
	return t, nil
}

// setBaseline checks the baseline against the decimated times (MNE's
// _check_baseline) and finds its samples among the undecimated ones (MNE's
// rescale, which runs before decimation).
func (t *timing) setBaseline(b *Baseline) error {
	if b == nil {
		t.baseline = nil
		return nil
	}
	tmin, tmax := t.times[0], t.times[len(t.times)-1]
	tstep := 1 / t.newSFreq
	if math.IsNaN(b.Tmin) && b.Tmax == 0 && tmin == 0 {
		return fmt.Errorf("baseline interval (None, 0) is only one sample because the epochs start at 0 s; use (0, 0) if that is intended")
	}
	lo, hi := b.Tmin, b.Tmax
	if math.IsNaN(lo) {
		lo = tmin
	}
	if math.IsNaN(hi) {
		hi = tmax
	}
	if lo > hi {
		return fmt.Errorf("baseline start (%g s) must be less than baseline end (%g s)", lo, hi)
	}
	if lo < tmin-tstep || hi > tmax+tstep {
		return fmt.Errorf("baseline interval [%g, %g] s is outside of the epoch [%g, %g] s", lo, hi, tmin, tmax)
	}
	t.baseline = &[2]float64{lo, hi}
	t.bLo, t.bHi = -1, -1
	for i, v := range t.rawTimes {
		if v >= lo && t.bLo < 0 {
			t.bLo = i
		}
		if v <= hi {
			t.bHi = i + 1
		}
	}
	if t.bLo < 0 {
		return fmt.Errorf("baseline start %g s exceeds the largest time of the epoch", lo)
	}
	if t.bHi < 0 {
		return fmt.Errorf("baseline end %g s is before the first time of the epoch", hi)
	}
	if t.bLo >= t.bHi {
		return fmt.Errorf("baseline [%g, %g] s contains no sample", lo, hi)
	}
	return nil
}

// nTimesFrom returns how many decimated samples an epoch of n raw samples
// has.
func (t *timing) nTimesFrom(n int) int {
	if n <= t.iStart {
		return 0
	}
	return (n - t.iStart + t.decim - 1) / t.decim
}

func contextOr(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
