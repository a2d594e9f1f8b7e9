package epochs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/preprocess"
)

// Epochs is a set of epochs held in memory, as mne.Epochs after
// preload/drop_bad: the kept epochs with their events, and the drop log of
// every original event.
type Epochs struct {
	// Info describes the channels of each epoch (the picked channels), with
	// SFreq after decimation and the projectors marked active when they
	// were applied.
	Info *fif.Info
	// EventID are the conditions.
	EventID EventID
	// Events are the events of the kept epochs (absolute samples).
	Events []fif.Event
	// Selection gives, for each kept epoch, the index of its event in the
	// original event list.
	Selection []int
	// DropLog has one entry per original event: empty for kept epochs,
	// else the reasons ('IGNORED', 'NO_DATA', 'TOO_SHORT', channel names,
	// 'EQUALIZED_COUNT', ...).
	DropLog [][]string
	// Times are the epoch times in seconds.
	Times []float64
	// Baseline is the baseline interval applied (nil: none).
	Baseline *[2]float64
	// Data holds the epochs: Data[i] is epoch i, NChan x NTimes,
	// row-major. Epoch sets derived from others (Select, Concatenate)
	// share these slices rather than copying them.
	Data [][]float64
	// RawSFreq is the sampling frequency of the recording the epochs were
	// cut from.
	RawSFreq float64
	// Reject, Flat, RejectTmin and RejectTmax are the thresholds applied
	// (written to -epo.fif files as MNE does).
	Reject, Flat           Thresholds
	RejectTmin, RejectTmax *float64
}

// ErrAllDropped is returned (wrapped, with a summary of the drop log) when
// no epoch survives; the Epochs returned with it still hold the drop log.
var ErrAllDropped = errors.New("every epoch was dropped")

// Len returns the number of epochs.
func (e *Epochs) Len() int { return len(e.Events) }

// NChan returns the number of channels.
func (e *Epochs) NChan() int { return len(e.Info.Chs) }

// NTimes returns the number of samples per epoch.
func (e *Epochs) NTimes() int { return len(e.Times) }

// Epoch returns epoch i (NChan x NTimes, row-major), sharing memory with
// Data.
func (e *Epochs) Epoch(i int) []float64 { return e.Data[i] }

// New cuts epochs from src around events, as mne.Epochs(raw, events,
// event_id, tmin, tmax, baseline, picks, preload=True, reject, flat, proj,
// decim, reject_tmin, reject_tmax) does: each epoch's window is read from
// the source (neighbouring windows in one read, so that every sample is read
// at most once), baseline corrected, decimated, projected and tested
// against the thresholds. Events are absolute sample numbers.
//
// Errors name the problem: codes of EventID absent from the events, tmin >=
// tmax, a baseline outside the epoch, thresholds for channel types the
// picks lack. When every epoch is dropped New returns the Epochs (with its
// drop log) and an error wrapping ErrAllDropped.
func New(ctx context.Context, src fif.RawSource, events []fif.Event, opt Options) (*Epochs, error) {
	ctx = contextOr(ctx)
	log := loggerOr(opt.Log)
	info := src.RawInfo()
	if len(events) == 0 {
		return nil, fmt.Errorf("no events given")
	}
	if opt.Shift != 0 {
		d := preprocess.ShiftSamples(opt.Shift, info.SFreq)
		events = slices.Clone(events)
		for i := range events {
			events[i].Sample += d
		}
	}
	eventID := opt.EventID
	if eventID == nil {
		eventID = EventIDFromCodes(events)
	}
	if err := eventID.check(); err != nil {
		return nil, err
	}
	if len(eventID) == 0 {
		return nil, fmt.Errorf("event id: no conditions given")
	}
	var missing []string
	for _, c := range eventID {
		if !slices.ContainsFunc(events, func(ev fif.Event) bool { return ev.ID == c.ID }) {
			missing = append(missing, fmt.Sprintf("%s (event id %d)", c.Name, c.ID))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no matching events found for %s; the events hold the codes %s",
			strings.Join(missing, ", "), codeList(events))
	}

	// Selection and initial drop log (BaseEpochs.__init__).
	e := &Epochs{EventID: slices.Clone(eventID), RawSFreq: info.SFreq,
		Reject: opt.Reject, Flat: opt.Flat}
	e.DropLog = make([][]string, len(events))
	var sel []int
	for i, ev := range events {
		if eventID.HasCode(ev.ID) {
			sel = append(sel, i)
		} else {
			e.DropLog[i] = []string{"IGNORED"}
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("no desired events found")
	}
	var err error
	if sel, err = e.handleRepeated(events, sel, opt.EventRepeated, log); err != nil {
		return nil, err
	}
	for k := 1; k < len(sel); k++ {
		if events[sel[k]].Sample <= events[sel[k-1]].Sample {
			log.Warn("The events passed to the Epochs constructor are not chronologically ordered.")
			break
		}
	}
	log.Info(fmt.Sprintf("%d matching events found", len(sel)))

	picks := opt.Picks
	if picks == nil {
		picks = DefaultPicks(info)
	}
	if len(picks) == 0 {
		return nil, fmt.Errorf("picks select no channels")
	}
	seen := make(map[int]bool, len(picks))
	for _, p := range picks {
		if p < 0 || p >= len(info.Chs) {
			return nil, fmt.Errorf("pick %d is not a channel index (the recording has %d channels)", p, len(info.Chs))
		}
		if seen[p] {
			return nil, fmt.Errorf("channel %s picked twice", info.Chs[p].Name)
		}
		seen[p] = true
	}
	e.Info = info.Pick(slices.Clone(picks))
	e.Info.Projs = slices.Clone(e.Info.Projs)

	t, err := newTiming(info, &opt, log)
	if err != nil {
		return nil, err
	}
	e.Info.SFreq = t.newSFreq
	e.Times, e.Baseline = t.times, t.baseline
	e.RejectTmin, e.RejectTmax = t.rejectTmin, t.rejectTmax
	rej, err := NewRejector(e.Info, opt.Reject, opt.Flat)
	if err != nil {
		return nil, err
	}
	var ssp *fif.SSP
	if !opt.NoProj && len(e.Info.Projs) > 0 {
		ssp, err = fif.MakeSSPInfo(e.Info, fif.SSPOptions{Log: log})
		if err != nil {
			return nil, err
		}
		if ssp.NProj == 0 {
			ssp = nil
		} else {
			log.Info(fmt.Sprintf("Created an SSP operator (subspace dimension = %d)", ssp.NProj))
		}
		for i := range e.Info.Projs {
			e.Info.Projs[i].Active = true
		}
	}
	x := &extractor{
		src: src, picks: picks, t: t, rej: rej, ssp: ssp,
		baseRows: baselineRows(e.Info), nch: len(picks), nt: len(t.times),
		progress: opt.Progress, annots: opt.Annotations,
	}
	reasons, data, err := x.run(ctx, events, sel)
	if err != nil {
		return nil, err
	}
	e.Data = data
	for k, s := range sel {
		if reasons[k] != nil {
			e.DropLog[s] = append(e.DropLog[s], reasons[k]...)
			continue
		}
		e.Selection = append(e.Selection, s)
		e.Events = append(e.Events, events[s])
	}
	n := len(sel) - len(e.Selection)
	log.Info(fmt.Sprintf("%d bad epochs dropped", n))
	if len(e.Events) == 0 {
		return e, fmt.Errorf("%w: %s", ErrAllDropped, summarizeDrops(e.DropLog))
	}
	return e, nil
}

// handleRepeated applies MNE's event_repeated rule to the selected events
// (sel indexes events) and returns the new selection.
func (e *Epochs) handleRepeated(events []fif.Event, sel []int, mode EventRepeated, log *slog.Logger) ([]int, error) {
	first := make(map[int64]int, len(sel)) // sample -> position in sel of its first event
	dup := false
	for k, s := range sel {
		if _, ok := first[events[s].Sample]; ok {
			dup = true
			continue
		}
		first[events[s].Sample] = k
	}
	if !dup {
		return sel, nil
	}
	if mode != RepeatedDrop {
		return nil, fmt.Errorf("event time samples were not unique; use event repeated = drop to keep the first event of each sample")
	}
	log.Info("Multiple event values for single event times found. Keeping the first occurrence and dropping all others.")
	// np.unique(return_index=True): one event per sample, ordered by sample.
	samples := make([]int64, 0, len(first))
	for s := range first {
		samples = append(samples, s)
	}
	slices.Sort(samples)
	keep := make([]int, len(samples))
	kept := make(map[int]bool, len(samples))
	for i, s := range samples {
		keep[i] = sel[first[s]]
		kept[keep[i]] = true
	}
	for _, s := range sel {
		if !kept[s] {
			e.DropLog[s] = append(e.DropLog[s], "DROP DUPLICATE")
		}
	}
	// Conditions whose codes no longer occur are removed (MNE looks at the
	// previous-value column too).
	var ids EventID
	for _, c := range e.EventID {
		if slices.ContainsFunc(keep, func(s int) bool { return events[s].ID == c.ID || events[s].Prev == c.ID }) {
			ids = append(ids, c)
		}
	}
	e.EventID = ids
	return keep, nil
}

// baselineRows are the channels MNE baseline-corrects: data channels
// (MEG, EEG, sEEG, ECoG, DBS, fNIRS, CSD), MEG references and the
// auxiliary EOG, ECG, EMG and bio channels; stim and misc channels are
// left alone.
func baselineRows(info *fif.Info) []int {
	var out []int
	for i, c := range info.Chs {
		switch fif.ChannelType(c) {
		case "grad", "mag", "meg", "ref_meg", "eeg", "seeg", "ecog", "dbs", "fnirs", "csd",
			"eog", "ecg", "emg", "bio":
			out = append(out, i)
		}
	}
	return out
}

func codeList(events []fif.Event) string {
	var codes []int
	for _, ev := range events {
		codes = append(codes, int(ev.ID))
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprint(c)
	}
	return strings.Join(parts, ", ")
}

// summarizeDrops counts drop reasons, most frequent first.
func summarizeDrops(log [][]string) string {
	count := map[string]int{}
	total := 0
	for _, r := range log {
		if len(r) > 0 && !(len(r) == 1 && r[0] == "IGNORED") {
			total++
		}
		for _, x := range r {
			if x != "IGNORED" {
				count[x]++
			}
		}
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if count[keys[i]] != count[keys[j]] {
			return count[keys[i]] > count[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > 8 {
		keys = keys[:8]
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s x%d", k, count[k])
	}
	return fmt.Sprintf("all %d epochs were dropped (reasons: %s); loosen --reject/--flat or check the events", total, strings.Join(parts, ", "))
}
