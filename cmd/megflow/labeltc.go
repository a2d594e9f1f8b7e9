package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/h5"
	"github.com/megflow/megflow/internal/version"
)

func init() { addSubcommand(newLabelTCCmd) }

const labelTCLong = `Extract parcel (label) time courses from source estimates, as MNE's
extract_label_time_course: --mode mean, mean_flip (sign flip from the
source normals, MNE's label_sign_flip), pca_flip or max.

STC.h5 is a source-estimate file of megflow's inverse stage: data
(n_epochs x n_sources x n_times, float32), vertices_lh, vertices_rh, times
and, when present, per-epoch condition and event_id. The source normals
are the vertex normals of <subjects-dir>/<subject>/surf/{lh,rh}.white at
those vertices (what MNE's source space 'nn' holds for a surface source
space), or, with --src SRC.fif or --inv INV.fif, the normals stored in the
surface source spaces of that file (a -src.fif, or the source spaces kept
in an -inv.fif or -fwd.fif file; MNE's label_sign_flip uses exactly
these). Every source of STC.h5 must be a source (vertex in use) of the
file's source spaces; a -src.fif made before the mindist exclusion of the
forward model holds more sources, which is fine. The labels always come
from <subjects-dir>/<subject>/label.

OUT.h5 holds data (n_epochs x n_labels x n_times, float32), label_names,
hemi, times, label_of_source, n_sources (per label), condition and
event_id (copied), and the attributes mode, parc, subject, input, normals
(where the source normals came from) and megflow_version.`

const labelTCExample = `  megflow label-tc --stc sub-01-dspm.h5 --subject fsaverage5 --subjects-dir subjects --parc aparc --mode mean_flip sub-01-tc.h5
  megflow label-tc --stc sub-01-dspm.h5 --subject fsaverage5 --subjects-dir subjects --parc aparc_sub --mode pca_flip tc.h5
  megflow label-tc --stc sub-01-dspm.h5 --inv sub-01-inv.fif --subject fsaverage5 --subjects-dir subjects --mode mean_flip sub-01-tc.h5`

type labelTCOpts struct {
	stc, src, inv, subject, subjectsDir, parc, mode string
}

func addAtlasFlags(f *pflag.FlagSet, subject, subjectsDir, parc *string) {
	f.StringVar(subject, "subject", "", "FreeSurfer subject (required)")
	f.StringVar(subjectsDir, "subjects-dir", "", "FreeSurfer SUBJECTS_DIR (required)")
	f.StringVar(parc, "parc", "aparc", "parcellation (label/{lh,rh}.<parc>.annot)")
}

// addSourceFlags adds the source-estimate input flags shared by label-tc
// and rdm.
func addSourceFlags(f *pflag.FlagSet, stc, src, inv *string) {
	f.StringVar(stc, "stc", "", "source estimates (HDF5, required)")
	f.StringVar(src, "src", "", "source space (-src.fif) giving the source normals (default: the white surfaces)")
	f.StringVar(inv, "inv", "", "inverse operator (-inv.fif) whose source spaces give the source normals (alternative to --src)")
}

func newLabelTCCmd(a *app) *cobra.Command {
	var o labelTCOpts
	cmd := &cobra.Command{
		Use:     "label-tc --stc STC.h5 --subject S --subjects-dir D [--src SRC.fif | --inv INV.fif] OUT.h5",
		Short:   "Parcel time courses (mean, mean_flip, pca_flip, max) from source estimates",
		Long:    labelTCLong,
		Example: labelTCExample,
		Args:    exactArgs("OUT.h5"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.labelTC(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	addSourceFlags(f, &o.stc, &o.src, &o.inv)
	addAtlasFlags(f, &o.subject, &o.subjectsDir, &o.parc)
	f.StringVar(&o.mode, "mode", "mean_flip", "mean, mean_flip, pca_flip or max")
	return cmd
}

// stcFile is a source-estimate HDF5 file in memory.
type stcFile struct {
	vertno    [2][]int
	times     []float64
	data      []float32 // nEp × nSrc × nT
	nEp, nSrc int
	nT        int
	condition []string
	eventID   []int64
}

func readStcVertices(path string) ([2][]int, error) {
	var v [2][]int
	f, err := h5.Open(path)
	if err != nil {
		return v, err
	}
	defer f.Close()
	for h, name := range []string{"vertices_lh", "vertices_rh"} {
		x, _, err := f.ReadInt64(name)
		if err != nil {
			return v, err
		}
		for _, e := range x {
			v[h] = append(v[h], int(e))
		}
	}
	return v, nil
}

// readStc reads a whole source-estimate file. (The data are read at once:
// internal/h5 has no hyperslab reader yet.)
func readStc(path string) (*stcFile, error) {
	s := &stcFile{}
	var err error
	if s.vertno, err = readStcVertices(path); err != nil {
		return nil, err
	}
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if s.times, _, err = f.ReadFloat64("times"); err != nil {
		return nil, err
	}
	d, dims, err := f.ReadFloat64("data")
	if err != nil {
		return nil, err
	}
	switch len(dims) {
	case 2:
		s.nEp, s.nSrc, s.nT = 1, dims[0], dims[1]
	case 3:
		s.nEp, s.nSrc, s.nT = dims[0], dims[1], dims[2]
	default:
		return nil, fmt.Errorf("%s: data has shape %v; want n_epochs x n_sources x n_times (vector estimates are not supported)", path, dims)
	}
	if s.nSrc != len(s.vertno[0])+len(s.vertno[1]) || s.nT != len(s.times) {
		return nil, fmt.Errorf("%s: data %v does not match %d+%d vertices and %d times", path, dims, len(s.vertno[0]), len(s.vertno[1]), len(s.times))
	}
	s.data = make([]float32, len(d))
	for i, v := range d {
		s.data[i] = float32(v)
	}
	if f.Exists("condition") {
		if s.condition, err = f.ReadStrings("condition"); err != nil {
			return nil, err
		}
		if len(s.condition) != s.nEp {
			return nil, fmt.Errorf("%s: %d conditions for %d epochs", path, len(s.condition), s.nEp)
		}
	}
	if f.Exists("event_id") {
		if s.eventID, _, err = f.ReadInt64("event_id"); err != nil {
			return nil, err
		}
		if len(s.eventID) != s.nEp {
			return nil, fmt.Errorf("%s: %d event ids for %d epochs", path, len(s.eventID), s.nEp)
		}
	}
	return s, nil
}

// surfaceSources returns the sources at vertno with the vertex normals of
// the subject's white surfaces.
func surfaceSources(subjectsDir, subject string, vertno [2][]int) (*atlas.Sources, error) {
	white, err := atlas.ReadSurfaces(subjectsDir, subject, "white")
	if err != nil {
		return nil, err
	}
	src := &atlas.Sources{Vertno: vertno}
	for h := range 2 {
		m, err := geom.NewMesh(white[h].Rr, white[h].Tris)
		if err != nil {
			return nil, err
		}
		for _, v := range vertno[h] {
			if v < 0 || v >= len(m.NN) {
				return nil, fmt.Errorf("source vertex %d outside %s.white (%d vertices)", v, atlas.Hemis[h], len(m.NN))
			}
			src.NN[h] = append(src.NN[h], m.NN[v])
		}
	}
	return src, nil
}

func (o *labelTCOpts) check() error {
	if o.stc == "" || o.subject == "" || o.subjectsDir == "" {
		return usagef("--stc, --subject and --subjects-dir are required")
	}
	if o.src != "" && o.inv != "" {
		return usagef("give either --src or --inv, not both")
	}
	return nil
}

// sources returns the sources at vertno (the vertices of a source-estimate
// file) with their normals: from the source spaces of --src or --inv when
// given, else from the white surfaces.
func (o *labelTCOpts) sources(vertno [2][]int) (*atlas.Sources, error) {
	switch {
	case o.src != "":
		return fifSources(o.src, vertno)
	case o.inv != "":
		return fifSources(o.inv, vertno)
	}
	return surfaceSources(o.subjectsDir, o.subject, vertno)
}

// normalsFrom describes where the source normals come from (the
// "normals" attribute of the outputs).
func (o *labelTCOpts) normalsFrom() string {
	switch {
	case o.src != "":
		return "source space " + filepath.Base(o.src)
	case o.inv != "":
		return "inverse operator " + filepath.Base(o.inv)
	}
	return o.subject + " white surfaces"
}

// fifSources returns the sources at vertno with the normals of the
// surface source spaces stored in path (-src.fif, -fwd.fif or -inv.fif):
// the left hemisphere is the space with id 101 (else the first surface
// space), the right one id 102 (else the second). Every vertex of vertno
// must be in use in its space. The normals are in the file's coordinate
// frame (MRI in -src.fif files); the sign flips and everything else the
// extraction needs from them are unchanged by a rigid rotation, so the
// frame does not matter.
func fifSources(path string, vertno [2][]int) (*atlas.Sources, error) {
	hemi, err := surfaceHemispheres(path)
	if err != nil {
		return nil, err
	}
	src := &atlas.Sources{Vertno: vertno}
	for h, s := range hemi {
		for _, v := range vertno[h] {
			if v < 0 || v >= s.NP() || s.Inuse[v] == 0 {
				return nil, fmt.Errorf("%s: vertex %d of the source estimates (%s) is not a source of the file's %s source space (%d sources of %d vertices): source estimates and source space do not match",
					path, v, atlas.Hemis[h], atlas.Hemis[h], s.NUse(), s.NP())
			}
			src.NN[h] = append(src.NN[h], geom.Vec3(s.NN[v]))
		}
	}
	return src, nil
}

// fifVertno returns the vertices in use in the two surface source spaces
// of path (left, right; as fifSources orders them).
func fifVertno(path string) ([2][]int, error) {
	var vertno [2][]int
	hemi, err := surfaceHemispheres(path)
	if err != nil {
		return vertno, err
	}
	for h, s := range hemi {
		for v, u := range s.Inuse {
			if u != 0 {
				vertno[h] = append(vertno[h], v)
			}
		}
	}
	return vertno, nil
}

// surfaceHemispheres reads the surface source spaces of path: the left
// hemisphere is the space with id 101 (else the first), the right one id
// 102 (else the second).
func surfaceHemispheres(path string) ([2]*fif.SourceSpace, error) {
	spaces, err := fif.ReadSourceSpaces(path)
	if err != nil {
		return [2]*fif.SourceSpace{}, err
	}
	var surf []*fif.SourceSpace
	for _, s := range spaces {
		if s.Type == fif.SpaceSurface {
			surf = append(surf, s)
		}
	}
	if len(surf) != 2 {
		return [2]*fif.SourceSpace{}, fmt.Errorf("%s: %d surface source spaces; want 2 (left and right hemisphere)", path, len(surf))
	}
	hemi := [2]*fif.SourceSpace{surf[0], surf[1]}
	switch {
	case surf[0].ID == fif.SourceSpaceRH && surf[1].ID == fif.SourceSpaceLH:
		hemi = [2]*fif.SourceSpace{surf[1], surf[0]}
	case surf[0].ID == surf[1].ID && surf[0].ID >= 0:
		return [2]*fif.SourceSpace{}, fmt.Errorf("%s: both surface source spaces have id %d", path, surf[0].ID)
	}
	return hemi, nil
}

func (a *app) labelTC(ctx context.Context, out string, o labelTCOpts) error {
	if err := o.check(); err != nil {
		return err
	}
	mode, err := atlas.ParseMode(o.mode)
	if err != nil {
		return usagef("--mode: %v", err)
	}
	labels, err := atlas.ReadLabels(o.subjectsDir, o.subject, o.parc)
	if err != nil {
		return err
	}
	stc, err := readStc(o.stc)
	if err != nil {
		return err
	}
	src, err := o.sources(stc.vertno)
	if err != nil {
		return err
	}
	tc, ext, err := extractAll(ctx, stc, labels, src, mode)
	if err != nil {
		return err
	}
	w, err := h5.Create(out)
	if err != nil {
		return err
	}
	nL := len(labels)
	names, hemis := make([]string, nL), make([]string, nL)
	nsrc := make([]int64, nL)
	for i, l := range labels {
		names[i], hemis[i], nsrc[i] = l.Name, l.Hemi, int64(len(ext.Rows[i]))
	}
	lofs := atlas.LabelOfSource(labels, stc.vertno)
	lo := make([]int64, len(lofs))
	for i, v := range lofs {
		lo[i] = int64(v)
	}
	steps := []func() error{
		func() error {
			return w.WriteFloat32("data", tc, []int{stc.nEp, nL, stc.nT}, h5.Chunks(1, nL, stc.nT), h5.Shuffle(), h5.Gzip(4))
		},
		func() error { return w.WriteFixedStrings("label_names", names) },
		func() error { return w.WriteFixedStrings("hemi", hemis) },
		func() error { return w.WriteFloat64("times", stc.times, nil) },
		func() error { return w.WriteInt64("label_of_source", lo, nil) },
		func() error { return w.WriteInt64("n_sources", nsrc, nil) },
		func() error { return w.SetAttrString("/", "mode", mode.String()) },
		func() error { return w.SetAttrString("/", "parc", o.parc) },
		func() error { return w.SetAttrString("/", "subject", o.subject) },
		func() error { return w.SetAttrString("/", "input", filepath.Base(o.stc)) },
		func() error { return w.SetAttrString("/", "normals", o.normalsFrom()) },
		func() error { return w.SetAttrString("/", "megflow_version", version.String()) },
	}
	if stc.condition != nil {
		steps = append(steps, func() error { return w.WriteStrings("condition", stc.condition) })
	}
	if stc.eventID != nil {
		steps = append(steps, func() error { return w.WriteInt64("event_id", stc.eventID, nil) })
	}
	for _, s := range steps {
		if err := s(); err != nil {
			w.Abort()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	a.logger().Info("label time courses", "labels", nL, "epochs", stc.nEp, "mode", mode.String(), "out", out)
	return nil
}

// extractAll returns the label time courses of every epoch (nEp × nLabels
// × nT, float32).
func extractAll(ctx context.Context, stc *stcFile, labels []atlas.Label, src *atlas.Sources, mode atlas.Mode) ([]float32, *atlas.Extractor, error) {
	ext, err := atlas.NewExtractor(labels, src, mode, true)
	if err != nil {
		return nil, nil, err
	}
	per := stc.nSrc * stc.nT
	nL := len(labels)
	tc := make([]float32, stc.nEp*nL*stc.nT)
	ep := make([]float64, per)
	for e := 0; e < stc.nEp; e++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for i, v := range stc.data[e*per : (e+1)*per] {
			ep[i] = float64(v)
		}
		x, err := ext.Extract(ep, stc.nT)
		if err != nil {
			return nil, nil, err
		}
		for i, v := range x {
			tc[e*nL*stc.nT+i] = float32(v)
		}
	}
	return tc, ext, nil
}
