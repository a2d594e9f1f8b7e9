package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/internal/progress"
	"github.com/megflow/megflow/simulate"
)

func init() { addSubcommand(newSimulateCmd) }

const simulateLong = `Write a complete synthetic MEG study with a known answer, so megflow can be
tried (and tested) without any recording. OUT_DIR gets a BIDS layout like the
face-recognition study ds000117 (Wakeman & Henson, 2015):

  dataset_description.json, participants.tsv
  sub-01/ses-meg/meg/sub-01_ses-meg_task-facerecognition_run-NN_meg.fif
                                      (raw FIF, with _events.tsv per run)
  derivatives/freesurfer/subjects/sub-01/
      surf/{lh,rh}.white, surf/{lh,rh}.sphere   (ico5, 10242 vertices)
      bem/inner_skull.surf                      (ico4, 2562 vertices)
      bem/sub-01-trans.fif                      (head <-> MRI, identity)
      label/{lh,rh}.aparc.annot                 (34 Desikan-named regions)
  derivatives/truth/sub-01_truth.h5              (ground truth, HDF5)

The raw files have a Neuromag-306-like array (102 magnetometers, 204 planar
gradiometers), EOG061/EOG062 (blinks), ECG063 (heartbeats) and STI101 with
the study's trigger codes (famous 5/6/7, unfamiliar 13/14/15, scrambled
17/18/19 for first/immediate/long repeats) plus high bits 4096 and 256 that
only "megflow events --mask 4096+256 --mask-type not_and" ignores. MEG1512 is
flat and MEG0731 noisy (both listed as bad). The signals are evoked
responses of surface-normal dipoles: M100 in lateraloccipital, M170 in
fusiform (faces > scrambled) and M400 in inferiortemporal/temporalpole
(famous > unfamiliar > scrambled), with per-stimulus spatial patterns, plus
sensor and brain noise, 50/100 Hz line noise, drift, blinks and heartbeats.

The same seed and options give the same data. The default study takes a
few seconds. OUT_DIR must be empty or missing unless --overwrite is given.

MNE-Python reads everything written here; for mne.make_bem_model use
ico=None (the inner skull is already an ico4 surface, but its triangles are
not in the order of MNE's own icosahedron tables).`

const simulateExample = `  megflow simulate demo
  megflow simulate --seed 3 --trials 120 --runs 4 demo
  megflow simulate --trials 12 --runs 1 --sfreq 550 --json small | jq .raw_files`

func newSimulateCmd(a *app) *cobra.Command {
	def := simulate.DefaultOptions()
	var seed uint64
	var trials, runs int
	var sfreq float64
	var duration, format string
	var asJSON, overwrite bool
	cmd := &cobra.Command{
		Use:     "simulate OUT_DIR [--seed N] [--trials 60] [--runs 2] [--sfreq 1100] [--duration auto]",
		Short:   "Write a synthetic face-recognition study (raw FIF, anatomy, ground truth) in BIDS layout",
		Long:    simulateLong,
		Example: simulateExample,
		Args:    exactArgs("OUT_DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := simulate.Options{Seed: seed, Trials: trials, Runs: runs, SFreq: sfreq, Format: format}
			switch d := strings.TrimSpace(strings.ToLower(duration)); d {
			case "", "auto":
			default:
				v, err := strconv.ParseFloat(strings.TrimSuffix(d, "s"), 64)
				if err != nil || !(v > 0) || math.IsInf(v, 0) {
					return usagef("--duration %q: want auto or a length in seconds", duration)
				}
				opt.Duration = v
			}
			if trials < 3 {
				return usagef("--trials %d: need at least 3 (one per condition)", trials)
			}
			if runs < 1 || runs > trials {
				return usagef("--runs %d: need 1 to --trials (%d)", runs, trials)
			}
			if !(sfreq >= 200 && sfreq <= 10000) {
				return usagef("--sfreq %g: need 200 to 10000 Hz", sfreq)
			}
			switch format {
			case "short", "single", "double":
			default:
				return usagef("--format %q: want short, single or double", format)
			}
			if ents, err := os.ReadDir(args[0]); err == nil && len(ents) > 0 && !overwrite {
				return fmt.Errorf("cannot write %s: the directory is not empty (use --overwrite to replace the study in it)", args[0])
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("cannot write %s: %w", args[0], unwrapPathError(err))
			}
			var bar *progress.Bar
			opt.Progress = func(done, total int64) {
				if bar == nil {
					bar = a.progressBar("simulate", total, progress.Options{Unit: "s", Scale: 1 / sfreq})
				}
				if bar != nil {
					bar.Set(done)
				}
			}
			res, err := simulate.Study(cmd.Context(), args[0], opt)
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, res)
			}
			a.logger().Info("wrote "+res.BIDSRoot, "runs", len(res.RawFiles), "trials", res.Trials,
				"subject", res.Subject, "subjects_dir", res.SubjectsDir, "elapsed", fmt.Sprintf("%.1fs", res.Elapsed))
			fmt.Fprintf(a.stdout, "BIDS root:     %s\n", res.BIDSRoot)
			for _, p := range res.RawFiles {
				fmt.Fprintf(a.stdout, "raw:           %s\n", p)
			}
			fmt.Fprintf(a.stdout, "subjects dir:  %s (subject %s)\n", res.SubjectsDir, res.Subject)
			fmt.Fprintf(a.stdout, "trans:         %s\n", res.TransPath)
			fmt.Fprintf(a.stdout, "truth:         %s\n", res.TruthPath)
			fmt.Fprintf(a.stdout, "trials:        %d (famous %d, unfamiliar %d, scrambled %d) in %d run(s) at %g Hz, seed %d\n",
				res.Trials, res.Conditions["famous"], res.Conditions["unfamiliar"], res.Conditions["scrambled"], res.Runs, res.SFreq, res.Seed)
			fmt.Fprintf(a.stdout, "peak fields:   M100 %.0f fT, M170 %.0f fT, M400 %.0f fT (noise %.0f fT rms)\n",
				res.PeakMagFT["M100"], res.PeakMagFT["M170"], res.PeakMagFT["M400"], res.NoiseMagFT)
			fmt.Fprintf(a.stdout, "bads:          %s\n", strings.Join(res.Bads, ", "))
			return nil
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&seed, "seed", def.Seed, "random seed (same seed and options, same study)")
	f.IntVar(&trials, "trials", def.Trials, "number of trials, split evenly over the 3 conditions and the runs")
	f.IntVar(&runs, "runs", def.Runs, "number of raw files (runs)")
	f.Float64Var(&sfreq, "sfreq", def.SFreq, "sampling frequency (Hz)")
	f.StringVar(&duration, "duration", "auto", "length of each run in seconds, or auto (just long enough for its trials)")
	f.StringVar(&format, "format", def.Format, "raw sample format: short (16-bit, as the acquisition writes), single or double")
	f.BoolVar(&asJSON, "json", false, "print the summary (written paths, numbers) as JSON")
	f.BoolVar(&overwrite, "overwrite", false, "write into OUT_DIR even when it is not empty (files of the study are replaced)")
	return cmd
}
