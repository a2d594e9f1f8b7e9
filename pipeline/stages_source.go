package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/megflow/megflow/atlas"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/fif/tree"
	"github.com/megflow/megflow/forward"
	"github.com/megflow/megflow/inverse"
)

// Anatomy and source-level stages: source space, BEM, parcellation,
// forward model and inverse operator.

const (
	algoSrc     = 1
	algoBEM     = 1
	algoParc    = 1
	algoForward = 1
	algoInverse = 1
)

// surfaceInputs are the FreeSurfer files of a subject's source space.
func (r *subjectRun) surfaceInputs(names ...string) []string {
	c := &r.cfg.Config
	var out []string
	for _, n := range names {
		for _, h := range atlas.Hemis {
			out = append(out, filepath.Join(c.SubjectsDir, c.FSSubject(r.sub), "surf", h+"."+n))
		}
	}
	return out
}

func (r *subjectRun) srcStep() *step {
	c := &r.cfg.Config
	sc := c.SourceSpace
	out := c.srcPath(r.sub)
	return &step{Stage: "source_space", Label: "source space " + sc.Spacing, Algo: algoSrc,
		Inputs: r.surfaceInputs(sc.Surface, "sphere"), Outputs: []string{out},
		Params: struct {
			Subject string `json:"subject"`
			Spacing string `json:"spacing"`
			Surface string `json:"surface"`
		}{c.FSSubject(r.sub), sc.Spacing, sc.Surface},
		Run: func(ctx context.Context, e *env) error {
			src, err := forward.SetupSourceSpace(c.SubjectsDir, c.FSSubject(r.sub), forward.SourceSpaceOptions{Spacing: sc.Spacing, Surface: sc.Surface})
			if err != nil {
				return err
			}
			e.log.Info("source space", "spacing", sc.Spacing, "lh", src[0].NUse(), "rh", src[1].NUse())
			return fif.WriteSourceSpaces(out, src)
		}}
}

func (r *subjectRun) bemStep() *step {
	c := &r.cfg.Config
	out := c.bemPath(r.sub)
	surfs := []string{"inner_skull"}
	if len(c.BEM.Conductivity) == 3 {
		surfs = append(surfs, "outer_skull", "outer_skin")
	}
	var in []string
	for _, s := range surfs {
		in = append(in, filepath.Join(c.SubjectsDir, c.FSSubject(r.sub), "bem", s+".surf"))
	}
	return &step{Stage: "bem", Label: fmt.Sprintf("bem ico%d", c.BEM.Ico), Algo: algoBEM, Inputs: in, Outputs: []string{out},
		Params: struct {
			Subject string `json:"subject"`
			BEMConfig
		}{c.FSSubject(r.sub), c.BEM},
		Run: func(ctx context.Context, e *env) error {
			b, err := forward.MakeBEMModel(c.SubjectsDir, c.FSSubject(r.sub), c.BEM.Ico, c.BEM.Conductivity)
			if err != nil {
				return err
			}
			if err := forward.MakeBEMSolution(b); err != nil {
				return err
			}
			return fif.WriteBEM(out, b)
		}}
}

// parcStep builds the configured parcellation by subdividing
// parcellation.build_from when the subjects dir lacks it; nil when it
// exists there.
func (r *subjectRun) parcStep() *step {
	c := &r.cfg.Config
	if c.parcAnnotPath(r.sub, 0) != "" && c.parcAnnotPath(r.sub, 1) != "" {
		return nil
	}
	pc := c.Parcellation
	fs := c.FSSubject(r.sub)
	in := r.surfaceInputs("white", "sphere")
	for _, h := range atlas.Hemis {
		in = append(in, atlas.AnnotPath(c.SubjectsDir, fs, h, pc.BuildFrom))
	}
	outs := []string{c.builtAnnotPath(r.sub, 0), c.builtAnnotPath(r.sub, 1)}
	return &step{Stage: "parcellation", Label: fmt.Sprintf("parcellation %s (%d parcels from %s)", pc.Parc, pc.NParcels, pc.BuildFrom),
		Algo: algoParc, Inputs: in, Outputs: outs,
		Params: struct {
			Subject   string `json:"subject"`
			BuildFrom string `json:"build_from"`
			NParcels  int    `json:"n_parcels"`
		}{fs, pc.BuildFrom, pc.NParcels},
		Run: func(ctx context.Context, e *env) error {
			white, err := atlas.ReadSurfaces(c.SubjectsDir, fs, "white")
			if err != nil {
				return err
			}
			sphere, err := atlas.ReadSurfaces(c.SubjectsDir, fs, "sphere")
			if err != nil {
				return err
			}
			var annots [2]*atlas.Annot
			var surfs [2]atlas.HemiSurfaces
			for h := range 2 {
				if annots[h], err = atlas.ReadAnnot(in[4+h]); err != nil {
					return err
				}
				surfs[h] = atlas.HemiSurfaces{White: white[h], Sphere: sphere[h]}
			}
			sub, st, err := atlas.Subdivide(annots, surfs, atlas.SubdivideOptions{NParcels: pc.NParcels})
			if err != nil {
				return err
			}
			e.log.Info("parcellation", "parcels", st.NParcels, "area_cv", fmt.Sprintf("%.3f", st.AreaCV))
			for h := range 2 {
				if err := atlas.WriteAnnot(outs[h], sub[h]); err != nil {
					return err
				}
			}
			return nil
		}}
}

// parcAnnots are the annotation files the source stages read.
func (r *subjectRun) parcAnnots() []string {
	c := &r.cfg.Config
	var out []string
	for h := range 2 {
		if p := c.parcAnnotPath(r.sub, h); p != "" {
			out = append(out, p)
		} else {
			out = append(out, c.builtAnnotPath(r.sub, h))
		}
	}
	return out
}

// readParcels reads the parcellation as labels.
func readParcels(annots []string) ([]atlas.Label, error) {
	var labels []atlas.Label
	for h, p := range annots {
		a, err := atlas.ReadAnnot(p)
		if err != nil {
			return nil, err
		}
		labels = append(labels, atlas.LabelsFromAnnot(a, atlas.Hemis[h])...)
	}
	atlas.SortLabels(labels)
	return labels, nil
}

func (r *subjectRun) forwardStep() *step {
	c := &r.cfg.Config
	// The sensors of run 1: its Maxwell-filtered file has the channels,
	// (no) bads and head position of the filtered one and exists earlier,
	// so the forward can run beside the filter.
	info := c.filtPath(r.sub, c.Runs[0])
	if c.Maxwell.Enabled {
		info = c.sssPath(r.sub, c.Runs[0])
	}
	in := []string{info, c.TransPath(r.sub), c.srcPath(r.sub), c.bemPath(r.sub)}
	out := c.fwdPath(r.sub)
	return &step{Stage: "forward", Label: "forward", Algo: algoForward, Inputs: in, Outputs: []string{out},
		Params: struct {
			MinDist float64 `json:"mindist"`
		}{c.SourceSpace.MinDist},
		Run: func(ctx context.Context, e *env) error {
			inf, err := readInfo(info)
			if err != nil {
				return err
			}
			trans, err := fif.ReadTrans(in[1])
			if err != nil {
				return err
			}
			src, err := fif.ReadSourceSpaces(in[2])
			if err != nil {
				return err
			}
			bem, err := fif.ReadBEM(in[3])
			if err != nil {
				return err
			}
			fwd, err := forward.MakeForward(inf, trans, src, bem, forward.Options{MinDistMM: c.SourceSpace.MinDist})
			if err != nil {
				return err
			}
			e.log.Info("forward", "sources", fwd.NSource, "channels", fwd.NChan)
			return fif.WriteForward(out, fwd)
		}}
}

func readInfo(path string) (*fif.Info, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, _, err := fif.ReadInfo(f)
	return info, err
}

func (r *subjectRun) inverseStep() *step {
	c := &r.cfg.Config
	in := []string{c.fwdPath(r.sub), c.covPath(r.sub), c.epochsPath(r.sub)}
	out := c.invPath(r.sub)
	return &step{Stage: "inverse", Label: "inverse operator", Algo: algoInverse, Inputs: in, Outputs: []string{out},
		Params: struct {
			Loose float64 `json:"loose"`
			Depth float64 `json:"depth"`
			Rank  string  `json:"rank"`
		}{c.Inverse.Loose, c.Inverse.Depth, c.Inverse.Rank},
		Run: func(ctx context.Context, e *env) error {
			ff, err := fif.ReadForward(in[0])
			if err != nil {
				return err
			}
			fwd, err := inverse.ForwardFromFIF(ff)
			if err != nil {
				return err
			}
			cov, err := fif.ReadCov(in[1])
			if err != nil {
				return err
			}
			// The epochs file's measurement info (channels, bads,
			// projectors, Maxwell filtering record), without its data.
			info, err := readInfo(in[2])
			if err != nil {
				return err
			}
			loose, depth := c.Inverse.Loose, c.Inverse.Depth
			rank, err := inverse.ParseRank(c.Inverse.Rank)
			if err != nil {
				return err
			}
			// Nothing runs beside the operator's SVD (every other step
			// needs it or is done): the BLAS may use every core.
			restore := e.allCores()
			op, err := inverse.MakeOperator(info, fwd, cov, inverse.Options{Loose: &loose, Depth: &depth, Fixed: loose == 0, Rank: rank, Log: e.log})
			restore()
			if err != nil {
				return err
			}
			rec, err := op.ToFIF()
			if err != nil {
				return err
			}
			e.log.Info("inverse", "channels", len(op.Names), "sources", op.NSource, "rank", op.Noise.Rank)
			return fif.WriteInverse(out, rec)
		}}
}
