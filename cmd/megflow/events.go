package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/preprocess"
)

func init() { addSubcommand(newEventsCmd) }

const eventsLong = `Find the events of a raw FIF recording on its trigger (stim) channel, exactly
as MNE-Python's mne.find_events does, and print them one per line as
"sample previous id" (the format of MNE's text events files): sample is the
absolute sample index (it includes the recording's first sample, as in MNE),
previous the trigger value before the event, id the event code.

Options map to find_events arguments:

  --stim            stim_channel: a channel name or a comma-separated list.
                    Default: STI101, else "STI 014", else every stim channel
                    not marked bad (MNE's MNE_STIM_CHANNEL config is not read).
  --consecutive     consecutive: increasing (default), true or false.
  --output          output: onset (default), offset or step.
  --min-duration    min_duration in seconds: steps closer than this merge.
  --shortest-event  shortest_event in samples (default 2): events closer
                    than this on one channel are an error, as in MNE; 1
                    turns the check off.
  --mask, --mask-type
                    mask (decimal, 0x hex, or a sum such as 4096+256) and
                    mask_type: and (keep the mask bits) or not_and (drop
                    them, e.g. STI101's response/stimulus high bits).
  --uint-cast       uint_cast: read the channel as unsigned 16-bit values.
  --initial-event   initial_event: report a non-zero first sample as an event.

--shift adds a delay in seconds to every event after detection, rounded to
the nearest sample (half to even), as Jas et al. (2018) corrected the 34.5 ms
projector delay of the Wakeman & Henson data: events[:, 0] +=
int(round(0.0345 * sfreq)). (mne.event.shift_time_events truncates instead.)

--out also writes the events to a file: FIF when the name ends in .fif
(e.g. sub-01-eve.fif, read by mne.read_events), MNE's text format otherwise.
--json prints a JSON list of {"sample", "previous", "id", "time"} objects,
time being seconds from the first sample of the recording (MNE's raw.times,
the time epochs are built around).`

const eventsExample = `  # MNE's defaults (STI101, consecutive='increasing')
  megflow events sub-01_raw.fif

  # Wakeman & Henson / Jas et al. 2018: drop bits 4096+256, 3 ms minimum,
  # 34.5 ms trigger delay, save for mne.read_events
  megflow events --stim STI101 --consecutive increasing --mask 4096+256 \
      --mask-type not_and --min-duration 0.003 --shift 0.0345 \
      --out sub-01-eve.fif sub-01_raw.fif

  # offsets as JSON
  megflow events --output offset --json sub-01_raw.fif | jq '.[0]'`

type eventsOpts struct {
	stim           string
	consecutive    string
	output         string
	minDuration    float64
	shortestEvent  int
	mask           string
	maskType       string
	uintCast       bool
	initialEvent   bool
	shift          float64
	out            string
	asJSON         bool
	allowMaxShield bool
	overwrite      bool
}

func newEventsCmd(a *app) *cobra.Command {
	var o eventsOpts
	cmd := &cobra.Command{
		Use:     "events IN",
		Short:   "Find events on the trigger channel (mne.find_events), print or save them",
		Long:    eventsLong,
		Example: eventsExample,
		Args:    exactArgs("IN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.events(args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.stim, "stim", "", "trigger channel name(s), comma-separated (default: STI101, STI 014, else all stim channels)")
	f.StringVar(&o.consecutive, "consecutive", "increasing", "which changes start events: increasing, true or false")
	f.StringVar(&o.output, "output", "onset", "report event onset, offset or step")
	f.Float64Var(&o.minDuration, "min-duration", 0, "merge steps closer than this (seconds)")
	f.IntVar(&o.shortestEvent, "shortest-event", preprocess.DefaultShortestEvent, "fail on events closer than this (samples); 1 disables")
	f.StringVar(&o.mask, "mask", "", "bit mask for trigger values: decimal, 0x hex, or a sum like 4096+256 (default: none)")
	f.StringVar(&o.maskType, "mask-type", "and", "how the mask applies: and (keep its bits) or not_and (remove them)")
	f.BoolVar(&o.uintCast, "uint-cast", false, "read trigger values as unsigned 16-bit (Neuromag STI016 bug)")
	f.BoolVar(&o.initialEvent, "initial-event", false, "report a non-zero value at the first sample as an event")
	f.Float64Var(&o.shift, "shift", 0, "add this delay (seconds) to every event, rounded to a sample")
	f.StringVar(&o.out, "out", "", "also write the events to this file (.fif: FIF, else MNE text)")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON list of {sample, previous, id, time}")
	f.BoolVar(&o.allowMaxShield, "allow-maxshield", false, "read MaxShield (IAS) data that has not been Maxwell filtered")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace the --out file if it exists")
	return cmd
}

// parseMask reads a mask: an integer in Go/Python syntax (decimal, 0x, 0o,
// 0b) or a sum of such integers ("4096+256").
func parseMask(s string) (int64, error) {
	var sum int64
	for _, part := range strings.Split(s, "+") {
		part = strings.TrimSpace(part)
		v, err := strconv.ParseInt(part, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("--mask %q: %q is not an integer (decimal, 0x hex, or a sum like 4096+256)", s, part)
		}
		sum += v
	}
	return sum, nil
}

// eventsOptions validates the flags into find_events arguments.
func eventsOptions(o eventsOpts) (preprocess.FindEventsOptions, error) {
	var opt preprocess.FindEventsOptions
	var err error
	if opt.Consecutive, err = preprocess.ParseConsecutive(o.consecutive); err != nil {
		return opt, usagef("--%v", err)
	}
	if opt.Output, err = preprocess.ParseEventOutput(o.output); err != nil {
		return opt, usagef("--%v", err)
	}
	if opt.MaskType, err = preprocess.ParseMaskType(o.maskType); err != nil {
		return opt, usagef("--mask-type: %v", err)
	}
	if strings.TrimSpace(o.mask) != "" {
		m, err := parseMask(o.mask)
		if err != nil {
			return opt, usageError{err}
		}
		opt.Mask = &m
	}
	if math.IsNaN(o.minDuration) || math.IsInf(o.minDuration, 0) {
		return opt, usagef("--min-duration must be a finite number of seconds")
	}
	if math.IsNaN(o.shift) || math.IsInf(o.shift, 0) {
		return opt, usagef("--shift must be a finite number of seconds")
	}
	opt.MinDuration = o.minDuration
	opt.ShortestEvent = o.shortestEvent
	if opt.ShortestEvent == 0 {
		opt.ShortestEvent = 1 // 0 means "MNE's default" in the library; here it is literal
	}
	opt.UintCast = o.uintCast
	opt.InitialEvent = o.initialEvent
	opt.Shift = o.shift
	if s := strings.TrimSpace(o.stim); s != "" {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				opt.StimChannels = append(opt.StimChannels, n)
			}
		}
	}
	return opt, nil
}

type jsonEvent struct {
	Sample   int64   `json:"sample"`
	Previous int32   `json:"previous"`
	ID       int32   `json:"id"`
	Time     float64 `json:"time"`
}

func (a *app) events(in string, o eventsOpts) error {
	opt, err := eventsOptions(o)
	if err != nil {
		return err
	}
	raw, err := openRawInput(in, o.allowMaxShield)
	if err != nil {
		return err
	}
	defer raw.Close()
	if o.out != "" {
		if err := checkOutput(o.out, raw.Paths, o.overwrite); err != nil {
			return err
		}
	}
	opt.Log = a.logger()
	events, err := preprocess.FindEvents(raw, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if o.out != "" {
		if err := fif.WriteEvents(o.out, events); err != nil {
			return err
		}
		a.logger().Info("wrote "+o.out, "events", len(events))
	}
	w := bufio.NewWriter(a.stdout)
	if o.asJSON {
		list := make([]jsonEvent, len(events))
		for i, e := range events {
			list[i] = jsonEvent{Sample: e.Sample, Previous: e.Prev, ID: e.ID,
				Time: float64(e.Sample-raw.FirstSamp) / raw.Info.SFreq}
		}
		enc := json.NewEncoder(w)
		if err := enc.Encode(list); err != nil {
			return err
		}
	} else {
		for _, e := range events {
			fmt.Fprintf(w, "%6d %6d %3d\n", e.Sample, e.Prev, e.ID)
		}
	}
	return w.Flush()
}
