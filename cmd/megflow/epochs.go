package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/preprocess"
	"maps"
	"slices"
)

func init() { addSubcommand(newEpochsCmd) }

const epochsLong = `Cut epochs around events from one or more raw recordings and save them as an
-epo.fif file that MNE-Python reads (mne.read_epochs), as mne.Epochs(raw,
events, event_id, tmin, tmax, baseline, picks, reject, flat, proj, decim,
reject_tmin, reject_tmax) followed by epochs.save does.

Events come from an events file per recording (--events, MNE's -eve.fif or
text format) or from the trigger channel (--stim and the options of
mne.find_events: --mask, --mask-type, --min-duration, --consecutive).
--event-id names the conditions, "name=code" (repeat the flag or separate by
commas); names may be hierarchical ("face/famous/first=5") and are then
selected by any tag in "megflow average --conditions face". Without
--event-id every code found is a condition.

Each epoch is read from the recording (never the whole file at once),
baseline corrected (--baseline, default none,0: from the start to 0 s; "none"
for no correction), decimated (--decim, MNE's sample offset rule; a warning
when the recording's low-pass is above a third of the new rate), projected
(SSP projectors of the file, unless --no-proj) and tested against
peak-to-peak thresholds per channel type (--reject, --flat; T/m for grad, T
for mag, V for eeg/eog) within --reject-tmin/--reject-tmax. The drop log is
MNE's: channel names for rejected epochs, IGNORED for events of other codes,
NO_DATA / TOO_SHORT for windows outside the recording.

Several recordings (RAW1,RAW2,...) are epoched one by one and concatenated
as mne.concatenate_epochs does (events of later runs shifted). --picks selects
channels by type words (meg, grad, mag, eeg, eog, ...: bad channels left out)
and names (kept even if bad); the default is the good MEG channels.
--shift adds a trigger delay (seconds) to every event. --l-freq/--h-freq
filter the data channels on the fly first, as raw.filter(l_freq, h_freq) does
(zero-phase FIR, MNE's default design).

--json prints the counts and the drop log as one JSON object.`

const epochsExample = `  # Wakeman & Henson conditions, 5x decimation, MNE's usual rejection
  megflow epochs sub-01_run-01_raw.fif sub-01-epo.fif \
      --stim STI101 --mask 4352 --mask-type not_and --min-duration 0.003 \
      --event-id face/famous/first=5,face/famous/immediate=6,face/famous/long=7 \
      --event-id face/unfamiliar/first=13,face/unfamiliar/immediate=14,face/unfamiliar/long=15 \
      --event-id scrambled/first=17,scrambled/immediate=18,scrambled/long=19 \
      --tmin -0.2 --tmax 0.8 --decim 5 --reject grad=4000e-13,mag=4e-12 --shift 0.0345

  # low-pass at 40 Hz on the fly, then epochs (raw.filter(None, 40.) + Epochs)
  megflow epochs sub-01_raw.fif sub-01-epo.fif --events sub-01-eve.fif --h-freq 40 --decim 5

  # six runs with their event files, concatenated
  megflow epochs run1_raw.fif,run2_raw.fif,run3_raw.fif,run4_raw.fif,run5_raw.fif,run6_raw.fif all-epo.fif \
      --events run1-eve.fif,run2-eve.fif,run3-eve.fif,run4-eve.fif,run5-eve.fif,run6-eve.fif \
      --event-id face=5,scrambled=17 --tmax 0.8

  # counts and drop log as JSON
  megflow epochs raw.fif out-epo.fif --events raw-eve.fif --json | jq '.counts'`

type epochsOpts struct {
	events       string
	stim         string
	mask         int64
	maskType     string
	minDuration  float64
	consecutive  string
	eventIDs     []string
	tmin, tmax   float64
	baseline     string
	decim        int
	reject, flat string
	rejectTmin   float64
	rejectTmax   float64
	picks        string
	shift        float64
	lFreq, hFreq float64
	noProj       bool
	repeated     string
	equalize     bool
	format       string
	overwrite    bool
	asJSON       bool
	// which flags were given
	hasMask, hasRejectTmin, hasRejectTmax, hasFind bool
}

func newEpochsCmd(a *app) *cobra.Command {
	var o epochsOpts
	cmd := &cobra.Command{
		Use:     "epochs RAW[,RAW2...] OUT-epo.fif",
		Short:   "Cut, baseline-correct, decimate and reject epochs (MNE's Epochs), write -epo.fif",
		Long:    epochsLong,
		Example: epochsExample,
		Args:    exactArgs("RAW[,RAW2...]", "OUT-epo.fif"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			o.hasMask, o.hasRejectTmin, o.hasRejectTmax = fl.Changed("mask"), fl.Changed("reject-tmin"), fl.Changed("reject-tmax")
			for _, n := range []string{"stim", "mask", "mask-type", "min-duration", "consecutive"} {
				o.hasFind = o.hasFind || fl.Changed(n)
			}
			return a.epochs(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.events, "events", "", "events file(s), one per recording, comma-separated (-eve.fif or text); default: find events on the trigger channel")
	f.StringVar(&o.stim, "stim", "", "trigger channel(s) for find_events, comma-separated (default: STI101, else STI 014, else all stim channels)")
	f.Int64Var(&o.mask, "mask", 0, "bit mask applied to trigger values before finding events (with --mask-type)")
	f.StringVar(&o.maskType, "mask-type", "and", "how --mask applies: and (keep bits) or not_and (remove bits)")
	f.Float64Var(&o.minDuration, "min-duration", 0, "find_events min_duration in seconds: merge steps closer than this")
	f.StringVar(&o.consecutive, "consecutive", "increasing", "find_events consecutive: increasing, true or false")
	f.StringArrayVar(&o.eventIDs, "event-id", nil, "condition name=code, e.g. face/famous/first=5 (repeatable, or comma-separated); default: every code")
	f.Float64Var(&o.tmin, "tmin", -0.2, "epoch start in seconds relative to the event")
	f.Float64Var(&o.tmax, "tmax", 0.5, "epoch end in seconds relative to the event (included)")
	f.StringVar(&o.baseline, "baseline", "none,0", "baseline interval START,END in seconds (none for an open end), or none for no correction")
	f.IntVar(&o.decim, "decim", 1, "keep every n-th sample (MNE's decim)")
	f.StringVar(&o.reject, "reject", "", "peak-to-peak rejection thresholds, e.g. grad=4000e-13,mag=4e-12,eog=150e-6")
	f.StringVar(&o.flat, "flat", "", "minimum peak-to-peak amplitudes, e.g. grad=1e-13,mag=1e-15")
	f.Float64Var(&o.rejectTmin, "reject-tmin", 0, "start of the rejection window in seconds (default: tmin)")
	f.Float64Var(&o.rejectTmax, "reject-tmax", 0, "end of the rejection window in seconds (default: tmax)")
	f.StringVar(&o.picks, "picks", "meg", "channels: type words (good channels of the type) and names, comma-separated")
	f.Float64Var(&o.shift, "shift", 0, "seconds added to every event (trigger delay), rounded to the nearest sample")
	f.Float64Var(&o.lFreq, "l-freq", 0, "high-pass edge in Hz: filter the data channels before epoching, as raw.filter(l_freq, h_freq) (0: none)")
	f.Float64Var(&o.hFreq, "h-freq", 0, "low-pass edge in Hz, e.g. 40 (0: none); MNE's default FIR design, streamed")
	f.BoolVar(&o.noProj, "no-proj", false, "do not apply the SSP projectors of the recording")
	f.StringVar(&o.repeated, "event-repeated", "error", "events sharing a sample: error or drop (keep the first)")
	f.BoolVar(&o.equalize, "equalize", false, "drop epochs so that every condition has as many as the smallest (MNE's equalize_event_counts)")
	f.StringVar(&o.format, "fmt", "single", "sample format of the output: single (float32, MNE's default) or double")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	f.BoolVar(&o.asJSON, "json", false, "print counts and drop log as JSON")
	return cmd
}

// epochsSummary is what --json prints.
type epochsSummary struct {
	Output   string           `json:"output"`
	Runs     []runSummary     `json:"runs"`
	NEvents  int              `json:"n_events"`
	NEpochs  int              `json:"n_epochs"`
	NDropped int              `json:"n_dropped"`
	EventID  map[string]int32 `json:"event_id"`
	Counts   map[string]int   `json:"counts"`
	Dropped  map[string]int   `json:"drop_reasons"`
	DropLog  [][]string       `json:"drop_log"`
	SFreq    float64          `json:"sfreq"`
	NChan    int              `json:"n_channels"`
	NTimes   int              `json:"n_times"`
	Tmin     float64          `json:"tmin"`
	Tmax     float64          `json:"tmax"`
	Baseline *[2]float64      `json:"baseline"`
	Seconds  float64          `json:"elapsed_seconds"`
}

type runSummary struct {
	Raw     string `json:"raw"`
	NEvents int    `json:"n_events"`
	NEpochs int    `json:"n_epochs"`
}

func (a *app) epochs(ctx context.Context, rawList, out string, o epochsOpts) error {
	if ctx == nil {
		ctx = context.Background()
	}
	t0 := time.Now()
	raws := splitList(rawList)
	if len(raws) == 0 {
		return usagef("no recording given")
	}
	var evFiles []string
	if o.events != "" && o.hasFind {
		return usagef("--events reads events from files; --stim, --mask, --mask-type, --min-duration and --consecutive find them on the trigger channel: use one or the other")
	}
	if o.events != "" {
		evFiles = splitList(o.events)
		if len(evFiles) != len(raws) {
			return usagef("--events names %d file(s) for %d recording(s); give one per recording", len(evFiles), len(raws))
		}
	}
	var specs []string
	for _, s := range o.eventIDs {
		specs = append(specs, splitList(s)...)
	}
	ids, err := epochs.ParseEventID(specs...)
	if err != nil {
		return usageError{err}
	}
	if len(specs) == 0 {
		ids = nil
	}
	baseline, err := epochs.ParseBaseline(o.baseline)
	if err != nil {
		return usageError{err}
	}
	reject, err := epochs.ParseThresholds(o.reject)
	if err != nil {
		return usagef("--reject: %v", err)
	}
	flat, err := epochs.ParseThresholds(o.flat)
	if err != nil {
		return usagef("--flat: %v", err)
	}
	if o.decim < 1 {
		return usagef("--decim must be at least 1, got %d", o.decim)
	}
	if o.format != "single" && o.format != "double" {
		return usagef("--fmt %q: want single or double", o.format)
	}
	var repeated epochs.EventRepeated
	switch o.repeated {
	case "error":
	case "drop":
		repeated = epochs.RepeatedDrop
	default:
		return usagef("--event-repeated %q: want error or drop", o.repeated)
	}
	if !strings.HasSuffix(out, ".fif") {
		return usagef("OUT %s: the output is an -epo.fif file (name ending in .fif, MNE's convention -epo.fif)", out)
	}
	var findOpt preprocess.FindEventsOptions
	if evFiles == nil {
		if findOpt, err = findEventsOptions(o); err != nil {
			return err
		}
	}
	for _, r := range raws {
		if _, err := os.Stat(r); err != nil {
			return fmt.Errorf("cannot read %s: %w", r, unwrapPathError(err))
		}
	}
	if err := checkOutput(out, raws, o.overwrite); err != nil {
		return err
	}
	log := a.logger()
	opt := epochs.Options{
		EventID: ids, Tmin: o.tmin, Tmax: o.tmax, Baseline: baseline,
		Reject: reject, Flat: flat, Decim: o.decim, NoProj: o.noProj,
		Shift: o.shift, EventRepeated: repeated, Log: log,
	}
	if o.hasRejectTmin {
		v := o.rejectTmin
		opt.RejectTmin = &v
	}
	if o.hasRejectTmax {
		v := o.rejectTmax
		opt.RejectTmax = &v
	}
	sum := epochsSummary{Output: out}
	var runs []*epochs.Epochs
	for i, path := range raws {
		ep, nev, err := a.epochRun(ctx, path, evFiles, i, findOpt, opt, o, len(raws) > 1)
		if err != nil {
			return err
		}
		runs = append(runs, ep)
		sum.Runs = append(sum.Runs, runSummary{Raw: path, NEvents: nev, NEpochs: ep.Len()})
	}
	ep := runs[0]
	if len(runs) > 1 {
		if ep, err = epochs.Concatenate(runs, log); err != nil {
			return err
		}
		if ep.Len() == 0 {
			return fmt.Errorf("%w in all %d recordings; loosen --reject/--flat or check the events", epochs.ErrAllDropped, len(raws))
		}
	}
	if o.equalize {
		dropped, err := ep.EqualizeEventCounts(nil)
		if err != nil {
			return err
		}
		log.Info(fmt.Sprintf("equalized event counts: dropped %d epochs", len(dropped)))
	}
	if err := ep.Write(out, epochs.WriteOptions{Fmt: o.format}); err != nil {
		return err
	}
	fillSummary(&sum, ep, time.Since(t0))
	return a.printEpochsSummary(sum, o.asJSON)
}

// epochRun epochs one recording; with multi, a run whose epochs are all
// dropped is kept (empty) with a warning.
func (a *app) epochRun(ctx context.Context, path string, evFiles []string, i int, findOpt preprocess.FindEventsOptions, opt epochs.Options, o epochsOpts, multi bool) (*epochs.Epochs, int, error) {
	log := a.logger()
	raw, err := fif.OpenRaw(path, fif.RawOptions{})
	if err != nil {
		return nil, 0, err
	}
	defer raw.Close()
	var events []fif.Event
	if evFiles != nil {
		if events, err = fif.ReadEvents(evFiles[i]); err != nil {
			return nil, 0, err
		}
	} else {
		findOpt.Log = log
		if events, err = preprocess.FindEvents(raw, findOpt); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(events) == 0 {
		return nil, 0, fmt.Errorf("%s: no events found", path)
	}
	if opt.Picks, err = epochs.ParsePicks(raw.Info, o.picks); err != nil {
		return nil, 0, usageError{fmt.Errorf("--picks: %w", err)}
	}
	var src fif.RawSource = raw
	if o.lFreq != 0 || o.hFreq != 0 {
		flt, err := preprocess.CreateFilter(raw.Info.SFreq, o.lFreq, o.hFreq, preprocess.FilterOptions{NTimes: raw.NTimes})
		if err != nil {
			return nil, 0, fmt.Errorf("%s: --l-freq/--h-freq: %w", path, err)
		}
		for _, l := range flt.Log {
			log.Debug(l)
		}
		rows := preprocess.DataChannels(raw.Info)
		fr, err := preprocess.NewFilteredRaw(raw, flt, rows, preprocess.StreamOptions{Info: preprocess.FilteredInfo(raw.Info, rows, o.lFreq, o.hFreq)})
		if err != nil {
			return nil, 0, err
		}
		defer fr.Close()
		src = fr
	}
	bar := a.progressBar("epochs "+shortName(path), int64(len(events)), progress.Options{})
	opt.Progress = func(done, total int) { bar.Set(int64(done)) }
	ep, err := epochs.New(ctx, src, events, opt)
	if err != nil {
		bar.Clear()
		if errors.Is(err, epochs.ErrAllDropped) && multi {
			log.Warn(fmt.Sprintf("%s: %v", path, err))
			return ep, len(events), nil
		}
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("interrupted: %w", ctx.Err())
		}
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	bar.Finish()
	log.Info(fmt.Sprintf("%s: %d epochs of %d events", path, ep.Len(), len(events)))
	return ep, len(events), nil
}

func findEventsOptions(o epochsOpts) (preprocess.FindEventsOptions, error) {
	var fo preprocess.FindEventsOptions
	if o.stim != "" {
		fo.StimChannels = splitList(o.stim)
	}
	mt, err := preprocess.ParseMaskType(o.maskType)
	if err != nil {
		return fo, usagef("--mask-type: %v", err)
	}
	fo.MaskType = mt
	if o.hasMask {
		m := o.mask
		fo.Mask = &m
	}
	cons, err := preprocess.ParseConsecutive(o.consecutive)
	if err != nil {
		return fo, usagef("--consecutive: %v", err)
	}
	fo.Consecutive = cons
	if math.IsNaN(o.minDuration) || o.minDuration < 0 {
		return fo, usagef("--min-duration must be >= 0")
	}
	fo.MinDuration = o.minDuration
	return fo, nil
}

func fillSummary(s *epochsSummary, ep *epochs.Epochs, elapsed time.Duration) {
	s.NEvents = len(ep.DropLog)
	s.NEpochs = ep.Len()
	s.EventID = map[string]int32{}
	s.Counts = map[string]int{}
	for _, c := range ep.EventID {
		s.EventID[c.Name] = c.ID
		n := 0
		for _, e := range ep.Events {
			if e.ID == c.ID {
				n++
			}
		}
		s.Counts[c.Name] = n
	}
	s.Dropped = map[string]int{}
	for _, r := range ep.DropLog {
		if len(r) > 0 && !(len(r) == 1 && r[0] == "IGNORED") {
			s.NDropped++
		}
		for _, x := range r {
			s.Dropped[x]++
		}
	}
	s.DropLog = make([][]string, len(ep.DropLog))
	for i, r := range ep.DropLog {
		s.DropLog[i] = append([]string{}, r...)
	}
	s.SFreq = ep.Info.SFreq
	s.NChan = ep.NChan()
	s.NTimes = ep.NTimes()
	s.Tmin, s.Tmax = ep.Times[0], ep.Times[len(ep.Times)-1]
	s.Baseline = ep.Baseline
	s.Seconds = elapsed.Seconds()
}

func (a *app) printEpochsSummary(s epochsSummary, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	w := a.stdout
	fmt.Fprintf(w, "Wrote %s: %d epochs of %d events (%d dropped), %d channels x %d samples at %g Hz, %.3f to %.3f s\n",
		s.Output, s.NEpochs, s.NEvents, s.NDropped, s.NChan, s.NTimes, s.SFreq, s.Tmin, s.Tmax)
	if len(s.Runs) > 1 {
		for _, r := range s.Runs {
			fmt.Fprintf(w, "  %s: %d epochs of %d events\n", r.Raw, r.NEpochs, r.NEvents)
		}
	}
	names := slices.Sorted(maps.Keys(s.Counts))
	sort.SliceStable(names, func(i, j int) bool { return s.EventID[names[i]] < s.EventID[names[j]] })
	for _, n := range names {
		fmt.Fprintf(w, "  %-28s (%d) %5d\n", n, s.EventID[n], s.Counts[n])
	}
	if len(s.Dropped) > 0 {
		keys := slices.Sorted(maps.Keys(s.Dropped))
		sort.SliceStable(keys, func(i, j int) bool { return s.Dropped[keys[i]] > s.Dropped[keys[j]] })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s x%d", k, s.Dropped[k])
		}
		fmt.Fprintf(w, "Drop reasons: %s\n", strings.Join(parts, ", "))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func shortName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
