package epochs

import (
	"fmt"
	"log/slog"
	"math"
	"slices"

	"github.com/megflow/megflow/fif"
)

// Concatenate joins epoch sets of several runs into one, as
// mne.concatenate_epochs(add_offset=True): the events of each later run are
// shifted past the previous ones (by the last event plus (10 s + tmax) in
// samples), drop logs are appended, Selection indexes the joined drop log,
// and the conditions are united. Like MNE, which rebuilds the result as an
// EpochsArray, it recomputes the times from the sampling rate, applies the
// baseline once more on the joined samples (a change only for decimated
// epochs, whose baseline was first taken before decimation) and forgets the
// rejection thresholds. The result shares the runs' epoch data (no copy is
// made), and that re-baselining changes them in place. The runs must have
// the same channels, sampling frequency, times and baseline. log may be
// nil.
func Concatenate(runs []*Epochs, log *slog.Logger) (*Epochs, error) {
	log = loggerOr(log)
	if len(runs) == 0 {
		return nil, fmt.Errorf("concatenate: no epochs given")
	}
	first := runs[0]
	out := &Epochs{
		Info:     first.Info,
		EventID:  slices.Clone(first.EventID),
		Times:    first.Times,
		Baseline: first.Baseline,
		RawSFreq: first.RawSFreq,
	}
	tmax := first.Times[len(first.Times)-1]
	shift := int64(float64((10 + tmax) * first.Info.SFreq)) // Python's int() truncates
	var offset int64
	if first.Len() > 0 {
		offset = maxSample(first.Events) + shift
	}
	warnedSFreq, overflow := false, false
	for i, r := range runs {
		if i > 0 {
			if err := sameLayout(first, r, i); err != nil {
				return nil, err
			}
			if r.RawSFreq != first.RawSFreq && !warnedSFreq {
				warnedSFreq = true
				log.Warn("The original raw sampling rate of the Epochs does not match for all Epochs. Please proceed cautiously.")
			}
			ids, err := out.EventID.union(r.EventID)
			if err != nil {
				return nil, fmt.Errorf("concatenate: %w", err)
			}
			out.EventID = ids
		}
		evs := slices.Clone(r.Events)
		switch {
		case i == 0:
		case len(evs) == 0:
			log.Warn("One of the Epochs objects to concatenate was empty.")
		case !overflow:
			m := maxSample(evs)
			for j := range evs {
				evs[j].Sample += offset
			}
			offset += m + shift
			if offset > math.MaxInt32 {
				log.Warn(fmt.Sprintf("Event number greater than %d created, events[:, 0] will be assigned consecutive increasing integer values", math.MaxInt32))
				overflow = true
			}
		}
		out.Events = append(out.Events, evs...)
		for _, d := range r.DropLog {
			out.DropLog = append(out.DropLog, slices.Clone(d))
		}
		out.Data = append(out.Data, r.Data...)
	}
	if overflow {
		for j := range out.Events {
			out.Events[j].Sample = int64(j + 1)
		}
	}
	for i, d := range out.DropLog {
		if len(d) == 0 {
			out.Selection = append(out.Selection, i)
		}
	}
	if len(out.Selection) != len(out.Events) {
		return nil, fmt.Errorf("concatenate: the drop logs list %d kept epochs for %d epochs", len(out.Selection), len(out.Events))
	}
	if err := out.rebaseline(); err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(out.Events))
	for _, ev := range out.Events {
		if seen[ev.Sample] {
			return nil, fmt.Errorf("concatenate: event time samples are not unique after shifting")
		}
		seen[ev.Sample] = true
	}
	return out, nil
}

func maxSample(evs []fif.Event) int64 {
	m := evs[0].Sample
	for _, e := range evs[1:] {
		m = max(m, e.Sample)
	}
	return m
}

// sameLayout checks that run i can be appended to the first.
func sameLayout(a, b *Epochs, i int) error {
	if !slices.Equal(a.Info.ChNames(), b.Info.ChNames()) {
		return fmt.Errorf("concatenate: epochs %d have other channels than epochs 0", i)
	}
	if a.Info.SFreq != b.Info.SFreq {
		return fmt.Errorf("concatenate: epochs %d are sampled at %g Hz, epochs 0 at %g Hz", i, b.Info.SFreq, a.Info.SFreq)
	}
	if len(a.Times) != len(b.Times) {
		return fmt.Errorf("concatenate: epochs %d have %d samples, epochs 0 have %d", i, len(b.Times), len(a.Times))
	}
	for k := range a.Times {
		if !isClose(b.Times[k], a.Times[k]) {
			return fmt.Errorf("concatenate: epochs must have the same times (epochs %d differ at sample %d)", i, k)
		}
	}
	if (a.Baseline == nil) != (b.Baseline == nil) || (a.Baseline != nil && *a.Baseline != *b.Baseline) {
		return fmt.Errorf("concatenate: baseline must be the same for all epochs (epochs %d differ)", i)
	}
	if !slices.Equal(a.Info.Bads, b.Info.Bads) {
		return fmt.Errorf("concatenate: epochs %d have bad channels %v, epochs 0 %v", i, b.Info.Bads, a.Info.Bads)
	}
	return nil
}

// rebaseline does what MNE's EpochsArray constructor does to the joined
// data: times from round(tmin·sfreq), then the baseline mean over those
// times subtracted from the baseline-corrected channels.
func (e *Epochs) rebaseline() error {
	sfreq := e.Info.SFreq
	nt := len(e.Times)
	tmin := e.Times[0]
	tmax := float64(nt-1)/sfreq + tmin
	t := &timing{decim: 1, newSFreq: sfreq}
	for k := pyRound(float64(tmin * sfreq)); k <= pyRound(float64(tmax*sfreq)); k++ {
		t.rawTimes = append(t.rawTimes, float64(k)/sfreq)
	}
	if len(t.rawTimes) != nt {
		return fmt.Errorf("concatenate: %d times rebuilt for epochs of %d samples", len(t.rawTimes), nt)
	}
	t.times = t.rawTimes
	e.Times = t.times
	if e.Baseline == nil {
		return nil
	}
	if err := t.setBaseline(&Baseline{Tmin: e.Baseline[0], Tmax: e.Baseline[1]}); err != nil {
		return fmt.Errorf("concatenate: %w", err)
	}
	rows := baselineRows(e.Info)
	for i := range e.Len() {
		ep := e.Epoch(i)
		for _, r := range rows {
			row := ep[r*nt : (r+1)*nt]
			s := 0.0
			for _, v := range row[t.bLo:t.bHi] {
				s += v
			}
			m := s / float64(t.bHi-t.bLo)
			for j := range row {
				row[j] -= m
			}
		}
	}
	return nil
}

// ConcatenateEvents joins the event lists of recordings that are joined end
// to end (mne.concatenate_events, for mne.concatenate_raws): the events of
// run i are moved by the samples of the runs before it, relative to the
// first run's first sample. firstSamps and lastSamps are each run's first
// and last absolute samples.
func ConcatenateEvents(events [][]fif.Event, firstSamps, lastSamps []int64) ([]fif.Event, error) {
	if len(events) != len(firstSamps) || len(events) != len(lastSamps) {
		return nil, fmt.Errorf("concatenate events: %d event lists for %d first and %d last samples", len(events), len(firstSamps), len(lastSamps))
	}
	if len(events) == 0 {
		return nil, nil
	}
	out := slices.Clone(events[0])
	var n int64
	for i := 1; i < len(events); i++ {
		n += lastSamps[i-1] - firstSamps[i-1] + 1
		for _, e := range events[i] {
			e.Sample += n + firstSamps[0] - firstSamps[i]
			out = append(out, e)
		}
	}
	return out, nil
}
