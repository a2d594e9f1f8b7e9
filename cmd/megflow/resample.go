package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/internal/version"
	"github.com/megflow/megflow/preprocess"
)

func init() { addSubcommand(newResampleCmd) }

const resampleLong = `Resample a raw FIF recording to a new sampling frequency exactly as
MNE-Python's raw.resample(sfreq, npad="auto") does (MNE 1.3 defaults: FFT
method, boxcar window, pad="reflect_limited"):

  - every channel is resampled in the frequency domain after padding with
    odd reflections to a power of two (npad auto) or by --npad samples on
    each side; the split parts of a split recording are resampled one by
    one, as MNE keeps them as separate segments;
  - stim channels are not filtered: each new sample takes the first non-zero
    trigger value among the old samples it covers (MNE's rule), so that
    triggers survive downsampling;
  - the first sample becomes round(first_samp * new/old), sfreq the new
    rate, and lowpass min(lowpass, new sfreq / 2).

--events reads an events file (FIF or MNE text) of the input and
--events-out writes it moved to the new time base, as
raw.resample(..., events=events): sample = round(sample * new/old), capped
at the last sample. Without --events, events are found (mne.find_events
defaults) before and after, and a warning is printed if their number
changed, as MNE does.

FFT resampling needs whole channels: channels are resampled in groups that
fit in --max-memory, in parallel; the output stays in memory up to 1 GiB
and goes to a temporary file beyond. OUT is written as float32 (--fmt
single, MNE's default) with a processing-history record; nothing is written
on error.`

const resampleExample = `  megflow resample --sfreq 220 sub-01_raw.fif sub-01_220Hz_raw.fif

  # move the events found on the original data along
  megflow events --out sub-01-eve.fif sub-01_raw.fif
  megflow resample --sfreq 250 --events sub-01-eve.fif --events-out sub-01_250Hz-eve.fif \
      sub-01_raw.fif sub-01_250Hz_raw.fif`

type resampleOpts struct {
	sfreq          float64
	npad           string
	events         string
	eventsOut      string
	format         string
	maxMemory      string
	splitSize      string
	allowMaxShield bool
	overwrite      bool
}

func newResampleCmd(a *app) *cobra.Command {
	var o resampleOpts
	cmd := &cobra.Command{
		Use:     "resample IN OUT",
		Short:   "Resample a raw recording (MNE's raw.resample, FFT method), with its events",
		Long:    resampleLong,
		Example: resampleExample,
		Args:    exactArgs("IN", "OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("sfreq") {
				return usagef("--sfreq is required (the new sampling frequency in Hz)")
			}
			return a.resample(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.sfreq, "sfreq", 0, "new sampling frequency (Hz), required")
	f.StringVar(&o.npad, "npad", "auto", "padding on each side: auto (to a power of two, MNE's default) or a number of samples")
	f.StringVar(&o.events, "events", "", "events file of IN to move to the new sampling rate (needs --events-out)")
	f.StringVar(&o.eventsOut, "events-out", "", "where to write the resampled events (.fif: FIF, else MNE text)")
	f.StringVar(&o.format, "fmt", "single", "sample format of OUT: single, double, short or int")
	f.StringVar(&o.maxMemory, "max-memory", "256MB", "input held at once while resampling (channels are processed in groups)")
	f.StringVar(&o.splitSize, "split-size", "2GB", "largest part of OUT, as MNE's split_size")
	f.BoolVar(&o.allowMaxShield, "allow-maxshield", false, "read MaxShield (IAS) data that has not been Maxwell filtered")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT (and --events-out) if they exist")
	return cmd
}

// parseNPad reads --npad: "auto" (nil) or a non-negative integer.
func parseNPad(s string) (*int, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "auto") {
		return nil, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return nil, usagef("--npad %q: want auto or a non-negative number of samples", s)
	}
	return &v, nil
}

// splitSegments returns the number of samples of each file of a split
// recording (MNE resamples them one by one). Opening a part follows the
// references to the parts after it, so each part's length is the
// difference of two totals.
func splitSegments(raw *fif.Raw, opt fif.RawOptions) ([]int64, error) {
	if len(raw.Paths) < 2 {
		return nil, nil
	}
	totals := make([]int64, len(raw.Paths)+1)
	totals[0] = raw.NTimes
	for k := 1; k < len(raw.Paths); k++ {
		r, err := fif.OpenRaw(raw.Paths[k], opt)
		if err != nil {
			return nil, err
		}
		totals[k] = r.NTimes
		r.Close()
	}
	segs := make([]int64, len(raw.Paths))
	for k := range segs {
		segs[k] = totals[k] - totals[k+1]
		if segs[k] <= 0 {
			return nil, fmt.Errorf("%s: cannot tell the length of split part %s", raw.Paths[0], raw.Paths[k])
		}
	}
	return segs, nil
}

func (a *app) resample(ctx context.Context, in, out string, o resampleOpts) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !(o.sfreq > 0) || math.IsInf(o.sfreq, 0) {
		return usagef("--sfreq %v: the new sampling frequency must be a positive number", o.sfreq)
	}
	npad, err := parseNPad(o.npad)
	if err != nil {
		return err
	}
	if (o.events == "") != (o.eventsOut == "") {
		return usagef("--events and --events-out go together")
	}
	wopt, err := checkRawOutput("resample", out, o.format, o.splitSize)
	if err != nil {
		return err
	}
	maxMem, err := parseMemory(o.maxMemory)
	if err != nil {
		return usagef("--max-memory: %v", err)
	}
	ropt := fif.RawOptions{AllowMaxShield: o.allowMaxShield}
	raw, err := openRawInput(in, o.allowMaxShield)
	if err != nil {
		return err
	}
	defer raw.Close()
	if err := checkOutput(out, raw.Paths, o.overwrite); err != nil {
		return err
	}
	var events []fif.Event
	if o.events != "" {
		if events, err = fif.ReadEvents(o.events); err != nil {
			return err
		}
		if err := checkOutput(o.eventsOut, raw.Paths, o.overwrite); err != nil {
			return err
		}
	}
	segs, err := splitSegments(raw, ropt)
	if err != nil {
		return err
	}
	log := a.logger()
	var before []fif.Event
	findErr := errors.New("not run")
	if o.events == "" {
		before, findErr = preprocess.FindEvents(raw, preprocess.FindEventsOptions{})
	}

	nch := len(raw.Info.Chs)
	bar := a.progressBar("resample", int64(nch), progress.Options{Unit: " ch"})
	t0 := time.Now()
	res, err := preprocess.Resample(ctx, raw, preprocess.ResampleOptions{
		SFreq:     o.sfreq,
		NPad:      npad,
		Segments:  segs,
		MaxMemory: maxMem,
		Progress:  func(done, total int) { bar.Add(1) },
	})
	if err != nil {
		bar.Clear()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; %s not written: %w", out, ctx.Err())
		}
		return err
	}
	defer res.Close()
	bar.Finish()
	npadText := "auto"
	if npad != nil {
		npadText = strconv.Itoa(*npad)
	}
	parts, err := fif.WriteRaw(out, res, fif.RawWriteOptions{
		Format:    wopt.Format,
		SplitSize: wopt.SplitSize,
		History:   fmt.Sprintf("megflow %s resample sfreq=%g npad=%s (from %g Hz)", version.String(), o.sfreq, npadText, raw.Info.SFreq),
	})
	if err != nil {
		return err
	}
	if len(parts) > 1 {
		log.Info("split output", "parts", parts)
	}
	log.Info("wrote "+out, "sfreq", o.sfreq, "samples", res.RawNTimes(), "first_samp", res.RawFirstSamp(),
		"lowpass", res.RawInfo().Lowpass, "elapsed", time.Since(t0).Round(time.Millisecond))

	if o.events != "" {
		moved := res.Events(events)
		if err := fif.WriteEvents(o.eventsOut, moved); err != nil {
			return err
		}
		log.Info("wrote "+o.eventsOut, "events", len(moved))
	} else if findErr == nil {
		// As MNE: a warning only, and no complaint when events cannot be
		// found at all.
		after, err := preprocess.FindEvents(res, preprocess.FindEventsOptions{})
		if err == nil && len(after) != len(before) {
			log.Warn(fmt.Sprintf("Resampling of the stim channels caused event information to become unreliable (%d events before, %d after). "+
				"Consider finding events on the original data and passing them with --events.", len(before), len(after)))
		}
	}
	return nil
}
