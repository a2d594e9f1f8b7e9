package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/forward"
)

func init() { addSubcommand(newBEMCmd) }

const bemLong = `Make a boundary-element model and its linear-collocation solution, as
mne.make_bem_model(subject, ico, conductivity) followed by
mne.make_bem_solution: one conductivity gives the single-layer model of
bem/inner_skull.surf used for MEG; three (brain, skull, scalp) add
bem/outer_skull.surf and bem/outer_skin.surf, with the isolated problem
approach. Surfaces are downsampled to the icosahedral grade --ico (4: 5120
triangles); --ico -1 keeps them as they are.

The result is a -bem-sol.fif file that mne.read_bem_solution reads. A
surface triangulated like MNE's icosahedron tables (FreeSurfer's and MNE's
watershed BEM surfaces are) is downsampled to exactly MNE's vertices, in
MNE's order; other icosahedral surfaces keep the order of the finer surface
(same positions, a permutation of MNE's).`

const bemExample = `  megflow bem --subject fsaverage5 --subjects-dir subjects --ico 4 --conductivity 0.3 fsaverage5-ico4-bem-sol.fif
  megflow bem --subject sub-01 --conductivity 0.3,0.006,0.3 sub-01-5120-5120-5120-bem-sol.fif`

func newBEMCmd(a *app) *cobra.Command {
	var subject, subjectsDir, cond string
	var ico int
	var overwrite bool
	cmd := &cobra.Command{
		Use:     "bem --subject S [--subjects-dir D] [--ico 4] [--conductivity 0.3] OUT-bem-sol.fif",
		Short:   "BEM model and linear-collocation solution, as mne.make_bem_model + make_bem_solution",
		Long:    bemLong,
		Example: bemExample,
		Args:    exactArgs("OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sd, err := resolveSubjectsDir(subject, subjectsDir)
			if err != nil {
				return err
			}
			sigma, err := parseFloats(cond)
			if err != nil || (len(sigma) != 1 && len(sigma) != 3) {
				return usagef("--conductivity %q: expected one value (single layer) or three (brain,skull,scalp) in S/m", cond)
			}
			out := args[0]
			if err := checkOutput(out, nil, overwrite); err != nil {
				return err
			}
			t0 := time.Now()
			b, err := forward.MakeBEMModel(sd, subject, ico, sigma)
			if err != nil {
				return err
			}
			if err := forward.MakeBEMSolution(b); err != nil {
				return err
			}
			if err := fif.WriteBEM(out, b); err != nil {
				return err
			}
			a.logger().Info("wrote "+out, "layers", len(b.Surfs), "vertices", b.NSol(), "elapsed", time.Since(t0).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "FreeSurfer subject name (required)")
	f.StringVar(&subjectsDir, "subjects-dir", "", "FreeSurfer subjects directory (default $SUBJECTS_DIR)")
	f.IntVar(&ico, "ico", 4, "icosahedral grade of the BEM surfaces (-1: as they are)")
	f.StringVar(&cond, "conductivity", "0.3", "conductivities in S/m: one value, or brain,skull,scalp")
	f.BoolVar(&overwrite, "overwrite", false, "replace OUT if it exists")
	return cmd
}

// resolveSubjectsDir checks the subject flags and finds the subjects
// directory (flag, else $SUBJECTS_DIR).
func resolveSubjectsDir(subject, dir string) (string, error) {
	if subject == "" {
		return "", usagef("--subject is required")
	}
	if dir == "" {
		dir = os.Getenv("SUBJECTS_DIR")
	}
	if dir == "" {
		return "", usagef("no subjects directory: give --subjects-dir or set SUBJECTS_DIR")
	}
	if st, err := os.Stat(filepath.Join(dir, subject)); err != nil || !st.IsDir() {
		return "", fmt.Errorf("subject %s not found in %s", subject, dir)
	}
	return dir, nil
}

// parseFloats reads comma-separated finite numbers.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, x)
	}
	return out, nil
}
