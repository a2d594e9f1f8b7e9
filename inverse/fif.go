package inverse

import (
	"fmt"
	"math"
	"slices"

	"github.com/megflow/megflow/fif"
)

// ForwardFromFIF adapts a free-orientation forward solution read by
// fif.ReadForward (or made by package forward).
func ForwardFromFIF(f *fif.Forward) (*Forward, error) {
	if f.SourceOri != fif.FreeOri {
		return nil, fmt.Errorf("forward solution has fixed orientation: an inverse operator needs a free-orientation forward solution")
	}
	fw := &Forward{Names: f.ChNames(), Gain: f.Gain, NSource: f.NSource, CoordFrame: f.CoordFrame,
		MRIHeadT: f.MRIHeadT}
	// Positions and normals in the frame of the solution (fif.ReadForward
	// already gives them so; a forward built in memory may not).
	for _, s := range f.Src {
		s2, err := s.InFrame(f.CoordFrame, f.MRIHeadT)
		if err != nil {
			return nil, err
		}
		fw.Src = append(fw.Src, s2)
		var vv []int
		for _, v := range s2.Vertno() {
			vv = append(vv, int(v))
			fw.SourceRR = append(fw.SourceRR, s2.Rr[v][:]...)
			fw.SourceNN = append(fw.SourceNN, s2.NN[v][:]...)
		}
		fw.Vertices = append(fw.Vertices, vv)
	}
	if len(fw.SourceRR) != 3*f.NSource {
		return nil, fmt.Errorf("forward solution: source spaces hold %d sources, the solution %d", len(fw.SourceRR)/3, f.NSource)
	}
	return fw, nil
}

// diagCov is a diagonal covariance record of an inverse operator.
func diagCov(kind int32, v []float64) *fif.Cov {
	if v == nil {
		return nil
	}
	return &fif.Cov{Kind: kind, Diag: true, DiagValues: slices.Clone(v), NFree: 1}
}

// ToFIF returns the -inv.fif record of op (write it with fif.WriteInverse).
// The operator must have been made from a forward solution with its
// source spaces (Forward.Src).
func (op *Operator) ToFIF() (*fif.InverseOperator, error) {
	if len(op.Src) == 0 {
		return nil, fmt.Errorf("inverse operator: the source spaces are needed to write -inv.fif (make the operator from a forward solution read with fif.ReadForward)")
	}
	if op.MRIHeadT == nil {
		return nil, fmt.Errorf("inverse operator: the MRI -> head transformation is needed to write -inv.fif")
	}
	n := len(op.Names)
	ns := len(op.Sing)
	nc := op.Noise.NoiseCovRecord(op.NoiseCov)
	ori := fif.FreeOri
	if op.SourceOri == OriFixed {
		ori = fif.FixedOri
	}
	inv := &fif.InverseOperator{Methods: fif.MNEMEG, CoordFrame: op.CoordFrame, SourceOri: ori,
		NSource: op.NSource, Units: fif.UnitAM, SourceNN: slices.Clone(op.SourceNN), Sing: slices.Clone(op.Sing),
		EigenFields: &fif.NamedMatrix{NRow: ns, NCol: n, ColNames: slices.Clone(op.Names), Data: op.EigenFields},
		EigenLeads:  &fif.NamedMatrix{NRow: op.NComp * op.NSource, NCol: ns, Data: op.EigenLeads},
		NoiseCov:    nc, SourceCov: diagCov(fif.CovKindSource, op.SourceCov),
		DepthPrior: diagCov(fif.CovKindDepth, op.DepthPrior), OrientPrior: diagCov(fif.CovKindOrient, op.OrientPrior),
		Src: op.Src, Projs: op.Projs, Chs: op.Info.Chs, DevHeadT: op.Info.DevHeadT, MRIHeadT: op.MRIHeadT,
		MeasID: op.Info.MeasID}
	return inv, nil
}

// NoiseCovRecord returns the noise covariance record c with the
// whitener's eigendecomposition (as MNE stores it in inverse operators).
func (w *Whitener) NoiseCovRecord(c fif.Cov) *fif.Cov {
	n := len(w.Names)
	c.Kind = fif.CovKindNoise
	c.Names = slices.Clone(w.Names)
	c.Data = slices.Clone(w.Data)
	c.Diag, c.DiagValues = false, nil
	c.Eig = slices.Clone(w.Eig)
	c.EigVec = slices.Clone(w.EigVec)
	c.EigVecDims = [2]int{n, n}
	return &c
}

// OperatorFromFIF converts an -inv.fif record (megflow's or MNE's) into an
// operator that can be prepared and applied.
func OperatorFromFIF(inv *fif.InverseOperator) (*Operator, error) {
	names := inv.EigenFields.ColNames
	n := len(names)
	if n == 0 || inv.EigenFields.NCol != n {
		return nil, fmt.Errorf("inverse operator: eigen fields without channel names")
	}
	op := &Operator{Names: slices.Clone(names), NSource: inv.NSource, CoordFrame: inv.CoordFrame,
		MRIHeadT: inv.MRIHeadT, Src: inv.Src, Projs: inv.Projs, NAve: 1, Sing: inv.Sing,
		EigenFields: inv.EigenFields.Data, SourceNN: inv.SourceNN}
	switch inv.SourceOri {
	case fif.FreeOri:
		op.SourceOri, op.NComp = OriFree, 3
	case fif.FixedOri:
		op.SourceOri, op.NComp = OriFixed, 1
	default:
		return nil, fmt.Errorf("inverse operator: unknown source orientation %d", inv.SourceOri)
	}
	nrow := op.NComp * op.NSource
	if inv.EigenLeads.NRow != nrow || inv.EigenLeads.NCol != len(inv.Sing) {
		return nil, fmt.Errorf("inverse operator: eigen leads are %dx%d, want %dx%d", inv.EigenLeads.NRow, inv.EigenLeads.NCol, nrow, len(inv.Sing))
	}
	op.EigenLeads = inv.EigenLeads.Data
	if inv.EigenLeadsWeighted {
		return nil, fmt.Errorf("inverse operator: weighted eigen leads are not supported")
	}
	diag := func(c *fif.Cov) []float64 {
		if c == nil {
			return nil
		}
		if c.DiagValues != nil {
			return slices.Clone(c.DiagValues)
		}
		d := c.Dim()
		v := make([]float64, d)
		for i := range v {
			v[i] = c.Data[i*d+i]
		}
		return v
	}
	op.SourceCov, op.DepthPrior, op.OrientPrior = diag(inv.SourceCov), diag(inv.DepthPrior), diag(inv.OrientPrior)
	if len(op.SourceCov) != nrow {
		return nil, fmt.Errorf("inverse operator: source covariance has %d values, want %d", len(op.SourceCov), nrow)
	}
	switch {
	case op.SourceOri == OriFixed:
		op.Loose = 0
	case op.OrientPrior != nil:
		op.Loose = op.OrientPrior[0]
	default:
		op.Loose = 1
	}
	nc := inv.NoiseCov
	if nc.Eig == nil || nc.EigVec == nil || nc.EigVecDims != [2]int{n, n} || len(nc.Eig) != n {
		return nil, fmt.Errorf("inverse operator: the noise covariance lacks its eigendecomposition for %d channels", n)
	}
	w := &Whitener{Names: slices.Clone(names), Data: nc.Data, Eig: nc.Eig, EigVec: nc.EigVec, W: make([]float64, n*n)}
	for i := range n {
		if w.Eig[i] > 0 {
			w.Rank++
			s := 1 / math.Sqrt(w.Eig[i])
			for j := range n {
				w.W[i*n+j] = s * w.EigVec[i*n+j]
			}
		}
	}
	proj, nproj, err := covProjector(inv.Projs, names, nil)
	if err != nil {
		return nil, err
	}
	w.Proj, w.NProj = proj, nproj
	op.Noise = w
	op.NoiseCov = *nc
	byName := map[string]fif.Channel{}
	for _, c := range inv.Chs {
		byName[c.Name] = c
	}
	info := &fif.Info{DevHeadT: inv.DevHeadT, MeasID: inv.MeasID}
	for _, nm := range names {
		c, ok := byName[nm]
		if !ok {
			return nil, fmt.Errorf("inverse operator: channel %s has no channel information", nm)
		}
		info.Chs = append(info.Chs, c)
	}
	op.Info = info
	for _, s := range inv.Src {
		var vv []int
		for _, v := range s.Vertno() {
			vv = append(vv, int(v))
			op.SourceRR = append(op.SourceRR, s.Rr[v][:]...)
			op.SurfNN = append(op.SurfNN, s.NN[v][:]...)
		}
		op.Vertices = append(op.Vertices, vv)
	}
	return op, nil
}
