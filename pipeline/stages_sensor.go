package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/internal/version"
	"github.com/megflow/megflow/inverse"
	"github.com/megflow/megflow/preprocess"
	"github.com/megflow/megflow/preprocess/maxwell"
)

// Sensor-level stages: Maxwell filtering, filtering, events, epochs and
// the noise covariance. Each reads and writes FIF files MNE-Python opens.

// Algorithm versions: bump one when the stage's computation changes so
// that cached outputs are recomputed.
const (
	algoMaxwell = 1
	algoFilter  = 1
	algoEvents  = 1
	algoEpochs  = 1
	algoCov     = 1
)

// openRun opens a recording and adds the config's bad channels for it.
func openRun(path string, bads []string) (*fif.Raw, error) {
	raw, err := fif.OpenRaw(path, fif.RawOptions{AllowMaxShield: true})
	if err != nil {
		return nil, err
	}
	for _, b := range bads {
		if raw.Info.ChIndex(b) < 0 {
			raw.Close()
			return nil, fmt.Errorf("%s: bads lists %s, which is not a channel of the recording", path, b)
		}
		if !slices.Contains(raw.Info.Bads, b) {
			raw.Info.Bads = append(raw.Info.Bads, b)
		}
	}
	return raw, nil
}

// watched wraps a source read by fif.WriteRaw with the step's progress
// bar and cancellation.
func watched(ctx context.Context, src fif.RawSource, bar *progress.Bar) *fif.WatchedSource {
	return &fif.WatchedSource{RawSource: src, Check: ctx.Err, Done: bar.Add}
}

type maxwellParams struct {
	MaxwellConfig
	Bads []string `json:"bads"`
}

func (r *subjectRun) maxwellStep(run string) *step {
	c := &r.cfg.Config
	m := c.Maxwell
	in := []string{c.RawPath(r.sub, run)}
	for _, p := range []string{m.Calibration, m.CrossTalk} {
		if p != "" {
			in = append(in, p)
		}
	}
	var destRaw string
	if strings.HasPrefix(m.Destination, "run-") {
		destRaw = c.RawPath(r.sub, strings.TrimPrefix(m.Destination, "run-"))
		if destRaw != in[0] {
			in = append(in, destRaw)
		}
	}
	out := c.sssPath(r.sub, run)
	bads := c.RunBads(r.sub, run)
	return &step{Stage: "maxwell", Label: "maxwell run-" + run, Algo: algoMaxwell, Inputs: in, Outputs: []string{out},
		Params: maxwellParams{MaxwellConfig: m, Bads: bads},
		Run: func(ctx context.Context, e *env) error {
			raw, err := openRun(in[0], bads)
			if err != nil {
				return err
			}
			defer raw.Close()
			opt := maxwell.DefaultOptions()
			opt.Frame, _ = maxwell.ParseFrame(strings.ToLower(m.Frame))
			opt.Origin, _ = parseOrigin(m.Origin)
			opt.IntOrder, opt.ExtOrder = m.IntOrder, m.ExtOrder
			opt.RegularizeIn = strings.EqualFold(m.Regularize, "in")
			opt.STDuration, opt.STCorrelation = m.STDuration, m.STCorrelation
			if m.Calibration != "" {
				if opt.Calibration, err = maxwell.ReadFineCal(m.Calibration); err != nil {
					return err
				}
			}
			if m.CrossTalk != "" {
				if opt.CrossTalk, err = maxwell.ReadCrossTalk(m.CrossTalk); err != nil {
					return err
				}
			}
			if dest, err := destination(m.Destination, destRaw); err != nil {
				return err
			} else if dest != nil {
				opt.Destination = dest
			}
			opt.Creator = "megflow " + version.String() + " run"
			opt.Logger = e.log
			filt, err := maxwell.NewFilter(raw, opt)
			if err != nil {
				return fmt.Errorf("%s: %w", in[0], err)
			}
			defer filt.Close()
			sum := filt.Prepared().Summary()
			e.log.Info("SSS", "components", fmt.Sprintf("%d/%d in, %d/%d out", sum.NInKept, sum.NIn, sum.NOutKept, sum.NOut),
				"reconstructed", strings.Join(sum.Bads, ","))
			bar := e.bar("maxwell run-"+run, raw.NTimes, raw.Info.SFreq)
			_, err = fif.WriteRaw(out, watched(ctx, filt, bar), fif.RawWriteOptions{Format: "single", BufferSize: raw.BufferSize()})
			bar.Finish()
			return err
		}}
}

// destination resolves maxwell.destination: "" (none), a translation, or
// the head position of another run.
func destination(spec, rawPath string) (*geom.Transform, error) {
	switch {
	case spec == "":
		return nil, nil
	case strings.HasPrefix(spec, "run-"):
		f, err := fif.OpenRaw(rawPath, fif.RawOptions{AllowMaxShield: true})
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if f.Info.DevHeadT == nil {
			return nil, fmt.Errorf("maxwell.destination %s: %s has no device-to-head transform", spec, rawPath)
		}
		t := geom.Transform(f.Info.DevHeadT.M)
		return &t, nil
	default:
		v, err := geom.ParseVec3(spec)
		if err != nil {
			return nil, err
		}
		t := geom.Transform{{1, 0, 0, v[0]}, {0, 1, 0, v[1]}, {0, 0, 1, v[2]}, {0, 0, 0, 1}}
		return &t, nil
	}
}

// cleanInput is the recording the filter stage reads: the Maxwell-filtered
// run, or the raw run when Maxwell filtering is off.
func (r *subjectRun) cleanInput(run string) string {
	if r.cfg.Maxwell.Enabled {
		return r.cfg.sssPath(r.sub, run)
	}
	return r.cfg.RawPath(r.sub, run)
}

type filterParams struct {
	FilterConfig
	Bads []string `json:"bads"`
}

func (r *subjectRun) filterStep(run string) *step {
	c := &r.cfg.Config
	fc := c.Filter
	in := r.cleanInput(run)
	out := c.filtPath(r.sub, run)
	bads := c.RunBads(r.sub, run)
	return &step{Stage: "filter", Label: "filter run-" + run, Algo: algoFilter, Inputs: []string{in}, Outputs: []string{out},
		Params: filterParams{FilterConfig: fc, Bads: bads},
		Run: func(ctx context.Context, e *env) error {
			raw, err := openRun(in, bads)
			if err != nil {
				return err
			}
			defer raw.Close()
			info := raw.Info
			fopt := preprocess.FilterOptions{Method: fc.Method, FIRWindow: fc.FIRWindow, NTimes: raw.NTimes}
			var src fif.RawSource = raw
			var closers []func() error
			defer func() {
				for _, c := range closers {
					c()
				}
			}()
			chain := func(picks []int, l, h float64) error {
				if len(picks) == 0 || (l == 0 && h == 0) {
					return nil
				}
				f, err := preprocess.CreateFilter(info.SFreq, l, h, fopt)
				if err != nil {
					return fmt.Errorf("%s: %w", in, err)
				}
				outInfo := src.RawInfo()
				if preprocess.CoversDataChannels(info, picks) {
					outInfo = preprocess.FilteredInfo(outInfo, picks, l, h)
				}
				fr, err := preprocess.NewFilteredRaw(src, f, picks, preprocess.StreamOptions{Info: outInfo})
				if err != nil {
					return err
				}
				closers = append(closers, fr.Close)
				src = fr
				return nil
			}
			if err := chain(preprocess.DataChannels(info), fc.LFreq, fc.HFreq); err != nil {
				return err
			}
			if err := chain(channelsOfType(info, "eog"), fc.EOGLFreq, fc.EOGHFreq); err != nil {
				return err
			}
			if len(fc.Notch) > 0 {
				nf, err := preprocess.NotchFilter(info.SFreq, fc.Notch, preprocess.NotchOptions{})
				if err != nil {
					return fmt.Errorf("filter.notch: %w", err)
				}
				fr, err := preprocess.NewFilteredRaw(src, nf, preprocess.DataChannels(info), preprocess.StreamOptions{})
				if err != nil {
					return err
				}
				closers = append(closers, fr.Close)
				src = fr
			}
			bar := e.bar("filter run-"+run, raw.NTimes, info.SFreq)
			_, err = fif.WriteRaw(out, watched(ctx, src, bar), fif.RawWriteOptions{Format: "single", BufferSize: raw.BufferSize(),
				History: fmt.Sprintf("megflow %s filter l_freq=%g h_freq=%g", version.String(), fc.LFreq, fc.HFreq)})
			bar.Finish()
			return err
		}}
}

// channelsOfType are the indices of the channels of an MNE type.
func channelsOfType(info *fif.Info, typ string) []int {
	var out []int
	for i, ch := range info.Chs {
		if fif.ChannelType(ch) == typ {
			out = append(out, i)
		}
	}
	return out
}

func (r *subjectRun) eventsStep(run string) *step {
	c := &r.cfg.Config
	ec := c.Events
	in := c.RawPath(r.sub, run)
	out := c.eventsPath(r.sub, run)
	return &step{Stage: "events", Label: "events run-" + run, Algo: algoEvents, Inputs: []string{in}, Outputs: []string{out},
		Params: ec,
		Run: func(ctx context.Context, e *env) error {
			raw, err := fif.OpenRaw(in, fif.RawOptions{AllowMaxShield: true})
			if err != nil {
				return err
			}
			defer raw.Close()
			fo, err := c.findEventsOptions()
			if err != nil {
				return err
			}
			fo.Log = e.log
			ev, err := preprocess.FindEvents(raw, fo)
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			if len(ev) == 0 {
				return fmt.Errorf("%s: no events on %s", in, ec.StimChannel)
			}
			e.log.Info("events", "run", run, "n", len(ev))
			return fif.WriteEvents(out, ev)
		}}
}

func (c *Config) findEventsOptions() (preprocess.FindEventsOptions, error) {
	ec := c.Events
	var fo preprocess.FindEventsOptions
	if ec.StimChannel != "" {
		fo.StimChannels = []string{ec.StimChannel}
	}
	var err error
	if fo.MaskType, err = preprocess.ParseMaskType(ec.MaskType); err != nil {
		return fo, err
	}
	if fo.Consecutive, err = preprocess.ParseConsecutive(ec.Consecutive); err != nil {
		return fo, err
	}
	if ec.Mask != 0 {
		m := ec.Mask
		fo.Mask = &m
	}
	fo.MinDuration, fo.UintCast, fo.Shift = ec.MinDuration, ec.UintCast, ec.TriggerDelay
	return fo, nil
}

func (r *subjectRun) epochsStep() *step {
	c := &r.cfg.Config
	var in []string
	for _, run := range c.Runs {
		in = append(in, c.filtPath(r.sub, run), c.eventsPath(r.sub, run))
	}
	out := c.epochsPath(r.sub)
	return &step{Stage: "epochs", Label: "epochs", Algo: algoEpochs, Inputs: in, Outputs: []string{out},
		Params: struct {
			Epochs  EpochsConfig     `json:"epochs"`
			EventID map[string]int64 `json:"event_id"`
		}{c.Epochs, c.Events.EventID},
		Run: func(ctx context.Context, e *env) error {
			ids, err := c.eventID()
			if err != nil {
				return err
			}
			baseline, _ := epochs.ParseBaseline(c.Epochs.Baseline)
			reject, _ := epochs.ParseThresholds(thresholdSpec(c.Epochs.Reject))
			flat, _ := epochs.ParseThresholds(thresholdSpec(c.Epochs.Flat))
			var runs []*epochs.Epochs
			for i, run := range c.Runs {
				ep, err := r.epochRun(ctx, e, in[2*i], in[2*i+1], epochs.Options{EventID: ids, Tmin: c.Epochs.Tmin, Tmax: c.Epochs.Tmax,
					Baseline: baseline, Reject: reject, Flat: flat, Decim: c.Epochs.Decim, Log: e.log})
				if err != nil {
					return fmt.Errorf("run %s: %w", run, err)
				}
				runs = append(runs, ep)
			}
			ep := runs[0]
			if len(runs) > 1 {
				if ep, err = epochs.Concatenate(runs, e.log); err != nil {
					return err
				}
			}
			if ep.Len() == 0 {
				return fmt.Errorf("every epoch was dropped: loosen epochs.reject/flat or check the events")
			}
			e.log.Info("epochs", "kept", ep.Len(), "of", len(ep.DropLog))
			return ep.Write(out, epochs.WriteOptions{})
		}}
}

func (r *subjectRun) epochRun(ctx context.Context, e *env, rawPath, evPath string, opt epochs.Options) (*epochs.Epochs, error) {
	raw, err := fif.OpenRaw(rawPath, fif.RawOptions{})
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	ev, err := fif.ReadEvents(evPath)
	if err != nil {
		return nil, err
	}
	// Codes of the table that a run lacks (a short run) are not an error
	// for the study as a whole: keep those present.
	if opt.EventID != nil {
		present := map[int32]bool{}
		for _, x := range ev {
			present[x.ID] = true
		}
		var keep epochs.EventID
		for _, cnd := range opt.EventID {
			if present[cnd.ID] {
				keep = append(keep, cnd)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("%s: none of the codes of events.event_id occur", evPath)
		}
		opt.EventID = keep
	}
	ep, err := epochs.New(ctx, raw, ev, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rawPath, err)
	}
	return ep, nil
}

func (r *subjectRun) covStep() *step {
	c := &r.cfg.Config
	in := c.epochsPath(r.sub)
	out := c.covPath(r.sub)
	return &step{Stage: "covariance", Label: "covariance", Algo: algoCov, Inputs: []string{in}, Outputs: []string{out},
		Params: c.Covariance,
		Run: func(ctx context.Context, e *env) error {
			rank, err := inverse.ParseRank(c.Covariance.Rank)
			if err != nil {
				return err
			}
			ep, err := baselineSamples(in, c.Covariance.Tmin, c.Covariance.Tmax)
			if err != nil {
				return err
			}
			cov, err := inverse.ComputeCovariance(inverse.EpochsData{Info: ep.Info, Times: ep.Times, Baselined: ep.Baseline != nil,
				Groups: ep.ConditionGroups()}, inverse.CovOptions{Method: c.Covariance.Method, Rank: rank, Log: e.log})
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			e.log.Info("covariance", "method", c.Covariance.Method, "samples", cov.NSamples, "rank", cov.Rank)
			return fif.WriteCov(out, &cov.Cov)
		}}
}

// baselineSamples reads the epochs of path cropped to the samples the
// covariance uses (tmin..tmax): for a baseline of 0.2 s out of 1 s epochs,
// a fifth of the data is held.
func baselineSamples(path string, tmin, tmax float64) (*epochs.Epochs, error) {
	lf, err := epochs.Open(path)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	a, b, err := inverse.TimeWindow(lf.Times, lf.Info.SFreq, &tmin, &tmax)
	if err != nil {
		return nil, fmt.Errorf("%s: covariance.tmin/tmax: %w", path, err)
	}
	ep := *lf.Epochs
	nt, w := lf.NTimes(), b-a
	ep.Times = lf.Times[a:b]
	ep.Data = make([][]float64, lf.Len())
	var full []float64
	for i := range ep.Data {
		if full, err = lf.ReadEpoch(i, full); err != nil {
			return nil, err
		}
		d := make([]float64, lf.NChan()*w)
		for ch := range lf.NChan() {
			copy(d[ch*w:(ch+1)*w], full[ch*nt+a:ch*nt+b])
		}
		ep.Data[i] = d
	}
	return &ep, nil
}
