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
		// The field coefficient of vertex v at a point r with weighted
		// normal wn sums, over the triangles k around v,
		// ((r-rv) x tn_k)·wn ta_k / (3|r-rv|^3); the triangle terms share
		// r-rv, so they fold into one per vertex with the area-weighted
		// normal sum a_v = sum_k ta_k tn_k.
		an := make([]geom.Vec3, nv)
		for k, t := range m.Tris {
			w := m.TriNN[k].Scale(m.TriArea[k])
			for _, v := range t {
				an[v] = an[v].Add(w)
			}
		}
		parallelFor(cs.nch, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				row := coeff[c*nb+off:][:nv]
				for _, i := range ptsOf[c] {
					r := cs.r[i]
					wn := cs.n[i].Scale(cs.w[i] * fieldMult / 3)
					for v, rv := range m.Rr {
						d0, d1, d2 := r[0]-rv[0], r[1]-rv[1], r[2]-rv[2]
						d2s := d0*d0 + d1*d1 + d2*d2
						a := &an[v]
						// (d x a)·wn
						x := (d1*a[2]-d2*a[1])*wn[0] + (d2*a[0]-d0*a[2])*wn[1] + (d0*a[1]-d1*a[0])*wn[2]
						row[v] += x / (d2s * math.Sqrt(d2s))
					}
				}
			}
		})
		off += nv
	}
	// solCoil = coeff · solution, columns scaled by mults: one column
	// block per goroutine, each packing only its part of the solution
	// (single-threaded GEMMs with OpenBLAS, see MakeForward).
	p.solCoil = make([]float64, cs.nch*nb)
	nw := workers(nb)
	part := (nb + nw - 1) / nw
	parallelFor(nw, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			c0, c1 := k*part, min(k*part+part, nb)
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
				blas64.General{Rows: cs.nch, Cols: nb, Stride: nb, Data: coeff},
				blas64.General{Rows: nb, Cols: c1 - c0, Stride: nb, Data: b.Solution[c0:]},
				0, blas64.General{Rows: cs.nch, Cols: c1 - c0, Stride: nb, Data: p.solCoil[c0:]})
		}
	})
	for c := range cs.nch {
		row := p.solCoil[c*nb:][:nb]
		for v := range row {
			row[v] *= mults[v]
		}
	}
	return p, nil
}

// primaryField adds the infinite-medium field of unit dipoles at rr (head
// frame) along x, y, z to columns 3*s0... of gain (nch x ncol, row-major).
func primaryField(gain []float64, ncol, s0 int, rr []geom.Vec3, cs *coilSet) {
	np := len(cs.r)
	for s, q := range rr {
		col := 3 * (s0 + s)
		// The integration points of a channel are contiguous: sum them
		// before adding to the channel.
		for i := 0; i < np; {
			ch := cs.ch[i]
			var bx, by, bz float64
			for ; i < np && cs.ch[i] == ch; i++ {
				r := &cs.r[i]
				d0, d1, d2 := r[0]-q[0], r[1]-q[1], r[2]-q[2]
				dd := d0*d0 + d1*d1 + d2*d2
				d3 := dd * math.Sqrt(dd)
				if d3 == 0 {
					d3 = 1
				}
				c := &cs.n[i]
				f := cs.w[i] / d3
				bx += (d1*c[2] - d2*c[1]) * f
				by += (d2*c[0] - d0*c[2]) * f
				bz += (d0*c[1] - d1*c[0]) * f
			}
			o := gain[int(ch)*ncol+col:][:3]
			o[0] += bx
			o[1] += by
			o[2] += bz
		}
	}
}
