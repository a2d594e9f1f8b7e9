package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/configs"
	"github.com/megflow/megflow/pipeline"
	"github.com/megflow/megflow/simulate"
)

func init() { addSubcommand(newDemoCmd) }

const demoLong = `Simulate a face-recognition study (megflow simulate), run the whole
pipeline on it with the built-in demo config (megflow run --config demo), and
check the result against the simulation's ground truth: the face-selective
response (faces − scrambled, searched in 50-300 ms) of the fusiform parcels
must peak within 15 ms of the simulated M170 latency, and their window RDMs
must rate faces more alike than faces and scrambled images.

DIR (default /tmp/megflow-demo) receives the study and, in
derivatives/megflow/sub-01/, the RDMs, parcel time courses and the report. A
study already simulated in DIR is reused; so are the pipeline's outputs when
they are current. Exit status 1 when a check fails.`

const demoExample = `  megflow demo
  megflow demo /tmp/my-demo --seed 7
  megflow demo --set rsa.metric=euclidean     # any config override`

// demoTolerance is how far (s) the recovered fusiform peak may be from the
// simulated M170 latency: the epochs are decimated to 220 Hz (4.5 ms) and
// the trials' latencies jitter by a few ms.
const demoTolerance = 0.015

func newDemoCmd(a *app) *cobra.Command {
	var seed uint64
	var sets []string
	cmd := &cobra.Command{
		Use:     "demo [DIR]",
		Short:   "Simulate a study, run the whole pipeline on it and check the result",
		Long:    demoLong,
		Example: demoExample,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "/tmp/megflow-demo"
			if len(args) == 1 {
				dir = args[0]
			}
			return a.demo(cmd, dir, seed, sets)
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", simulate.DefaultOptions().Seed, "random seed of the simulation")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a key of the demo config: key=value; repeatable")
	return cmd
}

func (a *app) demo(cmd *cobra.Command, dir string, seed uint64, sets []string) error {
	truthPath := filepath.Join(dir, "derivatives", "truth", "sub-01_truth.h5")
	if _, err := os.Stat(truthPath); err != nil {
		if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
			return fmt.Errorf("%s is not empty and holds no simulated study; choose another DIR", dir)
		}
		opt := simulate.DefaultOptions()
		opt.Seed = seed
		fmt.Fprintf(a.stdout, "simulating a study in %s (seed %d) ...\n", dir, seed)
		res, err := simulate.Study(cmd.Context(), dir, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "  %d trials in %d runs, %d Hz; truth in %s\n", res.Trials, res.Runs, int(res.SFreq), res.TruthPath)
	} else {
		fmt.Fprintf(a.stdout, "using the study simulated in %s\n", dir)
	}
	b, err := configs.Read("demo")
	if err != nil {
		return err
	}
	cfg, err := pipeline.LoadBytes("builtin:demo", b, append([]string{"bids_root=" + dir}, sets...))
	if err != nil {
		return usageError{err}
	}
	opt := pipeline.Options{Log: a.logger()}
	if f, ok := a.stderr.(*os.File); ok && !a.quiet {
		opt.Progress = f
	}
	fmt.Fprintln(a.stdout, "running the pipeline (megflow run --config demo) ...")
	sum, err := pipeline.Run(cmd.Context(), cfg, opt)
	if sum != nil {
		sum.WriteTable(a.stdout)
	}
	if err != nil {
		return err
	}
	sub := cfg.Subjects[0]
	fmt.Fprintf(a.stdout, "\nresults in %s:\n  window RDMs    %s\n  time RDMs      %s\n  parcel TCs     %s\n  report         %s\n",
		cfg.SubjectDir(sub), filepath.Base(cfg.WindowRDMPath(sub)), filepath.Base(cfg.TimeRDMPath(sub)),
		filepath.Base(cfg.ParcelsPath(sub)), filepath.Base(cfg.ReportPath(sub)))
	return a.demoCheck(truthPath, cfg, sub)
}

// demoCheck compares the fusiform results with the simulated M170.
func (a *app) demoCheck(truthPath string, cfg *pipeline.Loaded, sub string) error {
	truth, err := simulate.ReadTruth(truthPath)
	if err != nil {
		return err
	}
	m170 := truth.Component("M170")
	if m170 == nil {
		return fmt.Errorf("%s: no M170 component in the ground truth", truthPath)
	}
	fmt.Fprintf(a.stdout, "\ncheck against the ground truth (M170 in %s at %.0f ms):\n", strings.Join(m170.Labels, ", "), m170.Peak*1000)
	var failed []string
	for _, hemi := range []string{"lh", "rh"} {
		r, err := pipeline.RegionSummary(cfg.ParcelsPath(sub), cfg.WindowRDMPath(sub), "fusiform", hemi, "face", pipeline.M170Window[0], pipeline.M170Window[1])
		if err != nil {
			return err
		}
		ok := math.Abs(r.ContrastPeak-m170.Peak) <= demoTolerance+1e-9
		fmt.Fprintf(a.stdout, "  peak %.0f ms (faces − scrambled; faces alone %.0f ms) in the simulated face parcel fusiform-%s (%d parcels; truth %.0f ± %.0f ms): %s\n",
			r.ContrastPeak*1000, r.Peak*1000, hemi, r.NParcels, m170.Peak*1000, demoTolerance*1000, okString(ok))
		if !ok {
			failed = append(failed, "fusiform-"+hemi+" latency")
		}
		ok = r.Within < r.Between
		fmt.Fprintf(a.stdout, "  fusiform-%s window RDMs (per trial): faces-faces %.3f < faces-scrambled %.3f: %s\n", hemi, r.Within, r.Between, okString(ok))
		if !ok {
			failed = append(failed, "fusiform-"+hemi+" RDM")
		}
	}
	if len(failed) > 0 {
		return errors.New("demo check failed: " + strings.Join(failed, ", "))
	}
	fmt.Fprintln(a.stdout, "demo: all checks passed")
	return nil
}

func okString(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}
