package preprocess

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/megflow/megflow/fif"
)

// Consecutive says which transitions of the trigger value delimit events
// (MNE's consecutive argument of find_events).
type Consecutive int

const (
	// ConsecutiveIncreasing ('increasing', MNE's default): an event starts
	// at every increase of the value; a decrease to a non-zero value ends
	// nothing and starts nothing.
	ConsecutiveIncreasing Consecutive = iota
	// ConsecutiveTrue (True): every change to a non-zero value starts an
	// event, so steps without a return to zero give one event per value.
	ConsecutiveTrue
	// ConsecutiveFalse (False): only changes away from zero start events.
	ConsecutiveFalse
)

// String returns the command-line spelling (increasing, true, false).
func (c Consecutive) String() string {
	switch c {
	case ConsecutiveIncreasing:
		return "increasing"
	case ConsecutiveTrue:
		return "true"
	case ConsecutiveFalse:
		return "false"
	}
	return fmt.Sprintf("Consecutive(%d)", int(c))
}

// ParseConsecutive reads "increasing", "true" or "false" (also True/False
// and 1/0, as typed in Python).
func ParseConsecutive(s string) (Consecutive, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "increasing":
		return ConsecutiveIncreasing, nil
	case "true", "1":
		return ConsecutiveTrue, nil
	case "false", "0":
		return ConsecutiveFalse, nil
	}
	return 0, fmt.Errorf("consecutive %q: want increasing, true or false", s)
}

// EventOutput selects what find_events reports (MNE's output argument).
type EventOutput int

const (
	// OutputOnset reports the first sample of each event (the default).
	OutputOnset EventOutput = iota
	// OutputOffset reports the last sample of each event, with the value
	// after it as "previous" and the event's code as id.
	OutputOffset
	// OutputStep reports onsets and offsets as the transitions they are.
	OutputStep
)

// String returns onset, offset or step.
func (o EventOutput) String() string {
	switch o {
	case OutputOnset:
		return "onset"
	case OutputOffset:
		return "offset"
	case OutputStep:
		return "step"
	}
	return fmt.Sprintf("EventOutput(%d)", int(o))
}

// ParseEventOutput reads "onset", "offset" or "step".
func ParseEventOutput(s string) (EventOutput, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "onset":
		return OutputOnset, nil
	case "offset":
		return OutputOffset, nil
	case "step":
		return OutputStep, nil
	}
	return 0, fmt.Errorf("output %q: want onset, offset or step", s)
}

// MaskType says how a mask is applied to trigger values (MNE's mask_type).
type MaskType int

const (
	// MaskAnd keeps the bits set in the mask: value & mask.
	MaskAnd MaskType = iota
	// MaskNotAnd removes the bits set in the mask: value & ^mask.
	MaskNotAnd
)

// String returns and or not_and.
func (m MaskType) String() string {
	switch m {
	case MaskAnd:
		return "and"
	case MaskNotAnd:
		return "not_and"
	}
	return fmt.Sprintf("MaskType(%d)", int(m))
}

// ParseMaskType reads "and" or "not_and".
func ParseMaskType(s string) (MaskType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "and":
		return MaskAnd, nil
	case "not_and":
		return MaskNotAnd, nil
	}
	return 0, fmt.Errorf("mask_type %q: want and or not_and", s)
}

// DefaultShortestEvent is MNE's default shortest_event (samples).
const DefaultShortestEvent = 2

// FindEventsOptions are the arguments of mne.find_events. The zero value
// is MNE's defaults.
type FindEventsOptions struct {
	// StimChannels names the trigger channels. Empty selects as MNE does
	// without its MNE_STIM_CHANNEL configuration: STI101 if present, else
	// STI 014, else every stim channel that is not marked bad.
	StimChannels []string
	Output       EventOutput
	Consecutive  Consecutive
	// MinDuration (seconds): steps closer than this are merged into one
	// (MNE's min_duration; it becomes floor(MinDuration*sfreq) samples, one
	// less when that product is a whole number).
	MinDuration float64
	// ShortestEvent (samples): finding two events of a channel closer than
	// this is an error, as in MNE. 0 means MNE's default (2); 1 or less
	// disables the check.
	ShortestEvent int
	// Mask, when not nil, is applied to the trigger values as MaskType says
	// before events are looked for.
	Mask     *int64
	MaskType MaskType
	// UintCast reads the trigger values as unsigned 16-bit numbers (works
	// around Neuromag files where STI016 makes STI101 negative).
	UintCast bool
	// InitialEvent reports a non-zero value at the first sample as an event.
	InitialEvent bool
	// Shift (seconds) is added to every event after detection, rounded to
	// the nearest sample (half to even, as Python's round), e.g. 0.0345 for
	// the projector delay of the Wakeman & Henson data as Jas et al. (2018)
	// corrected it: events[:, 0] += int(round(0.0345 * sfreq)). Note that
	// mne.event.shift_time_events truncates instead of rounding.
	Shift float64
	// Log receives MNE's informational messages and warnings; nil discards
	// them.
	Log *slog.Logger
}

// stimBlock is the number of trigger samples read at a time.
const stimBlock = 1 << 16

// eventRow is one row of MNE's int64 events array while it is being built.
type eventRow struct{ sample, from, to int64 }

// StimChannelPicks returns the indices of the trigger channels FindEvents
// reads, in file order (as MNE's pick_channels): the named channels, or
// MNE's default choice when names is empty. A name that is not a channel
// is an error (MNE ignores it silently as long as another name matches).
func StimChannelPicks(info *fif.Info, names []string) ([]int, error) {
	if len(names) > 0 {
		seen := make([]bool, len(info.Chs))
		var missing []string
		for _, n := range names {
			i := info.ChIndex(n)
			if i < 0 {
				missing = append(missing, fmt.Sprintf("%q", n))
				continue
			}
			seen[i] = true
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("stim channel %s not found in the recording (its stim channels: %s)",
				strings.Join(missing, ", "), describeStim(info))
		}
		var picks []int
		for i, s := range seen {
			if s {
				picks = append(picks, i)
			}
		}
		return picks, nil
	}
	for _, n := range []string{"STI101", "STI 014"} {
		if i := info.ChIndex(n); i >= 0 {
			return []int{i}, nil
		}
	}
	var picks []int
	for i, c := range info.Chs {
		if c.Kind == fif.KindStim && !info.IsBad(c.Name) {
			picks = append(picks, i)
		}
	}
	if len(picks) == 0 {
		return nil, errors.New("no stim channels found; consider specifying them manually using the stim channel option")
	}
	return picks, nil
}

func describeStim(info *fif.Info) string {
	var s []string
	for _, c := range info.Chs {
		if c.Kind == fif.KindStim {
			s = append(s, c.Name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// FindEvents finds events on the trigger channel(s) of src exactly as
// mne.find_events does, and returns them with absolute sample indices
// (including the first sample), sorted by sample. The trigger channels are
// read in blocks; other channels are not read.
func FindEvents(src fif.RawSource, opt FindEventsOptions) ([]fif.Event, error) {
	info := src.RawInfo()
	sfreq := info.SFreq
	if !(sfreq > 0) || math.IsInf(sfreq, 0) {
		return nil, fmt.Errorf("find events: sampling frequency %v is not a positive number", sfreq)
	}
	if math.IsNaN(opt.MinDuration) || math.IsInf(opt.MinDuration, 0) {
		return nil, fmt.Errorf("find events: min_duration %v is not a finite number", opt.MinDuration)
	}
	if math.IsNaN(opt.Shift) || math.IsInf(opt.Shift, 0) {
		return nil, fmt.Errorf("find events: shift %v is not a finite number", opt.Shift)
	}
	switch {
	case opt.Output < OutputOnset || opt.Output > OutputStep:
		return nil, fmt.Errorf("find events: invalid output %v", opt.Output)
	case opt.Consecutive < ConsecutiveIncreasing || opt.Consecutive > ConsecutiveFalse:
		return nil, fmt.Errorf("find events: invalid consecutive %v", opt.Consecutive)
	case opt.MaskType != MaskAnd && opt.MaskType != MaskNotAnd:
		return nil, fmt.Errorf("find events: invalid mask_type %v", opt.MaskType)
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	picks, err := StimChannelPicks(info, opt.StimChannels)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(picks))
	for i, p := range picks {
		names[i] = info.Chs[p].Name
	}
	log.Info("Finding events on: " + strings.Join(names, ", "))

	shortest := opt.ShortestEvent
	if shortest == 0 {
		shortest = DefaultShortestEvent
	}
	var all []eventRow
	for i, p := range picks {
		steps, initial, negative, err := stimSteps(src, p, opt.UintCast)
		if err != nil {
			return nil, err
		}
		if negative {
			log.Warn("Trigger channel " + names[i] + " contains negative values, using absolute value. " +
				"If data were acquired on a Neuromag system with STI016 active, consider using uint_cast to work around an acquisition bug")
		}
		ev, err := channelEvents(steps, initial, src.RawFirstSamp(), sfreq, opt, names[i], log)
		if err != nil {
			return nil, err
		}
		short := 0
		for k := 1; k < len(ev); k++ {
			if ev[k].sample-ev[k-1].sample < int64(shortest) {
				short++
			}
		}
		if short > 0 {
			return nil, fmt.Errorf("you have %d events shorter than the shortest_event (%d samples) on %s. "+
				"These are very unusual and you may want to set min_duration to a larger value e.g. x / sfreq, "+
				"where x = 1 sample shorter than the shortest event length", short, shortest, names[i])
		}
		all = append(all, ev...)
	}
	if len(picks) > 1 {
		all = uniqueEvents(all, log)
	}
	shift := int64(0)
	if opt.Shift != 0 {
		shift = ShiftSamples(opt.Shift, sfreq)
	}
	out := make([]fif.Event, len(all))
	for i, e := range all {
		if e.from > math.MaxInt32 || e.from < math.MinInt32 || e.to > math.MaxInt32 || e.to < math.MinInt32 {
			return nil, fmt.Errorf("find events: trigger value %d or %d at sample %d does not fit in 32 bits", e.from, e.to, e.sample)
		}
		out[i] = fif.Event{Sample: e.sample + shift, Prev: int32(e.from), ID: int32(e.to)}
	}
	return out, nil
}

// ShiftSamples converts a delay in seconds to samples, rounding half to
// even as Python's round does.
func ShiftSamples(shift, sfreq float64) int64 {
	return int64(math.RoundToEven(shift * sfreq))
}

// triggerInt converts a calibrated trigger sample to an integer as numpy's
// astype(int64) does on x86-64: truncation toward zero, and the "integer
// indefinite" value (the most negative int64) for NaN and values out of
// range.
func triggerInt(v float64) int64 {
	if v != v || v >= 1<<63 || v < -(1<<63) {
		return math.MinInt64
	}
	return int64(v)
}

// stimSteps reads channel pick of src in blocks and returns every change of
// its integer value (MNE's _find_stim_steps without padding), the value at
// the first sample, and whether a negative value was seen. Values are
// converted as _find_events converts them: truncated to int64, optionally
// wrapped to uint16, then made non-negative.
func stimSteps(src fif.RawSource, pick int, uintCast bool) ([]eventRow, int64, bool, error) {
	n := src.RawNTimes()
	first := src.RawFirstSamp()
	if n <= 0 {
		return nil, 0, false, fmt.Errorf("find events: the recording has no samples")
	}
	buf := make([]float64, min(n, stimBlock))
	var steps []eventRow
	var prev, initial int64
	negative := false
	for s0 := int64(0); s0 < n; s0 += stimBlock {
		s1 := min(s0+stimBlock, n)
		b := buf[:s1-s0]
		if err := readRows(src, []int{pick}, s0, s1, b); err != nil {
			return nil, 0, false, err
		}
		for k, x := range b {
			v := triggerInt(x)
			if uintCast {
				v = int64(uint16(v))
			}
			if v < 0 {
				negative = true
				v = -v // as np.abs: the most negative int64 stays negative
			}
			s := s0 + int64(k)
			if s == 0 {
				initial = v
			} else if v != prev {
				steps = append(steps, eventRow{sample: first + s, from: prev, to: v})
			}
			prev = v
		}
	}
	// MNE pads with 0 after the end (pad_stop=0), but only when there is
	// at least one step.
	if len(steps) > 0 && prev != 0 {
		steps = append(steps, eventRow{sample: first + n, from: prev, to: 0})
	}
	return steps, initial, negative, nil
}

// mergeSamples is MNE's conversion of min_duration to the largest gap
// (in samples) between steps that are merged.
func mergeSamples(minDuration, sfreq float64) int64 {
	minSamples := minDuration * sfreq
	if !(minSamples > 0) {
		return 0
	}
	merge := math.Floor(minSamples)
	if merge == minSamples {
		merge--
	}
	return int64(merge)
}

// mergeSteps drops every step followed within merge samples by another
// and gives the following step the dropped step's previous value. Like
// MNE's vectorized assignment, each kept step takes the previous value its
// predecessor had before any merging, so that in a run of several close
// steps the chain of values is not re-linked.
func mergeSteps(steps []eventRow, merge int64) []eventRow {
	if merge == 0 || len(steps) < 2 {
		return steps
	}
	near := make([]bool, len(steps)-1)
	found := false
	for i := range near {
		near[i] = steps[i+1].sample-steps[i].sample <= merge
		found = found || near[i]
	}
	if !found {
		return steps
	}
	out := make([]eventRow, 0, len(steps))
	for i, s := range steps {
		if i < len(near) && near[i] {
			continue
		}
		if i > 0 && near[i-1] {
			s.from = steps[i-1].from
		}
		if s.from != s.to {
			out = append(out, s)
		}
	}
	return out
}

// channelEvents turns the steps of one trigger channel into events:
// merging, initial event, mask, onset/offset pairing and output selection,
// in MNE's order.
func channelEvents(steps []eventRow, initial, firstSamp int64, sfreq float64, opt FindEventsOptions, name string, log *slog.Logger) ([]eventRow, error) {
	events := mergeSteps(steps, mergeSamples(opt.MinDuration, sfreq))
	if initial != 0 {
		if opt.InitialEvent {
			events = append([]eventRow{{sample: firstSamp, from: 0, to: initial}}, events...)
		} else {
			log.Info(fmt.Sprintf("Trigger channel %s has a non-zero initial value of %d (consider using initial_event=True to detect this event)", name, initial))
		}
	}
	if opt.Mask != nil {
		m := *opt.Mask
		if opt.MaskType == MaskNotAnd {
			m = ^m
		}
		for i := range events {
			events[i].from &= m
			events[i].to &= m
		}
	}
	kept := events[:0:0]
	for _, e := range events {
		if e.from != e.to {
			kept = append(kept, e)
		}
	}
	events = kept

	var onsets, offsets []int
	for i, e := range events {
		var on, off bool
		switch opt.Consecutive {
		case ConsecutiveIncreasing:
			on = e.to > e.from
			off = (on || e.to == 0) && e.from > 0
		case ConsecutiveTrue:
			on = e.to > 0
			off = e.from > 0
		case ConsecutiveFalse:
			on = e.from == 0
			off = e.to == 0
		}
		if on {
			onsets = append(onsets, i)
		}
		if off {
			offsets = append(offsets, i)
		}
	}
	if len(onsets) == 0 || len(offsets) == 0 {
		return nil, nil
	}
	if onsets[0] > offsets[0] {
		log.Info("Removing orphaned offset at the beginning of the file.")
		offsets = offsets[1:]
		if len(offsets) == 0 {
			// MNE 1.3 fails here too (an IndexError on the empty offsets).
			return nil, fmt.Errorf("find events on %s: no offset follows the first onset once the orphaned offset is removed (MNE-Python raises an IndexError here)", name)
		}
	}
	if onsets[len(onsets)-1] > offsets[len(offsets)-1] {
		log.Info("Removing orphaned onset at the end of the file.")
		onsets = onsets[:len(onsets)-1]
	}

	var out []eventRow
	switch opt.Output {
	case OutputOnset:
		for _, i := range onsets {
			out = append(out, events[i])
		}
	case OutputStep:
		idx := append(slices.Clone(onsets), offsets...)
		slices.Sort(idx)
		idx = slices.Compact(idx)
		for _, i := range idx {
			out = append(out, events[i])
		}
	case OutputOffset:
		// MNE pairs the k-th onset with the k-th offset by array
		// assignment; numpy broadcasts a single onset to all offsets and
		// refuses other length mismatches.
		if len(onsets) != len(offsets) && len(onsets) != 1 {
			return nil, fmt.Errorf("find events on %s: %d onsets for %d offsets; cannot pair them for offset output (MNE-Python raises a broadcasting error here)", name, len(onsets), len(offsets))
		}
		for k, i := range offsets {
			id := events[onsets[min(k, len(onsets)-1)]].to
			e := events[i]
			out = append(out, eventRow{sample: e.sample - 1, from: e.to, to: id})
		}
	}
	if log.Enabled(context.Background(), slog.LevelInfo) {
		ids := make([]int64, len(out))
		for i, e := range out {
			ids[i] = e.to
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		log.Info(fmt.Sprintf("%d event(s) found on stim channel %s", len(out), name))
		log.Info(fmt.Sprintf("Event IDs: %v", ids))
	}
	return out, nil
}

// uniqueEvents removes duplicate rows found on several trigger channels and
// sorts by sample exactly as MNE does: np.unique on the rows seen as raw
// bytes (little-endian int64, so duplicates go and the survivors are
// ordered by their byte strings), then np.argsort of the samples, whose
// default quicksort is not stable: rows with equal samples from different
// channels end up in the order numpy's introsort leaves them, which
// numpyArgsort reproduces.
func uniqueEvents(ev []eventRow, log *slog.Logger) []eventRow {
	key := func(e eventRow) []byte {
		var b [24]byte
		binary.LittleEndian.PutUint64(b[0:], uint64(e.sample))
		binary.LittleEndian.PutUint64(b[8:], uint64(e.from))
		binary.LittleEndian.PutUint64(b[16:], uint64(e.to))
		return b[:]
	}
	slices.SortFunc(ev, func(a, b eventRow) int { return bytes.Compare(key(a), key(b)) })
	n := len(ev)
	ev = slices.Compact(ev)
	if d := n - len(ev); d > 0 {
		log.Warn(fmt.Sprintf("Some events are duplicated in your different stim channels. %d events were ignored during deduplication.", d))
	}
	samples := make([]int64, len(ev))
	for i, e := range ev {
		samples[i] = e.sample
	}
	out := make([]eventRow, len(ev))
	for i, k := range numpyArgsort(samples) {
		out[i] = ev[k]
	}
	return out
}
