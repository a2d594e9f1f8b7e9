package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/inverse"
)

func init() { addSubcommand(newInverseCmd) }

const inverseLong = `Minimum-norm inverse operators (MNE-Python's mne.minimum_norm).

  make   make_inverse_operator: whiten the forward solution with the noise
         covariance (rank estimated as MNE does), weight it by depth and
         orientation priors (loose on the surface normal frame, or fixed),
         and store the SVD as an -inv.fif file MNE-Python reads.
  apply  apply_inverse_epochs / apply_inverse / apply_inverse_raw: MNE,
         dSPM or sLORETA estimates of every epoch, of evoked responses, or
         of a continuous recording read block by block, streamed to an
         HDF5 file; or one estimate (an evoked response, or raw data) as
         MNE's .stc pair (OUT-lh.stc, OUT-rh.stc).`

const inverseMakeExample = `  megflow inverse make --fwd sub-01-fwd.fif --cov sub-01-cov.fif \
      --info sub-01-epo.fif sub-01-meg-inv.fif
  megflow inverse make --fwd sub-01-fwd.fif --cov sub-01-cov.fif \
      --info sub-01_raw.fif --fixed sub-01-fixed-inv.fif`

const inverseApplyExample = `  # dSPM of every epoch, SNR 3 (lambda2 = 1/9), norm of the 3 components
  megflow inverse apply --inv sub-01-meg-inv.fif --epochs sub-01-epo.fif sub-01-stc.h5

  # sLORETA along the surface normal for the averages of an -ave.fif file
  megflow inverse apply --inv sub-01-meg-inv.fif --evoked sub-01-ave.fif \
      --method sLORETA --pick-ori normal sub-01-ave-stc.h5

  # one condition of an -ave.fif file (by comment, or index 0, 1 ...) as
  # MNE's .stc pair: writes sub-01-famous-lh.stc and sub-01-famous-rh.stc
  megflow inverse apply --inv sub-01-meg-inv.fif --evoked sub-01-ave.fif \
      --condition famous/first sub-01-famous.stc

  # dSPM of 10 s to 70 s of a continuous recording, in blocks
  megflow inverse apply --inv sub-01-meg-inv.fif --raw sub-01_raw.fif \
      --tmin 10 --tmax 70 sub-01-raw-stc.h5`

func newInverseCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inverse",
		Short: "Minimum-norm inverse operators: make -inv.fif, apply MNE/dSPM/sLORETA",
		Long:  inverseLong,
	}
	cmd.AddCommand(newInverseMakeCmd(a), newInverseApplyCmd(a))
	return cmd
}

type invMakeOpts struct {
	fwd, cov, info string
	loose, depth   float64
	fixed          bool
	rank           string
	overwrite      bool
}

func newInverseMakeCmd(a *app) *cobra.Command {
	var o invMakeOpts
	cmd := &cobra.Command{
		Use:     "make --fwd F --cov C --info RAW|EPO OUT-inv.fif",
		Short:   "Make an inverse operator (make_inverse_operator) and write -inv.fif",
		Example: inverseMakeExample,
		Args:    exactArgs("OUT-inv.fif"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.inverseMake(args[0], o, cmd.Flags().Changed("loose"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fwd, "fwd", "", "forward solution (-fwd.fif, free orientation)")
	f.StringVar(&o.cov, "cov", "", "noise covariance (-cov.fif)")
	f.StringVar(&o.info, "info", "", "measurement info of the data: raw, -epo.fif or -ave.fif file (bad channels, projectors)")
	f.Float64Var(&o.loose, "loose", 0.2, "weight of the tangential orientations, 0 (fixed) to 1 (free)")
	f.Float64Var(&o.depth, "depth", 0.8, "depth weighting exponent (0: none)")
	f.BoolVar(&o.fixed, "fixed", false, "fixed orientation along the surface normal (loose 0)")
	f.StringVar(&o.rank, "rank", "none", "noise covariance rank: none (estimate), info, full, or type=N pairs (meg=72)")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	return cmd
}

func readInfoFile(path string) (*fif.Info, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, _, err := fif.ReadInfo(f)
	return info, err
}

func (a *app) inverseMake(out string, o invMakeOpts, looseSet bool) error {
	if o.fwd == "" || o.cov == "" || o.info == "" {
		return usagef("--fwd, --cov and --info are required")
	}
	if !(o.loose >= 0 && o.loose <= 1) {
		return usagef("--loose %g: must be in [0, 1]", o.loose)
	}
	if o.fixed && looseSet && o.loose != 0 {
		return usagef("--fixed and --loose %g contradict each other", o.loose)
	}
	if !(o.depth >= 0) || math.IsInf(o.depth, 0) {
		return usagef("--depth %g: must be >= 0", o.depth)
	}
	rank, err := inverse.ParseRank(o.rank)
	if err != nil {
		return usageError{err}
	}
	for _, p := range []string{o.fwd, o.cov, o.info} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
		}
	}
	if err := checkOutput(out, []string{o.fwd, o.cov, o.info}, o.overwrite); err != nil {
		return err
	}
	ff, err := fif.ReadForward(o.fwd)
	if err != nil {
		return err
	}
	fwd, err := inverse.ForwardFromFIF(ff)
	if err != nil {
		return err
	}
	cov, err := fif.ReadCov(o.cov)
	if err != nil {
		return err
	}
	info, err := readInfoFile(o.info)
	if err != nil {
		return err
	}
	loose, depth := o.loose, o.depth
	opt := inverse.Options{Loose: &loose, Depth: &depth, Fixed: o.fixed, Rank: rank, Log: a.logger()}
	if o.fixed && !looseSet {
		opt.Loose = nil
	}
	op, err := inverse.MakeOperator(info, fwd, cov, opt)
	if err != nil {
		return err
	}
	rec, err := op.ToFIF()
	if err != nil {
		return err
	}
	if err := fif.WriteInverse(out, rec); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Wrote %s: %d channels, %d sources, loose %g, depth %g, whitener rank %d, largest singular value %.4g\n",
		out, len(op.Names), op.NSource, op.Loose, op.Depth, op.Noise.Rank, op.Sing[0])
	return nil
}

type invApplyOpts struct {
	inv, epochs, evoked, raw string
	condition                string
	method, pickOri          string
	snr, lambda2             float64
	tmin, tmax, block        float64
	tmaxSet, rangeSet        bool
	allowMaxShield           bool
	overwrite                bool
}

func newInverseApplyCmd(a *app) *cobra.Command {
	var o invApplyOpts
	cmd := &cobra.Command{
		Use:     "apply --inv I --epochs EPO|--evoked AVE|--raw RAW OUT.h5|OUT.stc",
		Short:   "Apply an inverse operator to epochs, evoked responses or raw data, write HDF5 or .stc",
		Example: inverseApplyExample,
		Args:    exactArgs("OUT.h5|OUT.stc"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if fl.Changed("snr") && fl.Changed("lambda2") {
				return usagef("give --snr or --lambda2, not both")
			}
			if !fl.Changed("lambda2") {
				if !(o.snr > 0) {
					return usagef("--snr %g: must be > 0", o.snr)
				}
				o.lambda2 = 1 / (o.snr * o.snr)
			}
			o.tmaxSet = fl.Changed("tmax")
			o.rangeSet = o.tmaxSet || fl.Changed("tmin") || fl.Changed("block")
			return a.inverseApply(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.inv, "inv", "", "inverse operator (-inv.fif, megflow's or MNE's)")
	f.StringVar(&o.epochs, "epochs", "", "epochs (-epo.fif)")
	f.StringVar(&o.evoked, "evoked", "", "evoked responses (-ave.fif)")
	f.StringVar(&o.raw, "raw", "", "continuous recording (raw FIF), estimated block by block")
	f.StringVar(&o.condition, "condition", "", "with --evoked: the evoked response to use, by comment or index (0 for the first); required for .stc output when the file has several")
	f.StringVar(&o.method, "method", "dSPM", "MNE, dSPM or sLORETA")
	f.Float64Var(&o.snr, "snr", 3, "signal-to-noise ratio: lambda2 = 1/snr²")
	f.Float64Var(&o.lambda2, "lambda2", 1.0/9, "regularization (instead of --snr)")
	f.StringVar(&o.pickOri, "pick-ori", "none", "none (norm of the 3 components), normal (along the surface normal; loose or free operators) or vector (HDF5 output only)")
	f.Float64Var(&o.tmin, "tmin", 0, "with --raw: first time to estimate, seconds from the first sample")
	f.Float64Var(&o.tmax, "tmax", 0, "with --raw: last time to estimate (included), seconds from the first sample (default: the end)")
	f.Float64Var(&o.block, "block", 1, "with --raw: seconds of data estimated per block (memory use is about sources x block x sfreq x 4 bytes, x3 for vector)")
	f.BoolVar(&o.allowMaxShield, "allow-maxshield", false, "with --raw: read MaxShield (IAS) data that has not been Maxwell filtered")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	return cmd
}

// applyOutputs returns the files OUT names: itself for HDF5, the .stc
// pair for a name ending in .stc.
func applyOutputs(out string) ([]string, bool) {
	if inverse.IsStcName(out) {
		lh, rh := inverse.StcPaths(out)
		return []string{lh, rh}, true
	}
	return []string{out}, false
}

func (a *app) inverseApply(ctx context.Context, out string, o invApplyOpts) error {
	nin := 0
	for _, p := range []string{o.epochs, o.evoked, o.raw} {
		if p != "" {
			nin++
		}
	}
	if nin > 1 {
		return usagef("give one of --epochs, --evoked or --raw, not several")
	}
	if o.inv == "" || nin != 1 {
		return usagef("--inv and one of --epochs, --evoked or --raw are required")
	}
	if o.raw == "" && (o.rangeSet || o.allowMaxShield) {
		return usagef("--tmin, --tmax, --block and --allow-maxshield apply to --raw only")
	}
	if o.condition != "" && o.evoked == "" {
		return usagef("--condition applies to --evoked only")
	}
	if o.raw != "" && !(o.block > 0) {
		return usagef("--block %g: must be > 0 seconds", o.block)
	}
	method, err := inverse.ParseMethod(o.method)
	if err != nil {
		return usageError{err}
	}
	pick, err := inverse.ParsePickOri(o.pickOri)
	if err != nil {
		return usageError{err}
	}
	outs, stc := applyOutputs(out)
	if stc {
		if o.epochs != "" {
			return usagef("OUT %s: the .stc format holds one estimate; --epochs gives one per epoch: write HDF5 (OUT.h5)", out)
		}
		if pick == inverse.PickVector {
			return usagef("OUT %s: the .stc format holds one value per vertex; --pick-ori vector needs HDF5 output (OUT.h5)", out)
		}
	}
	data := o.epochs + o.evoked + o.raw
	for _, p := range []string{o.inv, data} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
		}
	}
	for _, p := range outs {
		if err := checkOutput(p, []string{o.inv, data}, o.overwrite); err != nil {
			return err
		}
	}
	rec, err := fif.ReadInverse(o.inv)
	if err != nil {
		return err
	}
	op, err := inverse.OperatorFromFIF(rec)
	if err != nil {
		return fmt.Errorf("%s: %w", o.inv, err)
	}
	if o.raw != "" {
		return a.inverseApplyRaw(ctx, out, stc, op, method, pick, o)
	}
	var in inverse.EpochInput
	nave := 1.0
	if o.epochs != "" {
		ep, err := epochs.Read(o.epochs)
		if err != nil {
			return err
		}
		in = inverse.EpochInput{Info: ep.Info, Times: ep.Times, N: ep.Len(),
			Epoch: func(i int) ([]float64, error) { return ep.Data[i], nil }}
		names := map[int32]string{}
		for _, c := range ep.EventID {
			names[c.ID] = c.Name
		}
		for _, e := range ep.Events {
			in.EventID = append(in.EventID, int64(e.ID))
			in.Condition = append(in.Condition, names[e.ID])
		}
	} else {
		evs, err := readEvokedsFor(o.evoked, o.condition, stc)
		if err != nil {
			return err
		}
		nave = float64(evs[0].Nave)
		in = inverse.EpochInput{Info: evs[0].Info, Times: evs[0].Times, N: len(evs),
			Epoch: func(i int) ([]float64, error) { return evs[i].Data, nil }}
		for _, e := range evs {
			in.Condition = append(in.Condition, e.Comment)
		}
	}
	k, err := op.Prepare(method, o.lambda2, pick, nave)
	if err != nil {
		return fmt.Errorf("%s: %w", o.inv, err)
	}
	// The estimates go to an .stc pair (one evoked response) or HDF5.
	var w interface {
		inverse.Estimates
		Close() error
		Abort()
	}
	if stc {
		if len(in.Times) < 2 {
			return fmt.Errorf("%s: the .stc format needs the time step; the evoked response has %d time point(s)", o.evoked, len(in.Times))
		}
		w, err = inverse.CreateStc(out, k.Vertices, in.Times[0], 1/in.Info.SFreq, len(in.Times))
	} else {
		w, err = inverse.CreateH5Estimates(out, k, in.N, in.Times, in.EventID, in.Condition)
	}
	if err != nil {
		return err
	}
	if err := inverse.ApplyEpochs(ctx, k, in, w); err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if stc {
		fmt.Fprintf(a.stdout, "Wrote %s and %s: %s (lambda2 %.4g, pick_ori %s) of %q, %d sources x %d times\n",
			outs[0], outs[1], method, o.lambda2, o.pickOri, in.Condition[0], k.NOut, len(in.Times))
	} else {
		fmt.Fprintf(a.stdout, "Wrote %s: %s (lambda2 %.4g, pick_ori %s) of %d epoch(s), %d sources x %d times\n",
			out, method, o.lambda2, o.pickOri, in.N, op.NSource, len(in.Times))
	}
	return nil
}

// readEvokedsFor reads the evoked responses of path, or the one cond
// names (its comment, else its index); single (.stc output) requires one.
// The responses kept must share the time axis and nave (one kernel).
func readEvokedsFor(path, cond string, single bool) ([]*fif.Evoked, error) {
	evs, err := fif.ReadEvokeds(path)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("%s: no evoked response", path)
	}
	if cond != "" {
		e, err := pickEvoked(path, evs, cond)
		if err != nil {
			return nil, err
		}
		evs = []*fif.Evoked{e}
	}
	if single && len(evs) > 1 {
		return nil, usagef("%s holds %d evoked responses (%s); a .stc pair holds one: choose it with --condition", path, len(evs), evokedNames(evs))
	}
	for _, e := range evs[1:] {
		if len(e.Times) != len(evs[0].Times) {
			return nil, fmt.Errorf("%s: the evoked responses have different time axes", path)
		}
		if e.Nave != evs[0].Nave {
			return nil, fmt.Errorf("%s: evoked responses with different nave (%d, %d): apply them one at a time with --condition", path, e.Nave, evs[0].Nave)
		}
	}
	return evs, nil
}

// pickEvoked finds cond among the comments of evs, else reads it as an
// index (as mne.read_evokeds' condition).
func pickEvoked(path string, evs []*fif.Evoked, cond string) (*fif.Evoked, error) {
	var hits []*fif.Evoked
	for _, e := range evs {
		if e.Comment == cond {
			hits = append(hits, e)
		}
	}
	switch {
	case len(hits) == 1:
		return hits[0], nil
	case len(hits) > 1:
		return nil, fmt.Errorf("%s: %d evoked responses are named %q: choose one by index with --condition", path, len(hits), cond)
	}
	if i, err := strconv.Atoi(cond); err == nil {
		if i < 0 || i >= len(evs) {
			return nil, usagef("--condition %d: %s holds evoked responses 0 to %d", i, path, len(evs)-1)
		}
		return evs[i], nil
	}
	return nil, usagef("--condition %q: not in %s (%s)", cond, path, evokedNames(evs))
}

func evokedNames(evs []*fif.Evoked) string {
	var s []string
	for i, e := range evs {
		s = append(s, fmt.Sprintf("%d: %q", i, e.Comment))
	}
	return strings.Join(s, ", ")
}

// rawSink is where inverseApplyRaw writes: HDF5 or the .stc pair.
type rawSink interface {
	inverse.BlockEstimates
	Close() error
	Abort()
}

// progressSink advances a progress bar as blocks are stored.
type progressSink struct {
	rawSink
	bar *progress.Bar
}

func (p progressSink) PutBlock(t0, nt int, data []float32) error {
	if err := p.rawSink.PutBlock(t0, nt, data); err != nil {
		return err
	}
	p.bar.Add(int64(nt))
	return nil
}

// inverseApplyRaw is apply_inverse_raw (nave 1) on --tmin..--tmax of
// --raw, block by block.
func (a *app) inverseApplyRaw(ctx context.Context, out string, stc bool, op *inverse.Operator, method inverse.Method, pick inverse.PickOri, o invApplyOpts) error {
	raw, err := openRawInput(o.raw, o.allowMaxShield)
	if err != nil {
		return err
	}
	defer raw.Close()
	sfreq := raw.Info.SFreq
	// Overlap: the sinks write files and share nothing with the reader.
	opt := inverse.RawApplyOptions{Tmin: o.tmin, Block: max(1, int(math.Round(o.block*sfreq))), Overlap: true, Log: a.logger()}
	if o.tmaxSet {
		opt.Tmax = &o.tmax
	}
	start, stop, err := inverse.RawSpan(raw, opt)
	if err != nil {
		return usagef("--tmin/--tmax on %s: %v", o.raw, err)
	}
	k, err := op.Prepare(method, o.lambda2, pick, 1)
	if err != nil {
		return fmt.Errorf("%s: %w", o.inv, err)
	}
	nsrc := op.NSource // op is not needed past here: let it be collected
	nt := int(stop - start)
	var w rawSink
	if stc {
		w, err = inverse.CreateStc(out, k.Vertices, float64(start)/sfreq, 1/sfreq, nt)
	} else {
		w, err = inverse.CreateH5RawEstimates(out, k, start, nt, sfreq, raw.FirstSamp, opt.Block)
	}
	if err != nil {
		return err
	}
	bar := a.progressBar("inverse", int64(nt), progress.Options{Unit: "s", Scale: 1 / sfreq})
	if err := inverse.ApplyRaw(ctx, k, raw, opt, progressSink{w, bar}); err != nil {
		bar.Clear()
		w.Abort()
		return fmt.Errorf("%s: %w", o.raw, err)
	}
	bar.Finish()
	if err := w.Close(); err != nil {
		return err
	}
	outs, _ := applyOutputs(out)
	fmt.Fprintf(a.stdout, "Wrote %s: %s (lambda2 %.4g, pick_ori %s) of %s, %.6g s to %.6g s (%d samples), %d sources\n",
		strings.Join(outs, " and "), method, o.lambda2, o.pickOri, o.raw, float64(start)/sfreq, float64(stop-1)/sfreq, nt, nsrc)
	return nil
}
