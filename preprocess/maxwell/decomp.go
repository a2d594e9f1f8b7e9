package maxwell

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/geom"
)

// decomposition is the SSS basis of the good channels after
// regularization and its pseudo-inverse (MNE's S_decomp and pS_decomp),
// both with the magnetometer scaling folded in so that pS maps data in SI
// units to moments and S maps moments back.
type decomposition struct {
	nIn, nOut int
	reg       []int     // kept moments, internal first (indices into nIn+nOut)
	nUseIn    int       // number of kept internal moments
	S         []float64 // nGood x len(reg)
	pS        []float64 // len(reg) x nGood
	cond      float64   // condition number of the column-normalized basis
}

// fullBasis returns the basis of all MEG channels (rows in MEG order,
// magnetometers multiplied by their scale, fine calibration applied) at
// the head position trans (nil: device frame), row-major
// nMEG x (nIn+nOut).
func (p *Prepared) fullBasis(trans *geom.Transform) []float64 {
	s := p.sens
	nCol := nMoments(p.opt.IntOrder) + nMoments(p.opt.ExtOrder)
	S := sssBasis(p.originHead, p.opt.IntOrder, p.opt.ExtOrder, s.pts.transformed(trans))
	for k, sc := range s.coilScale {
		if sc != 1 {
			row := S[k*nCol : (k+1)*nCol]
			for j := range row {
				row[j] *= sc
			}
		}
	}
	if s.cal != nil {
		// Gradiometer imbalance: point magnetometers (scaled like
		// magnetometers) weighted by the imbalance of each direction.
		for d, pts := range s.cal.gradPts {
			P := sssBasis(p.originHead, p.opt.IntOrder, p.opt.ExtOrder, pts.transformed(trans))
			for g, k := range s.grad {
				w := s.cal.gradImb[d][g] * p.opt.MagScale
				row := S[k*nCol : (k+1)*nCol]
				prow := P[g*nCol : (g+1)*nCol]
				for j := range row {
					row[j] += prow[j] * w
				}
			}
		}
		for m, k := range s.mag {
			row := S[k*nCol : (k+1)*nCol]
			for j := range row {
				row[j] /= s.cal.magCal[m]
			}
		}
	}
	return S
}

// decompose computes the regularized basis of the good channels at the
// head position trans and its pseudo-inverse (MNE's _get_decomp).
func (p *Prepared) decompose(trans *geom.Transform) (*decomposition, error) {
	s := p.sens
	nIn, nOut := nMoments(p.opt.IntOrder), nMoments(p.opt.ExtOrder)
	nCol := nIn + nOut
	full := p.fullBasis(trans)
	for k := range s.meg {
		for _, v := range full[k*nCol : (k+1)*nCol] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("maxwell: channel %s: the SSS basis is not finite (coil location %v at the expansion origin?)", s.names[k], s.info.Chs[s.meg[k]].Loc[:3])
			}
		}
	}
	nGood := len(s.good)
	Sg := make([]float64, nGood*nCol)
	for r, k := range s.good {
		copy(Sg[r*nCol:(r+1)*nCol], full[k*nCol:(k+1)*nCol])
	}
	var inRemove, outRemove []int
	if p.opt.RegularizeIn {
		inRemove, outRemove = regularizeIn(Sg, nGood, nCol, p.opt.IntOrder, p.opt.ExtOrder, s.magOrFine)
	} else {
		outRemove = regularizeOut(p.opt.IntOrder, p.opt.ExtOrder, s.magOrFine)
	}
	d := &decomposition{nIn: nIn, nOut: nOut}
	for j := range nIn {
		if !slices.Contains(inRemove, j) {
			d.reg = append(d.reg, j)
		}
	}
	d.nUseIn = len(d.reg)
	for j := nIn; j < nCol; j++ {
		if !slices.Contains(outRemove, j) {
			d.reg = append(d.reg, j)
		}
	}
	nk := len(d.reg)
	// Column-normalized pseudo-inverse (MNE's _col_norm_pinv).
	X := mat.NewDense(nGood, nk, nil)
	norms := make([]float64, nk)
	for c, j := range d.reg {
		ss := 0.0
		for r := range nGood {
			v := Sg[r*nCol+j]
			ss += v * v
		}
		norms[c] = math.Sqrt(ss)
		for r := range nGood {
			X.Set(r, c, Sg[r*nCol+j]/norms[c])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(X, mat.SVDThin) {
		return nil, fmt.Errorf("maxwell: SVD of the SSS basis did not converge")
	}
	sv := svd.Values(nil)
	d.cond = sv[0] / sv[len(sv)-1]
	if !(sv[len(sv)-1] > 0) {
		d.cond = math.Inf(1)
	}
	var U, V mat.Dense
	svd.UTo(&U)
	svd.VTo(&V)
	// pS = diag(1/norm) V diag(1/s) U^T, then columns times the coil scale.
	Vs := mat.NewDense(nk, nk, nil)
	for i := range nk {
		for j := range nk {
			Vs.Set(i, j, V.At(i, j)/norms[i]/sv[j])
		}
	}
	pS := mat.NewDense(nk, nGood, nil)
	pS.Mul(Vs, U.T())
	d.pS = pS.RawMatrix().Data
	d.S = make([]float64, nGood*nk)
	for r, k := range s.good {
		cs := s.coilScale[k]
		for c, j := range d.reg {
			d.S[r*nk+c] = Sg[r*nCol+j] / cs
		}
		for i := range nk {
			d.pS[i*nGood+r] *= cs
		}
	}
	if d.cond >= 1000 || math.IsNaN(d.cond) {
		msg := fmt.Sprintf("Matrix is badly conditioned: %.0f >= 1000", d.cond)
		switch p.opt.BadCondition {
		case BadConditionError:
			return nil, fmt.Errorf("maxwell: %s (regularize, lower the orders or use bad condition 'warning'/'ignore'): %w", msg, ErrBadCondition)
		case BadConditionWarning:
			p.log.Warn(msg)
		}
	}
	return d, nil
}
