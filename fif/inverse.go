package fif

import (
	"fmt"

	"github.com/megflow/megflow/fif/tag"
	"github.com/megflow/megflow/fif/tree"
)

// InverseOperator is a minimum-norm inverse operator as stored in an
// -inv.fif file (MNE's InverseOperator as written by
// write_inverse_operator). Package inverse converts it from and to its
// working form.
//
//   - Sing are the singular values of the whitened, weighted gain;
//     EigenFields is Uᵀ (len(Sing) x NChan, ColNames = channel names) and
//     EigenLeads V (NComp·NSource x len(Sing)), both row-major in memory
//     (the file stores EigenLeads transposed, as MNE does), in single
//     precision on disk.
//   - SourceNN is the orientation of every component (NComp·NSource x 3).
//   - NoiseCov holds the eigendecomposition (Eig, EigVec) used to whiten;
//     SourceCov, DepthPrior and OrientPrior are diagonal (DiagValues).
type InverseOperator struct {
	Methods            int32 // MNEMEG
	CoordFrame         int32
	SourceOri          int32 // FreeOri or FixedOri
	NSource            int
	Units              int32 // UnitAM
	SourceNN           []float64
	Sing               []float64
	EigenFields        *NamedMatrix
	EigenLeads         *NamedMatrix
	EigenLeadsWeighted bool
	NoiseCov           *Cov
	SourceCov          *Cov
	DepthPrior         *Cov
	OrientPrior        *Cov
	Src                []*SourceSpace
	Projs              []Projector
	// Parent measurement and MRI information.
	Chs      []Channel
	Bads     []string
	DevHeadT *Transform
	MRIHeadT *Transform
	MeasFile string
	MRIFile  string
	MeasID   *tag.ID
}

func (inv *InverseOperator) check() error {
	if inv.EigenFields == nil || inv.EigenLeads == nil || inv.NoiseCov == nil || inv.SourceCov == nil {
		return fmt.Errorf("inverse operator lacks eigen fields, eigen leads or covariances")
	}
	if inv.MRIHeadT == nil {
		return fmt.Errorf("inverse operator needs an MRI -> head transformation")
	}
	if len(inv.Src) == 0 {
		return fmt.Errorf("inverse operator needs its source spaces")
	}
	if len(inv.SourceNN)%3 != 0 || len(inv.Sing) != inv.EigenFields.NRow || inv.EigenLeads.NCol != len(inv.Sing) {
		return fmt.Errorf("inverse operator: inconsistent sizes (%d singular values, fields %dx%d, leads %dx%d)",
			len(inv.Sing), inv.EigenFields.NRow, inv.EigenFields.NCol, inv.EigenLeads.NRow, inv.EigenLeads.NCol)
	}
	return nil
}

// WriteInverse writes inv as an -inv.fif file that
// mne.minimum_norm.read_inverse_operator reads. The file appears only once
// completely written.
func WriteInverse(path string, inv *InverseOperator) error {
	if err := inv.check(); err != nil {
		return fmt.Errorf("fif: %s: %w", path, err)
	}
	var projOps []tagOp
	if len(inv.Projs) > 0 {
		var err error
		if projOps, err = covEncodeProjs(inv.Projs); err != nil {
			return fmt.Errorf("fif: %s: %w", path, err)
		}
	}
	w, err := tree.Create(path)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		w.Abort()
		return err
	}
	w.StartBlock(tag.BlockMNE)
	w.StartBlock(tag.BlockMNEEnv)
	w.IDTag(tag.BlockID, tree.NewID())
	w.EndBlock(tag.BlockMNEEnv)

	if err := writeParentMeas(w, parentMeas{file: inv.MeasFile, id: inv.MeasID, devHead: inv.DevHeadT, chs: inv.Chs, bads: inv.Bads}); err != nil {
		return fail(err)
	}

	w.StartBlock(tag.BlockMNEParentMRIFile)
	w.String(tag.MNEFileName, inv.MRIFile)
	if err := WriteCoordTrans(w, inv.MRIHeadT); err != nil {
		return fail(err)
	}
	w.EndBlock(tag.BlockMNEParentMRIFile)

	covReplay(w, projOps)
	for _, s := range inv.Src {
		if err := WriteSourceSpaceBlock(w, s); err != nil {
			return fail(err)
		}
	}

	w.StartBlock(tag.BlockMNEInverseSolution)
	methods := inv.Methods
	if methods == 0 {
		methods = MNEMEG
	}
	w.Int32s(tag.MNEIncludedMethods, methods)
	w.Int32s(tag.MNECoordFrame, inv.CoordFrame)
	units := inv.Units
	if units == 0 {
		units = UnitAM
	}
	w.Int32s(tag.MNEInverseSourceUnit, units)
	w.Int32s(tag.MNESourceOrientation, inv.SourceOri)
	w.Int32s(tag.MNESourceSpaceNPoints, int32(inv.NSource))
	w.Int32s(tag.NChan, int32(inv.EigenFields.NCol))
	w.Matrix(tag.MNEInverseSourceOrientations, tag.Float, []int{len(inv.SourceNN) / 3, 3}, inv.SourceNN)
	sing := make([]float32, len(inv.Sing))
	for i, v := range inv.Sing {
		sing[i] = float32(v)
	}
	w.Float32s(tag.MNEInverseSing, sing...)
	for _, c := range []*Cov{inv.NoiseCov, inv.SourceCov, inv.DepthPrior, inv.OrientPrior} {
		if c == nil {
			continue
		}
		if err := WriteCovBlock(w, c); err != nil {
			return fail(err)
		}
	}
	if err := WriteNamedMatrix(w, tag.MNEInverseFields, inv.EigenFields); err != nil {
		return fail(err)
	}
	kind := tag.MNEInverseLeads
	if inv.EigenLeadsWeighted {
		kind = tag.MNEInverseLeadsWeighted
	}
	if err := WriteNamedMatrix(w, kind, inv.EigenLeads.Transpose()); err != nil {
		return fail(err)
	}
	w.EndBlock(tag.BlockMNEInverseSolution)
	w.EndBlock(tag.BlockMNE)
	return w.Close()
}

// ReadInverse reads an -inv.fif file written by megflow or MNE.
func ReadInverse(path string) (*InverseOperator, error) {
	f, err := tree.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	inv, err := readInverse(f)
	if err != nil {
		return nil, fmt.Errorf("fif: %s: %w", path, err)
	}
	return inv, nil
}

func readInverse(f *tree.File) (*InverseOperator, error) {
	blocks := f.Root.Blocks(tag.BlockMNEInverseSolution)
	if len(blocks) == 0 {
		return nil, fmt.Errorf("no inverse solution (FIFFB_MNE_INVERSE_SOLUTION)")
	}
	b := blocks[0]
	inv := &InverseOperator{}
	ints := []struct {
		kind int32
		dst  *int32
		what string
	}{
		{tag.MNEIncludedMethods, &inv.Methods, "included methods"},
		{tag.MNESourceOrientation, &inv.SourceOri, "source orientation"},
		{tag.MNECoordFrame, &inv.CoordFrame, "coordinate frame"},
	}
	for _, it := range ints {
		v, err := findInt(f, b, it.kind, -1)
		if err != nil {
			return nil, err
		}
		if v < 0 {
			return nil, fmt.Errorf("inverse operator without its %s", it.what)
		}
		*it.dst = int32(v)
	}
	ns, err := findInt(f, b, tag.MNESourceSpaceNPoints, -1)
	if err != nil {
		return nil, err
	}
	if ns <= 0 {
		return nil, fmt.Errorf("inverse operator without its number of sources")
	}
	inv.NSource = int(ns)
	u, err := findInt(f, b, tag.MNEInverseSourceUnit, int64(UnitAM))
	if err != nil {
		return nil, err
	}
	inv.Units = int32(u)
	e, ok := b.Find(tag.MNEInverseSourceOrientations)
	if !ok {
		return nil, fmt.Errorf("inverse operator without source orientations")
	}
	m, err := f.Matrix(e)
	if err != nil {
		return nil, err
	}
	inv.SourceNN = m.Data
	e, ok = b.Find(tag.MNEInverseSing)
	if !ok {
		return nil, fmt.Errorf("inverse operator without singular values")
	}
	if inv.Sing, err = f.Floats(e); err != nil {
		return nil, err
	}
	lead, ok, err := ReadNamedMatrix(f, b, tag.MNEInverseLeads)
	if err != nil {
		return nil, err
	}
	if !ok {
		inv.EigenLeadsWeighted = true
		if lead, ok, err = ReadNamedMatrix(f, b, tag.MNEInverseLeadsWeighted); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("inverse operator without eigen leads")
		}
	}
	inv.EigenLeads = lead.Transpose()
	if inv.EigenFields, ok, err = ReadNamedMatrix(f, b, tag.MNEInverseFields); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("inverse operator without eigen fields")
	}
	covs := []struct {
		kind  int32
		dst   **Cov
		dense bool
	}{
		{CovKindNoise, &inv.NoiseCov, true}, {CovKindSource, &inv.SourceCov, false},
		{CovKindDepth, &inv.DepthPrior, false}, {CovKindOrient, &inv.OrientPrior, false},
	}
	for _, c := range covs {
		v, ok, err := ReadCovNode(f, b, c.kind, c.dense)
		if err != nil {
			return nil, err
		}
		if ok {
			*c.dst = v
		}
	}
	if inv.NoiseCov == nil || inv.SourceCov == nil {
		return nil, fmt.Errorf("inverse operator without its noise or source covariance")
	}
	if inv.Src, err = ReadSourceSpaceBlocks(f, f.Root); err != nil {
		return nil, err
	}
	if pb := f.Root.Blocks(tag.BlockMNEParentMRIFile); len(pb) > 0 {
		if e, ok := pb[0].Find(tag.CoordTrans); ok {
			r, err := f.CoordTrans(e)
			if err != nil {
				return nil, err
			}
			inv.MRIHeadT = TransformFromRec(r)
		}
		if e, ok := pb[0].Find(tag.MNEFileName); ok {
			inv.MRIFile, _ = f.String(e)
		}
	}
	if err := readInverseMeas(f, inv); err != nil {
		return nil, err
	}
	// The projectors are the FIFFB_PROJ block directly in FIFFB_MNE (the
	// noise covariance may hold its own).
	if mne := f.Root.Blocks(tag.BlockMNE); len(mne) > 0 && mne[0].Child(tag.BlockProj) != nil {
		if inv.Projs, err = covReadProjs(f, mne[0]); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// readInverseMeas reads the parent measurement block: channels, bads and
// the device -> head transformation.
func readInverseMeas(f *tree.File, inv *InverseOperator) error {
	pm, err := readParentMeas(f)
	if err != nil {
		return err
	}
	inv.Chs, inv.Bads, inv.DevHeadT, inv.MeasFile, inv.MeasID = pm.chs, pm.bads, pm.devHead, pm.file, pm.id
	return nil
}
