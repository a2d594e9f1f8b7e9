package forward

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/coils"
)

// magFactor is μ0/(4π) in T·m/A.
const magFactor = 1e-7

// Options controls MakeForward.
type Options struct {
	// MinDistMM excludes sources closer than this (mm) to the inner skull
	// (MNE's mindist); sources outside the inner skull are always excluded
	// for a BEM.
	MinDistMM float64
	// Sphere, when not nil, selects the spherical head model (Sarvas
	// formula) instead of the BEM; BEM may then be nil.
	Sphere *Sphere
}

// Sphere is a spherical conductor for MEG: only its origin matters
// (head coordinates, m).
type Sphere struct {
	R0 geom.Vec3
}

// coilSet is the integration points of the MEG channels: positions,
// normals and weights, with the channel each point belongs to.
type coilSet struct {
	r, n []geom.Vec3
	w    []float64
	ch   []int32
	cent []geom.Vec3 // coil centres
	nch  int
}

// megCoils places the 'accurate' coil definitions of the MEG channels of
// chs in head coordinates (device -> head with devHead).
func megCoils(chs []fif.Channel, devHead geom.Transform) (*coilSet, error) {
	cs := &coilSet{}
	for _, c := range chs {
		def, err := coils.Lookup(c.CoilType, coils.AccuracyAccurate)
		if err != nil {
			return nil, fmt.Errorf("forward: channel %s: %w", c.Name, err)
		}
		t := devHead.Mul(geom.CoilTransform(c.Loc))
		r, n := def.Place(t)
		for i, p := range def.Points {
			cs.r = append(cs.r, r[i])
			cs.n = append(cs.n, n[i])
			cs.w = append(cs.w, p.W)
			cs.ch = append(cs.ch, int32(cs.nch))
		}
		cs.cent = append(cs.cent, t.Translation())
		cs.nch++
	}
	return cs, nil
}

func (cs *coilSet) transformed(t geom.Transform) *coilSet {
	o := &coilSet{w: cs.w, ch: cs.ch, nch: cs.nch, r: make([]geom.Vec3, len(cs.r)), n: make([]geom.Vec3, len(cs.n)), cent: make([]geom.Vec3, len(cs.cent))}
	for i := range cs.r {
		o.r[i] = t.Apply(cs.r[i])
		o.n[i] = t.ApplyDir(cs.n[i])
	}
	for i := range cs.cent {
		o.cent[i] = t.Apply(cs.cent[i])
	}
	return o
}

func toGeom(t *fif.Transform) geom.Transform { return geom.Transform(t.M) }

// MRIHeadTransform returns the MRI -> head transformation from a
// -trans.fif transformation in either direction; any other pair of frames
// is an error.
func MRIHeadTransform(t *fif.Transform) (*fif.Transform, error) {
	switch {
	case t == nil:
		return nil, fmt.Errorf("forward: no MRI <-> head transformation")
	case t.From == fif.FrameMRI && t.To == fif.FrameHead:
		return t, nil
	case t.From == fif.FrameHead && t.To == fif.FrameMRI:
		return t.Inverse()
	}
	return nil, fmt.Errorf("forward: the transformation maps frame %d to %d; expected MRI (%d) <-> head (%d) (a -trans.fif from coregistration)", t.From, t.To, fif.FrameMRI, fif.FrameHead)
}

// bemPrep is a BEM solution ready for field computations: the BEM vertex
// positions (MRI frame) and, for each MEG channel, the potential-to-field
// coefficients folded with the solution (nch x nbem, row-major).
type bemPrep struct {
	rr      []geom.Vec3
	solCoil []float64
	nbem    int
}

// prepareBEM composes the field computation matrix for the coils (MRI
// frame): the linear field coefficients of every BEM triangle at every
// integration point, times the BEM solution, times the source multipliers
// (MNE's _bem_specify_coils).
func prepareBEM(b *fif.BEM, cs *coilSet) (*bemPrep, error) {
	if b.Solution == nil || b.Approx != fif.BEMApproxLinear {
		return nil, fmt.Errorf("forward: the BEM has no linear-collocation solution (make one with megflow bem)")
	}
	nb := b.NSol()
	p := &bemPrep{nbem: nb}
	sigma := []float64{0}
	for _, s := range b.Surfs {
		sigma = append(sigma, s.Sigma)
	}
	coeff := make([]float64, cs.nch*nb)
	mults := make([]float64, nb)
	off := 0
	for si, s := range b.Surfs {
		m, err := bemMesh(s)
		if err != nil {
			return nil, err
		}
		for _, r := range s.Rr {
			p.rr = append(p.rr, r)
		}
		fieldMult := sigma[si+1] - sigma[si]
		sourceMult := 2 / (sigma[si+1] + sigma[si])
		for v := range s.Rr {
			mults[off+v] = sourceMult / (4 * math.Pi)
		}
		// Parallel over channels: each owns its row of coeff.
		ptsOf := make([][]int, cs.nch)
		for i, c := range cs.ch {
			ptsOf[c] = append(ptsOf[c], i)
		}
		nv := len(s.Rr)
		parallelFor(cs.nch, func(lo, hi int) {
			den := make([]float64, nv)
			for c := lo; c < hi; c++ {
				row := coeff[c*nb+off:][:nv]
				for _, i := range ptsOf[c] {
					r, wn := cs.r[i], cs.n[i].Scale(cs.w[i])
					for v := range nv {
						d := r.Sub(m.Rr[v])
						d2 := d.Dot(d)
						den[v] = 3 * d2 * math.Sqrt(d2)
					}
					for k, t := range m.Tris {
						tn, ta := m.TriNN[k], m.TriArea[k]
						for _, v := range t {
							d := r.Sub(m.Rr[v])
							x := d.Cross(tn).Dot(wn)
							row[v] += fieldMult * x * ta / den[v]
						}
					}
				}
			}
		})
		off += nv
	}
	// solCoil = coeff · solution, columns scaled by mults.
	p.solCoil = make([]float64, cs.nch*nb)
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: cs.nch, Cols: nb, Stride: nb, Data: coeff},
		blas64.General{Rows: nb, Cols: nb, Stride: nb, Data: b.Solution},
		0, blas64.General{Rows: cs.nch, Cols: nb, Stride: nb, Data: p.solCoil})
	for c := range cs.nch {
		row := p.solCoil[c*nb:][:nb]
		for v := range row {
			row[v] *= mults[v]
		}
	}
	return p, nil
}

// primaryField adds the infinite-medium field of unit dipoles at rr (head
// frame) along x, y, z to out (3*len(rr) x nch, row-major).
func primaryField(rr []geom.Vec3, cs *coilSet, out []float64) {
	nch := cs.nch
	for s, q := range rr {
		for i, r := range cs.r {
			d := r.Sub(q)
			d2 := d.Dot(d)
			d3 := d2 * math.Sqrt(d2)
			if d3 == 0 {
				d3 = 1
			}
			c := cs.n[i]
			f := cs.w[i] / d3
			ch := int(cs.ch[i])
			out[(3*s)*nch+ch] += (d[1]*c[2] - d[2]*c[1]) * f
			out[(3*s+1)*nch+ch] += (d[2]*c[0] - d[0]*c[2]) * f
			out[(3*s+2)*nch+ch] += (d[0]*c[1] - d[1]*c[0]) * f
		}
	}
}
