package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/internal/version"
	"github.com/megflow/megflow/preprocess/maxwell"
)

func init() { addSubcommand(newMaxwellCmd) }

const maxwellLong = `Maxwell filtering (SSS, signal space separation) of a Neuromag/Elekta/MEGIN
recording, with optional temporal SSS (tSSS), fine calibration and cross-talk
compensation: MNE-Python's mne.preprocessing.maxwell_filter with the same
arguments and defaults, number for number.

The MEG channels are replaced by the reconstruction from the internal
multipole moments (order --int-order, default 8) of a fit that also has
external moments (--ext-order, default 3), about --origin (metres, in the
--frame coordinates; 'auto' fits a sphere to the head digitization in the head
frame, and is (0, 0, 0) in the meg frame). Bad channels (the file's plus
--bads) are left out of the fit and reconstructed; they are no longer marked
bad in OUT. Other channels (trigger, EOG, ECG, EEG, ...) are copied unchanged.
MEG projectors are dropped (they no longer apply).

--regularize in (the default) drops the internal moments with low estimated
SNR as MaxFilter's -regularize in; 'none' keeps all. When the pseudo-inverse of
the basis has a condition number >= 1000, --bad-condition decides: error (the
default), warning or ignore.

--calibration reads a fine-calibration file (sss_cal.dat: sensor orientations,
magnetometer calibration, 1D or 3D gradiometer imbalance); --cross-talk a
cross-talk matrix (ct_sparse.fif). --st-duration S turns on tSSS with buffers
of S seconds (the data after the last full buffer are lumped into it), and
--st-correlation its subspace correlation limit. --destination moves the
reconstruction to another head position: a FIF file with a device-to-head
transform (a raw file or a -trans.fif) or a translation X,Y,Z in metres (head
frame only).

OUT gets a processing-history record with the SSS parameters (origin, frame,
orders, kept components; tSSS, cross-talk and fine-calibration records), so
MNE-Python reads it as Maxwell filtered. Data already Maxwell filtered are
refused. MaxShield (IAS) recordings are accepted: Maxwell filtering is what
they need. The recording is streamed in buffers; memory is a few buffers of
all channels. Nothing is written when an error occurs.

--json prints a report on stdout: components kept (internal/external), nfree,
condition number, reconstructed channels and, per buffer, the number of tSSS
components projected out.`

const maxwellExample = `  # SSS with MNE's defaults (origin fitted to the head shape, regularize in)
  megflow maxwell sub-01_raw.fif sub-01_sss_raw.fif

  # tSSS with fine calibration and cross-talk, as in Wakeman & Henson
  megflow maxwell --calibration sss_cal.dat --cross-talk ct_sparse.fif \
      --st-duration 10 sub-01_raw.fif sub-01_tsss_raw.fif

  # empty-room data in device coordinates, no regularization, JSON report
  megflow maxwell --frame meg --origin 0,0.013,-0.006 --regularize none \
      --bad-condition ignore --json erm_raw.fif erm_sss_raw.fif

  # mark two channels bad and move the head to the position of run 1
  megflow maxwell --bads MEG1512,MEG0731 --destination run01_raw.fif run02_raw.fif run02_sss_raw.fif`

type maxwellOpts struct {
	origin, frame, regularize, badCondition string
	intOrder, extOrder                      int
	calibration, crossTalk                  string
	stDuration, stCorrelation               float64
	bads, destination                       string
	asJSON, overwrite                       bool
	format, splitSize                       string
}

func newMaxwellCmd(a *app) *cobra.Command {
	var o maxwellOpts
	cmd := &cobra.Command{
		Use:     "maxwell IN OUT",
		Short:   "Maxwell filtering (SSS/tSSS, fine calibration, cross-talk) as MNE's maxwell_filter",
		Long:    maxwellLong,
		Example: maxwellExample,
		Args:    exactArgs("IN", "OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.maxwell(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.origin, "origin", "auto", "expansion origin X,Y,Z in metres (in --frame coordinates), or auto")
	f.StringVar(&o.frame, "frame", "head", "coordinate frame of the origin: head or meg (device)")
	f.IntVar(&o.intOrder, "int-order", 8, "order of the internal expansion")
	f.IntVar(&o.extOrder, "ext-order", 3, "order of the external expansion")
	f.StringVar(&o.regularize, "regularize", "in", "regularization of the internal moments: in or none")
	f.StringVar(&o.calibration, "calibration", "", "fine-calibration file (sss_cal.dat)")
	f.StringVar(&o.crossTalk, "cross-talk", "", "cross-talk compensation file (ct_sparse.fif)")
	f.Float64Var(&o.stDuration, "st-duration", 0, "tSSS buffer length in seconds (0: no tSSS)")
	f.Float64Var(&o.stCorrelation, "st-correlation", 0.98, "tSSS subspace correlation limit")
	f.StringVar(&o.bads, "bads", "", "comma-separated channels to treat as bad, in addition to the file's")
	f.StringVar(&o.destination, "destination", "", "head position to reconstruct at: FIF file with dev_head_t, or translation X,Y,Z in metres")
	f.StringVar(&o.badCondition, "bad-condition", "error", "when the basis is badly conditioned: error, warning or ignore")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON report (components, condition number, tSSS projections) on stdout")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	f.StringVar(&o.format, "fmt", "single", "sample format of OUT: single (MNE's default), double, short or int")
	f.StringVar(&o.splitSize, "split-size", "2GB", "largest part of OUT, as MNE's split_size")
	return cmd
}

// parseVec3 reads "X,Y,Z".

// maxwellOptions turns the flags into filter options; the recording's
// info gets the extra bads.
func (a *app) maxwellOptions(o maxwellOpts, info *fif.Info) (maxwell.Options, error) {
	opt := maxwell.DefaultOptions()
	var err error
	if opt.Frame, err = maxwell.ParseFrame(strings.ToLower(o.frame)); err != nil {
		return opt, usagef("--frame %q: want head or meg", o.frame)
	}
	if o.origin != "auto" {
		v, err := geom.ParseVec3(o.origin)
		if err != nil {
			return opt, usagef("--origin: %v (or auto)", err)
		}
		if math.Abs(v[0])+math.Abs(v[1])+math.Abs(v[2]) > 1 {
			a.logger().Warn(fmt.Sprintf("--origin %s is more than a metre from the frame origin: the value is in metres, not millimetres", o.origin))
		}
		opt.Origin = &v
	}
	if o.intOrder < 1 || o.extOrder < 0 {
		return opt, usagef("--int-order must be >= 1 and --ext-order >= 0")
	}
	opt.IntOrder, opt.ExtOrder = o.intOrder, o.extOrder
	switch strings.ToLower(o.regularize) {
	case "in":
		opt.RegularizeIn = true
	case "none", "off":
		opt.RegularizeIn = false
	default:
		return opt, usagef("--regularize %q: want in or none", o.regularize)
	}
	if opt.BadCondition, err = maxwell.ParseBadCondition(strings.ToLower(o.badCondition)); err != nil {
		return opt, usagef("--bad-condition %q: want error, warning or ignore", o.badCondition)
	}
	if !(o.stDuration >= 0) || math.IsInf(o.stDuration, 0) {
		return opt, usagef("--st-duration %g must be >= 0 (0: no tSSS)", o.stDuration)
	}
	if !(o.stCorrelation > 0 && o.stCorrelation <= 1) {
		return opt, usagef("--st-correlation %g must be in (0, 1]", o.stCorrelation)
	}
	opt.STDuration, opt.STCorrelation = o.stDuration, o.stCorrelation
	if o.calibration != "" {
		if opt.Calibration, err = maxwell.ReadFineCal(o.calibration); err != nil {
			return opt, err
		}
	}
	if o.crossTalk != "" {
		if opt.CrossTalk, err = maxwell.ReadCrossTalk(o.crossTalk); err != nil {
			return opt, err
		}
	}
	if o.destination != "" {
		t, err := readDestination(o.destination)
		if err != nil {
			return opt, err
		}
		opt.Destination = &t
	}
	if o.bads != "" {
		var unknown []string
		for _, b := range strings.Split(o.bads, ",") {
			b = strings.TrimSpace(b)
			if b == "" {
				continue
			}
			if info.ChIndex(b) < 0 {
				unknown = append(unknown, b)
				continue
			}
			if !slices.Contains(info.Bads, b) {
				info.Bads = append(info.Bads, b)
			}
		}
		if len(unknown) > 0 {
			return opt, usagef("--bads: no channel named %s", strings.Join(unknown, ", "))
		}
	}
	opt.Creator = "megflow " + version.String() + " maxwell"
	opt.Logger = a.logger()
	return opt, nil
}

// readDestination reads --destination: a translation or a FIF file with a
// device-to-head transform (or its inverse).
func readDestination(s string) (geom.Transform, error) {
	if strings.Count(s, ",") == 2 {
		if v, err := geom.ParseVec3(s); err == nil {
			return geom.Translation(v), nil
		}
		if _, err := os.Stat(s); err != nil {
			return geom.Transform{}, usagef("--destination %q: not X,Y,Z and not a file", s)
		}
	}
	all, err := fif.ReadTransAll(s)
	if err != nil {
		return geom.Transform{}, fmt.Errorf("--destination: %w", err)
	}
	for _, t := range all {
		if t.From == fif.FrameDevice && t.To == fif.FrameHead {
			return geom.Transform(t.M), nil
		}
		if t.From == fif.FrameHead && t.To == fif.FrameDevice {
			inv, err := t.Inverse()
			if err != nil {
				return geom.Transform{}, fmt.Errorf("--destination %s: %w", s, err)
			}
			return geom.Transform(inv.M), nil
		}
	}
	return geom.Transform{}, fmt.Errorf("--destination %s: no device-to-head transform in the file", s)
}

// maxwellReport is the --json output.
type maxwellReport struct {
	Input  string  `json:"input"`
	Output string  `json:"output"`
	SFreq  float64 `json:"sfreq"`
	NTimes int64   `json:"n_times"`
	maxwell.Summary
	Condition jfloat          `json:"condition_number"`
	Windows   []maxwellWindow `json:"windows"`
	Projected []int           `json:"tsss_n_projected"`
	Elapsed   float64         `json:"elapsed_seconds"`
}

type maxwellWindow struct {
	maxwell.Window
	TMin float64 `json:"tmin"`
	TMax float64 `json:"tmax"`
}

func (a *app) maxwell(ctx context.Context, in, out string, o maxwellOpts) error {
	if ctx == nil {
		ctx = context.Background()
	}
	wopt, err := checkRawOutput("maxwell", out, o.format, o.splitSize)
	if err != nil {
		return err
	}
	// MaxShield data are what Maxwell filtering is for: always allowed.
	raw, err := openRawInput(in, true)
	if err != nil {
		return err
	}
	defer raw.Close()
	if err := checkOutput(out, raw.Paths, o.overwrite); err != nil {
		return err
	}
	log := a.logger()
	if raw.MaxShield {
		log.Info("reading MaxShield (IAS) data")
	}
	opt, err := a.maxwellOptions(o, raw.Info)
	if err != nil {
		return err
	}
	t0 := time.Now()
	filt, err := maxwell.NewFilter(raw, opt)
	if err != nil {
		return err
	}
	defer filt.Close()
	sum := filt.Prepared().Summary()
	log.Info("SSS", "components", fmt.Sprintf("%d/%d in, %d/%d out", sum.NInKept, sum.NIn, sum.NOutKept, sum.NOut),
		"condition", fmt.Sprintf("%.1f", sum.Condition), "reconstructed", strings.Join(sum.Bads, ","))
	bar := a.progressBar("maxwell", raw.NTimes, progress.Options{Unit: "s", Scale: 1 / raw.Info.SFreq})
	src := &fif.WatchedSource{RawSource: filt, Check: ctx.Err, Done: bar.Add}
	parts, err := fif.WriteRaw(out, src, fif.RawWriteOptions{Format: wopt.Format, BufferSize: raw.BufferSize(), SplitSize: wopt.SplitSize})
	if err != nil {
		bar.Clear()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; %s not written: %w", out, ctx.Err())
		}
		return err
	}
	bar.Finish()
	if len(parts) > 1 {
		log.Info("split output", "parts", parts)
	}
	elapsed := time.Since(t0)
	wins := filt.Windows()
	rep := maxwellReport{Input: in, Output: out, SFreq: raw.Info.SFreq, NTimes: raw.NTimes, Summary: sum,
		Condition: jfloat(sum.Condition), Elapsed: elapsed.Seconds()}
	for _, w := range wins {
		rep.Windows = append(rep.Windows, maxwellWindow{Window: w,
			TMin: float64(w.Start) / raw.Info.SFreq, TMax: float64(w.Stop-1) / raw.Info.SFreq})
		if w.TSSS {
			rep.Projected = append(rep.Projected, w.NProjected)
		}
		if w.TSSS {
			log.Debug("tSSS", "tmin", float64(w.Start)/raw.Info.SFreq, "tmax", float64(w.Stop-1)/raw.Info.SFreq, "projected", w.NProjected)
		}
	}
	if opt.STDuration > 0 {
		log.Info("tSSS", "buffers", len(rep.Projected), "projected", fmt.Sprint(rep.Projected))
	}
	log.Info("wrote "+out, "samples", raw.NTimes, "elapsed", elapsed.Round(time.Millisecond))
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return nil
}
