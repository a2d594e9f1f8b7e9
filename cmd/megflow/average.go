package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
)

func init() { addSubcommand(newAverageCmd) }

const averageLong = `Average the epochs of an -epo.fif file into evoked responses and write them
to an -ave.fif file that MNE-Python reads (mne.read_evokeds).

Without --conditions there is one average per condition of the file, named
by its condition (MNE's epochs.average(by_event_type=True)). --conditions
lists selections, comma-separated: each is a condition name or a tag of
hierarchical names, so "face" averages every face/... condition together,
as epochs["face"].average() in MNE (the comment then gives the share of each
condition, "0.33 x face/famous + ..."). Only data channels (MEG, EEG, ...)
are averaged; nave is the number of epochs.`

const averageExample = `  # one average per condition
  megflow average sub-01-epo.fif sub-01-ave.fif

  # faces and scrambled faces, across their sub-conditions
  megflow average sub-01-epo.fif sub-01-ave.fif --conditions face,scrambled`

type averageOpts struct {
	conditions string
	overwrite  bool
	asJSON     bool
}

func newAverageCmd(a *app) *cobra.Command {
	var o averageOpts
	cmd := &cobra.Command{
		Use:     "average EPO OUT-ave.fif",
		Short:   "Average epochs per condition (MNE's epochs.average), write -ave.fif",
		Long:    averageLong,
		Example: averageExample,
		Args:    exactArgs("EPO", "OUT-ave.fif"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.average(cmd.Context(), args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.conditions, "conditions", "", "comma-separated condition names or tags to average (default: each condition)")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace OUT if it exists")
	f.BoolVar(&o.asJSON, "json", false, "print the averages (comment, nave) as JSON")
	return cmd
}

type averageSummary struct {
	Output   string       `json:"output"`
	Evokeds  []evokedInfo `json:"evokeds"`
	NChan    int          `json:"n_channels"`
	NTimes   int          `json:"n_times"`
	SFreq    float64      `json:"sfreq"`
	Baseline *[2]float64  `json:"baseline"`
}

type evokedInfo struct {
	Comment string `json:"comment"`
	Nave    int    `json:"nave"`
}

func (a *app) average(ctx context.Context, in, out string, o averageOpts) error {
	if _, err := os.Stat(in); err != nil {
		return fmt.Errorf("cannot read %s: %w", in, unwrapPathError(err))
	}
	if err := checkOutput(out, []string{in}, o.overwrite); err != nil {
		return err
	}
	ep, err := epochs.Read(in)
	if err != nil {
		return err
	}
	evs, err := ep.AverageConditions(splitList(o.conditions)...)
	if err != nil {
		return err
	}
	if err := fif.WriteEvokeds(out, evs); err != nil {
		return err
	}
	s := averageSummary{Output: out, NChan: len(evs[0].Info.Chs), NTimes: len(evs[0].Times), SFreq: evs[0].Info.SFreq, Baseline: evs[0].Baseline}
	for _, e := range evs {
		s.Evokeds = append(s.Evokeds, evokedInfo{Comment: e.Comment, Nave: e.Nave})
	}
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(a.stdout, "Wrote %s: %d average(s) of %d channels x %d samples at %g Hz\n", out, len(evs), s.NChan, s.NTimes, s.SFreq)
	for _, e := range s.Evokeds {
		fmt.Fprintf(a.stdout, "  %-40s nave %d\n", e.Comment, e.Nave)
	}
	return nil
}
