package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/configs"
	"github.com/megflow/megflow/pipeline"
)

func init() { addSubcommand(newRunCmd) }

const runExample = `  # the Wakeman & Henson reproduction on a BIDS copy of ds000117
  megflow run --config configs/wakeman_henson.yaml \
      --set bids_root=/data/ds000117 --set subjects=[01,02] --jobs 2

  # the built-in demo (see megflow simulate)
  megflow run --config configs/demo.yaml --set bids_root=/tmp/demo

  # re-run the RDMs only, with another window
  megflow run --config study.yaml --set rsa.window_tmin=0.15 --stages rsa,report

  # everything again, whatever is cached
  megflow run --config study.yaml --force`

const runLong = `Run the whole flow for every subject of a study: Maxwell filtering, filtering,
events, epochs (runs concatenated), noise covariance, source space, BEM,
parcellation (built by subdivision when missing), forward model, inverse
operator, dSPM estimates of every epoch reduced to parcel time courses and
RDMs (window and time-resolved), and an HTML report per subject.

Every input is checked before any work. Outputs go to
<deriv_root>/sub-XX/ with a provenance sidecar (.json) each; a step whose
outputs are current (same parameters, same input contents) is skipped, so a
second run does nothing and a killed run resumes. --force re-runs.

Stages: ` + "maxwell, filter, events, epochs, covariance, source_space, bem, parcellation, forward, inverse, rsa, report" + `

Environment variables override config keys: MEGFLOW_BIDS_ROOT,
MEGFLOW_MAXWELL__ST_DURATION (a double underscore separates levels).`

type runOpts struct {
	config   string
	sets     []string
	jobs     int
	stepJobs int
	stages   string
	force    bool
	asJSON   bool
}

func newRunCmd(a *app) *cobra.Command {
	var o runOpts
	cmd := &cobra.Command{
		Use:     "run --config C [--set key=value ...] [--jobs N] [--stages a,b] [--force]",
		Short:   "Run the whole pipeline of a study from one YAML config",
		Long:    runLong,
		Example: runExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runPipeline(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "study configuration: a YAML file or a built-in name (demo, wakeman_henson)")
	f.StringArrayVar(&o.sets, "set", nil, "override a config key: key=value (YAML value; dotted keys for nested ones); repeatable")
	f.IntVar(&o.jobs, "jobs", 0, "subjects processed at once (0: the config's jobs, else as memory_gb allows)")
	f.IntVar(&o.stepJobs, "step-jobs", 0, "steps of one subject run at once when neither needs the other's outputs (0: 2 with one subject at a time on 2+ cores, else 1)")
	f.StringVar(&o.stages, "stages", "", "comma-separated stages to run (default all)")
	f.BoolVar(&o.force, "force", false, "re-run the selected stages even when cached")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON on stdout")
	return cmd
}

// loadConfig reads --config: a file, or the name of a built-in config
// ("demo", "wakeman_henson") when no such file exists.
func (a *app) loadConfig(path string, sets []string) (*pipeline.Loaded, error) {
	if path == "" {
		return nil, usagef("--config is required (a YAML file, or a built-in config: %s)", strings.Join(configs.Names(), ", "))
	}
	var cfg *pipeline.Loaded
	var err error
	if _, serr := os.Stat(path); serr != nil && !strings.ContainsAny(path, "/\\") {
		b, berr := configs.Read(path)
		if berr != nil {
			return nil, usagef("--config %s: no such file, and %v", path, berr)
		}
		cfg, err = pipeline.LoadBytes("builtin:"+strings.TrimSuffix(path, ".yaml"), b, sets)
	} else {
		cfg, err = pipeline.Load(path, sets)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

func (a *app) runPipeline(cmd *cobra.Command, o runOpts) error {
	cfg, err := a.loadConfig(o.config, o.sets)
	if err != nil {
		return err
	}
	if o.jobs < 0 {
		return usagef("--jobs %d: must be >= 0", o.jobs)
	}
	if o.stepJobs < 0 {
		return usagef("--step-jobs %d: must be >= 0", o.stepJobs)
	}
	opt := pipeline.Options{Force: o.force, Jobs: o.jobs, StepJobs: o.stepJobs, Log: a.logger()}
	if o.stages != "" {
		opt.Stages = splitList(o.stages)
	}
	if f, ok := a.stderr.(*os.File); ok && !a.quiet {
		opt.Progress = f
	}
	sum, err := pipeline.Run(cmd.Context(), cfg, opt)
	if sum != nil {
		if o.asJSON {
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(sum); jerr != nil && err == nil {
				err = jerr
			}
		} else {
			sum.WriteTable(a.stdout)
			if len(sum.Outputs) > 0 {
				fmt.Fprintf(a.stdout, "results:\n  %s\n", strings.Join(sum.Outputs, "\n  "))
			}
		}
	}
	return err
}
