package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/forward"
)

func init() { addSubcommand(newSourceSpaceCmd) }

const sourceSpaceLong = `Set up the cortical source space of a FreeSurfer subject, as
mne.setup_source_space(subject, spacing, add_dist=False) does: the vertices
of surf/{lh,rh}.white nearest (on surf/{lh,rh}.sphere) to those of a
recursively subdivided octahedron (octN, N >= 1; oct6: 4098 per
hemisphere) or icosahedron (icoN, N = 0..7; ico4: 2562, ico5: 10242 per
hemisphere), with the vertex normals of the full white surface, in MRI
coordinates. The result is a -src.fif file that MNE-Python reads with
mne.read_source_spaces.

--spacing all uses every vertex.`

const sourceSpaceExample = `  megflow source-space --subject fsaverage5 --subjects-dir subjects --spacing oct6 fsaverage5-oct6-src.fif
  megflow source-space --subject fsaverage5 --subjects-dir subjects --spacing ico4 fsaverage5-ico4-src.fif
  SUBJECTS_DIR=subjects megflow source-space --subject sub-01 sub-01-oct6-src.fif`

func newSourceSpaceCmd(a *app) *cobra.Command {
	var subject, subjectsDir, spacing, surface string
	var overwrite bool
	cmd := &cobra.Command{
		Use:     "source-space --subject S [--subjects-dir D] [--spacing oct6] OUT-src.fif",
		Short:   "Cortical source space (oct6, ico4, ...) from FreeSurfer surfaces, as mne.setup_source_space",
		Long:    sourceSpaceLong,
		Example: sourceSpaceExample,
		Args:    exactArgs("OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sd, err := resolveSubjectsDir(subject, subjectsDir)
			if err != nil {
				return err
			}
			out := args[0]
			if err := checkOutput(out, nil, overwrite); err != nil {
				return err
			}
			t0 := time.Now()
			src, err := forward.SetupSourceSpace(sd, subject, forward.SourceSpaceOptions{Spacing: spacing, Surface: surface})
			if err != nil {
				return err
			}
			if err := fif.WriteSourceSpaces(out, src); err != nil {
				return err
			}
			a.logger().Info("wrote "+out, "lh", fmt.Sprintf("%d/%d", src[0].NUse(), src[0].NP()),
				"rh", fmt.Sprintf("%d/%d", src[1].NUse(), src[1].NP()), "elapsed", time.Since(t0).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "FreeSurfer subject name (required)")
	f.StringVar(&subjectsDir, "subjects-dir", "", "FreeSurfer subjects directory (default $SUBJECTS_DIR)")
	f.StringVar(&spacing, "spacing", "oct6", "source spacing: octN, icoN or all")
	f.StringVar(&surface, "surface", "white", "surface the sources lie on (surf/{lh,rh}.SURFACE)")
	f.BoolVar(&overwrite, "overwrite", false, "replace OUT if it exists")
	return cmd
}
