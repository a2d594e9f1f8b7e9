package main

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/inverse"
)

func init() { addSubcommand(newInverseCmd) }

const inverseLong = `Minimum-norm inverse operators (MNE-Python's mne.minimum_norm).

  make   make_inverse_operator: whiten the forward solution with the noise
         covariance (rank estimated as MNE does), weight it by depth and
         orientation priors (loose on the surface normal frame, or fixed),
         and store the SVD as an -inv.fif file MNE-Python reads.
  apply  apply_inverse_epochs / apply_inverse: MNE, dSPM or sLORETA
         estimates of every epoch (or every evoked response), streamed to
         an HDF5 file, one chunk per epoch.`

const inverseMakeExample = `  megflow inverse make --fwd sub-01-fwd.fif --cov sub-01-cov.fif \
      --info sub-01-epo.fif sub-01-meg-inv.fif
  megflow inverse make --fwd sub-01-fwd.fif --cov sub-01-cov.fif \
      --info sub-01_raw.fif --fixed sub-01-fixed-inv.fif`

const inverseApplyExample = `  # dSPM of every epoch, SNR 3 (lambda2 = 1/9), norm of the 3 components
  megflow inverse apply --inv sub-01-meg-inv.fif --epochs sub-01-epo.fif sub-01-stc.h5

  # sLORETA along the surface normal for the averages of an -ave.fif file
  megflow inverse apply --inv sub-01-meg-inv.fif --evoked sub-01-ave.fif \
      --method sLORETA --pick-ori normal sub-01-ave-stc.h5`

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
	inv, epochs, evoked string
	method, pickOri     string
	snr, lambda2        float64
	overwrite           bool
}

func newInverseApplyCmd(a *app) *cobra.Command {
	var o invApplyOpts
	cmd := &cobra.Command{
		Use:     "apply --inv I --epochs EPO|--evoked AVE OUT.h5",
		Short:   "Apply an inverse operator to every epoch or evoked response, write HDF5",
		Example: inverseApplyExample,
		Args:    exactArgs("OUT.h5"),
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
			return a.inverseApply(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.inv, "inv", "", "inverse operator (-inv.fif, megflow's or MNE's)")
	f.StringVar(&o.epochs, "epochs", "", "epochs (-epo.fif)")
	f.StringVar(&o.evoked, "evoked", "", "evoked responses (-ave.fif)")
	f.StringVar(&o.method, "method", "dSPM", "MNE, dSPM or sLORETA")
	f.Float64Var(&o.snr, "snr", 3, "signal-to-noise ratio: lambda2 = 1/snr²")
	f.Float64Var(&o.lambda2, "lambda2", 1.0/9, "regularization (instead of --snr)")
	f.StringVar(&o.pickOri, "pick-ori", "none", "none (norm of the 3 components), normal or vector")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	return cmd
}

func (a *app) inverseApply(ctx context.Context, out string, o invApplyOpts) error {
	if o.inv == "" || (o.epochs == "") == (o.evoked == "") {
		return usagef("--inv and one of --epochs or --evoked are required")
	}
	method, err := inverse.ParseMethod(o.method)
	if err != nil {
		return usageError{err}
	}
	pick, err := inverse.ParsePickOri(o.pickOri)
	if err != nil {
		return usageError{err}
	}
	data := o.epochs + o.evoked
	for _, p := range []string{o.inv, data} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
		}
	}
	if err := checkOutput(out, []string{o.inv, data}, o.overwrite); err != nil {
		return err
	}
	rec, err := fif.ReadInverse(o.inv)
	if err != nil {
		return err
	}
	op, err := inverse.OperatorFromFIF(rec)
	if err != nil {
		return err
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
		evs, err := fif.ReadEvokeds(o.evoked)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return fmt.Errorf("%s: no evoked response", o.evoked)
		}
		for _, e := range evs[1:] {
			if len(e.Times) != len(evs[0].Times) {
				return fmt.Errorf("%s: the evoked responses have different time axes", o.evoked)
			}
		}
		nave = float64(evs[0].Nave)
		in = inverse.EpochInput{Info: evs[0].Info, Times: evs[0].Times, N: len(evs),
			Epoch: func(i int) ([]float64, error) { return evs[i].Data, nil }}
		for _, e := range evs {
			in.Condition = append(in.Condition, e.Comment)
			if float64(e.Nave) != nave {
				return fmt.Errorf("%s: evoked responses with different nave (%d, %g): apply them one file at a time", o.evoked, e.Nave, nave)
			}
		}
	}
	k, err := op.Prepare(method, o.lambda2, pick, nave)
	if err != nil {
		return err
	}
	w, err := inverse.CreateH5Estimates(out, k, in.N, in.Times, in.EventID, in.Condition)
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
	fmt.Fprintf(a.stdout, "Wrote %s: %s (lambda2 %.4g, pick_ori %s) of %d epoch(s), %d sources x %d times\n",
		out, method, o.lambda2, o.pickOri, in.N, op.NSource, len(in.Times))
	return nil
}
