package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/forward"
	"github.com/megflow/megflow/geom"
)

func init() { addSubcommand(newForwardCmd) }

const forwardLong = `Compute the MEG forward solution (gain matrix), as
mne.make_forward_solution(info, trans, src, bem, meg=True, eeg=False,
mindist): the MEG channels of --info (a raw, epochs or evoked FIF file) with
their 'accurate' coil definitions, placed in the head with the file's
dev_head_t; the MRI <-> head transformation of --trans; the source spaces of
--src; the BEM solution of --bem (primary currents plus the volume currents
of the BEM), or a spherical head model with --sphere (Sarvas formula; auto
fits a sphere to the head digitization).

Sources outside the inner skull, or closer than --mindist mm to it, are
excluded. The result has free orientation in head coordinates and is written
as a -fwd.fif file that mne.read_forward_solution reads.`

const forwardExample = `  megflow forward --info sub-01_raw.fif --trans sub-01-trans.fif \
      --src sub-01-oct6-src.fif --bem sub-01-ico4-bem-sol.fif --mindist 5 sub-01-oct6-fwd.fif

  # spherical head model with the origin fitted to the head shape
  megflow forward --info sub-01_raw.fif --trans sub-01-trans.fif --src sub-01-oct6-src.fif \
      --sphere auto sub-01-sphere-fwd.fif`

func newForwardCmd(a *app) *cobra.Command {
	var infoPath, transPath, srcPath, bemPath, sphere string
	var mindist float64
	var overwrite bool
	cmd := &cobra.Command{
		Use:     "forward --info RAW.fif --trans TRANS.fif --src SRC.fif (--bem BEM-sol.fif | --sphere auto|X,Y,Z) OUT-fwd.fif",
		Short:   "MEG forward solution (BEM or sphere), as mne.make_forward_solution",
		Long:    forwardLong,
		Example: forwardExample,
		Args:    exactArgs("OUT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range []struct{ name, v string }{{"--info", infoPath}, {"--trans", transPath}, {"--src", srcPath}} {
				if f.v == "" {
					return usagef("%s is required", f.name)
				}
			}
			if (bemPath == "") == (sphere == "") {
				return usagef("give exactly one of --bem and --sphere")
			}
			if mindist < 0 {
				return usagef("--mindist %g: must be >= 0 (mm)", mindist)
			}
			out := args[0]
			if err := checkOutput(out, []string{infoPath, transPath, srcPath, bemPath}, overwrite); err != nil {
				return err
			}
			t0 := time.Now()
			f, err := tree.Open(infoPath)
			if err != nil {
				return err
			}
			info, _, err := fif.ReadInfo(f)
			f.Close()
			if err != nil {
				return err
			}
			trans, err := fif.ReadTrans(transPath)
			if err != nil {
				return err
			}
			src, err := fif.ReadSourceSpaces(srcPath)
			if err != nil {
				return err
			}
			opt := forward.Options{MinDistMM: mindist}
			var bem *fif.BEM
			if bemPath != "" {
				if bem, err = fif.ReadBEM(bemPath); err != nil {
					return err
				}
			} else {
				r0, err := sphereOrigin(sphere, info)
				if err != nil {
					return err
				}
				opt.Sphere = &forward.Sphere{R0: r0}
			}
			fwd, err := forward.MakeForward(info, trans, src, bem, opt)
			if err != nil {
				return err
			}
			fwd.MeasFile, fwd.MRIFile = infoPath, transPath
			if err := fif.WriteForward(out, fwd); err != nil {
				return err
			}
			a.logger().Info("wrote "+out, "channels", fwd.NChan, "sources", fwd.NSource, "elapsed", time.Since(t0).Round(time.Millisecond))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&infoPath, "info", "", "FIF file with the measurement info (channels, dev_head_t)")
	fl.StringVar(&transPath, "trans", "", "MRI <-> head transformation (-trans.fif)")
	fl.StringVar(&srcPath, "src", "", "source spaces (-src.fif)")
	fl.StringVar(&bemPath, "bem", "", "BEM solution (-bem-sol.fif)")
	fl.StringVar(&sphere, "sphere", "", "spherical head model instead of the BEM: auto (fit to the head digitization) or X,Y,Z[,R] in metres, head coordinates")
	fl.Float64Var(&mindist, "mindist", 5, "exclude sources closer than this to the inner skull (mm)")
	fl.BoolVar(&overwrite, "overwrite", false, "replace OUT if it exists")
	return cmd
}

// sphereOrigin parses --sphere: auto fits a sphere to the head-shape
// (else EEG) digitization points, frontal points excluded, as MNE does.
func sphereOrigin(s string, info *fif.Info) (geom.Vec3, error) {
	if s != "auto" {
		v, err := parseFloats(s)
		if err != nil || (len(v) != 3 && len(v) != 4) {
			return geom.Vec3{}, usagef("--sphere %q: expected auto or X,Y,Z[,R] in metres", s)
		}
		return geom.Vec3{v[0], v[1], v[2]}, nil
	}
	pick := func(kinds ...int32) []geom.Vec3 {
		var pts []geom.Vec3
		for _, d := range info.Dig {
			for _, k := range kinds {
				if d.Kind == k && d.CoordFrame == fif.FrameHead {
					pts = append(pts, d.R)
				}
			}
		}
		return pts
	}
	pts := pick(fif.PointExtra)
	if len(pts) == 0 {
		pts = pick(fif.PointExtra, fif.PointEEG)
	}
	pts = geom.ExcludeFrontal(pts)
	if len(pts) < 4 {
		return geom.Vec3{}, fmt.Errorf("--sphere auto: only %d head digitization points (at least 4 needed); give X,Y,Z", len(pts))
	}
	c, _, err := geom.FitSphere(pts)
	if err != nil {
		return geom.Vec3{}, fmt.Errorf("--sphere auto: %w", err)
	}
	return c, nil
}
