package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/inverse"
	"maps"
	"slices"
)

func init() { addSubcommand(newCovCmd) }

const covLong = `Estimate a noise covariance and write it as a -cov.fif file that MNE-Python
reads (mne.read_cov).

From an -epo.fif file it is MNE's compute_covariance(epochs, tmin, tmax,
method, rank): the good data channels (bad channels left out) over the
samples between --tmin and --tmax of every epoch (typically the baseline,
--tmax 0). From a raw recording (an empty-room recording, say) it is MNE's
compute_raw_covariance: the data from --tmin to --tmax (seconds from the
first sample) in segments of --tstep seconds, segments exceeding --reject or
below --flat dropped, the mean over all samples removed.

Methods: empirical (the sample covariance), shrunk (each channel type shrunk
toward its mean variance, the amount chosen on MNE's grid of 30 values by
3-fold cross-validated log-likelihood, as MNE does with scikit-learn) and
diagonal_fixed (0.1 of the mean variance added to the diagonal, per type).
--rank: none (estimated from the data, MNE's default), info (Maxwell
filtering's SSS dimension from the processing history, minus projectors),
full, or explicit such as meg=72.`

const covExample = `  # shrunk noise covariance of the pre-stimulus baselines
  megflow cov sub-01-epo.fif sub-01-cov.fif --method shrunk --tmax 0

  # empirical covariance of an empty-room recording, 0.2 s segments
  megflow cov emptyroom_raw.fif emptyroom-cov.fif --reject grad=4000e-13,mag=4e-12`

type covOpts struct {
	method       string
	tmin, tmax   float64
	rank         string
	tstep        float64
	reject, flat string
	overwrite    bool
	asJSON       bool

	hasTmin, hasTmax, hasTstep bool
}

func newCovCmd(a *app) *cobra.Command {
	var o covOpts
	cmd := &cobra.Command{
		Use:     "cov EPO|RAW OUT-cov.fif",
		Short:   "Noise covariance from epochs or raw data (MNE's compute_covariance), write -cov.fif",
		Long:    covLong,
		Example: covExample,
		Args:    exactArgs("EPO|RAW", "OUT-cov.fif"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			o.hasTmin, o.hasTmax, o.hasTstep = fl.Changed("tmin"), fl.Changed("tmax"), fl.Changed("tstep")
			return a.cov(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.method, "method", "empirical", "estimator: empirical, shrunk or diagonal_fixed")
	f.Float64Var(&o.tmin, "tmin", 0, "first time used, seconds (epochs: relative to the event, default the epoch start; raw: from the first sample, default 0)")
	f.Float64Var(&o.tmax, "tmax", 0, "last time used, seconds (default: the epoch end / the end of the recording)")
	f.StringVar(&o.rank, "rank", "none", "data rank: none (estimate), info, full, or type=N pairs (meg=72)")
	f.Float64Var(&o.tstep, "tstep", 0.2, "raw input: segment length in seconds for rejection")
	f.StringVar(&o.reject, "reject", "", "raw input: peak-to-peak rejection thresholds per segment, e.g. grad=4000e-13,mag=4e-12")
	f.StringVar(&o.flat, "flat", "", "raw input: minimum peak-to-peak amplitudes per segment")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	f.BoolVar(&o.asJSON, "json", false, "print a summary as JSON")
	return cmd
}

type covSummary struct {
	Output    string             `json:"output"`
	Input     string             `json:"input"`
	Kind      string             `json:"input_kind"`
	Method    string             `json:"method"`
	NChan     int                `json:"n_channels"`
	NSamples  int                `json:"n_samples"`
	NFree     int                `json:"nfree"`
	Rank      map[string]int     `json:"rank"`
	Shrinkage map[string]float64 `json:"shrinkage,omitempty"`
	Segments  int                `json:"segments,omitempty"`
	Dropped   int                `json:"segments_dropped,omitempty"`
}

// isEpochsFile reports whether a FIF file holds epochs (rather than raw
// data).
func isEpochsFile(path string) (bool, error) {
	f, err := tree.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return len(f.Root.Blocks(tag.BlockMNEEpochs)) > 0, nil
}

func (a *app) cov(ctx context.Context, in, out string, o covOpts) error {
	switch o.method {
	case inverse.MethodEmpirical, inverse.MethodShrunk, inverse.MethodDiagonalFixed:
	default:
		return usagef("--method %q: want empirical, shrunk or diagonal_fixed", o.method)
	}
	rank, err := inverse.ParseRank(o.rank)
	if err != nil {
		return usageError{err}
	}
	if math.IsNaN(o.tmin) || math.IsNaN(o.tmax) {
		return usagef("--tmin/--tmax must be numbers")
	}
	if _, err := os.Stat(in); err != nil {
		return fmt.Errorf("cannot read %s: %w", in, unwrapPathError(err))
	}
	if err := checkOutput(out, []string{in}, o.overwrite); err != nil {
		return err
	}
	isEpo, err := isEpochsFile(in)
	if err != nil {
		return err
	}
	log := a.logger()
	copt := inverse.CovOptions{Method: o.method, Rank: rank, Log: log}
	s := covSummary{Output: out, Input: in, Method: o.method}
	var cov *inverse.Covariance
	if isEpo {
		if o.reject != "" || o.flat != "" || o.hasTstep {
			return usagef("--reject, --flat and --tstep apply to raw input; %s holds epochs", in)
		}
		ep, err := epochs.Read(in)
		if err != nil {
			return err
		}
		if o.hasTmin {
			v := o.tmin
			copt.Tmin = &v
		}
		if o.hasTmax {
			v := o.tmax
			copt.Tmax = &v
		}
		s.Kind = "epochs"
		cov, err = inverse.ComputeCovariance(inverse.EpochsData{Info: ep.Info, Times: ep.Times, Baselined: ep.Baseline != nil, Groups: ep.ConditionGroups()}, copt)
		if err != nil {
			return err
		}
	} else {
		s.Kind = "raw"
		if cov, err = a.rawCov(ctx, in, o, copt, &s); err != nil {
			return err
		}
	}
	if err := fif.WriteCov(out, &cov.Cov); err != nil {
		return err
	}
	s.NChan, s.NSamples, s.NFree, s.Rank, s.Shrinkage = len(cov.Names), cov.NSamples, cov.NFree, cov.Rank, cov.Shrinkage
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(a.stdout, "Wrote %s: %s covariance of %d channels from %d samples of %s (nfree %d)\n", out, s.Method, s.NChan, s.NSamples, s.Kind, s.NFree)
	if len(s.Rank) > 0 {
		fmt.Fprintf(a.stdout, "  rank: %s\n", mapString(s.Rank))
	}
	if len(s.Shrinkage) > 0 {
		fmt.Fprintf(a.stdout, "  shrinkage: %s\n", mapString(s.Shrinkage))
	}
	if s.Segments > 0 {
		fmt.Fprintf(a.stdout, "  segments: %d, dropped %d\n", s.Segments, s.Dropped)
	}
	return nil
}

func (a *app) rawCov(ctx context.Context, in string, o covOpts, copt inverse.CovOptions, s *covSummary) (*inverse.Covariance, error) {
	raw, err := fif.OpenRaw(in, fif.RawOptions{})
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	reject, err := epochs.ParseThresholds(o.reject)
	if err != nil {
		return nil, usagef("--reject: %v", err)
	}
	flat, err := epochs.ParseThresholds(o.flat)
	if err != nil {
		return nil, usagef("--flat: %v", err)
	}
	ropt := inverse.RawCovOptions{CovOptions: copt, Tmin: o.tmin, Tstep: o.tstep}
	if o.hasTmax {
		v := o.tmax
		ropt.Tmax = &v
	}
	if len(reject) > 0 || len(flat) > 0 {
		rej, err := epochs.NewRejector(raw.Info, reject, flat)
		if err != nil {
			return nil, err
		}
		ropt.Reject = func(seg []float64, nt int) []string { return rej.Check(seg, nt, 0, nt) }
	}
	res, err := inverse.ComputeRawCovariance(ctx, raw, ropt)
	if err != nil {
		return nil, err
	}
	s.Segments, s.Dropped = res.Segments, len(res.Dropped)
	return res.Covariance, nil
}

func mapString[V any](m map[string]V) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, m[k])
	}
	return strings.Join(parts, ", ")
}
