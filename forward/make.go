package forward

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
	"github.com/megflow/megflow/internal/backend"
)

// MakeForward computes the MEG forward solution (mne.make_forward_solution
// with meg=True, eeg=False) for the MEG channels of info (device
// coordinates, placed in the head with info.DevHeadT), the source spaces
// src (MRI coordinates, as from SetupSourceSpace or fif.ReadSourceSpaces),
// the MRI <-> head transformation trans and a BEM solution (or
// opt.Sphere). The result has free orientation, in head coordinates; see
// fif.Forward for the layout and FixedOrientation for surface normals.
// The computation runs in parallel over sources.
func MakeForward(info *fif.Info, trans *fif.Transform, src []*fif.SourceSpace, bem *fif.BEM, opt Options) (*fif.Forward, error) {
	mriHead, err := MRIHeadTransform(trans)
	if err != nil {
		return nil, err
	}
	headMRI, err := mriHead.Inverse()
	if err != nil {
		return nil, err
	}
	if info.DevHeadT == nil {
		return nil, fmt.Errorf("forward: the measurement info has no device -> head transformation")
	}
	if info.DevHeadT.From != fif.FrameDevice || info.DevHeadT.To != fif.FrameHead {
		return nil, fmt.Errorf("forward: the info's dev_head_t maps frame %d to %d, expected device -> head", info.DevHeadT.From, info.DevHeadT.To)
	}
	var chs []fif.Channel
	for _, c := range info.Chs {
		if c.Kind == fif.KindMEG {
			chs = append(chs, c)
		}
	}
	if len(chs) == 0 {
		return nil, fmt.Errorf("forward: the measurement info has no MEG channels")
	}
	cs, err := megCoils(chs, toGeom(info.DevHeadT))
	if err != nil {
		return nil, err
	}
	if opt.Sphere == nil && bem == nil {
		return nil, fmt.Errorf("forward: neither a BEM solution nor a sphere model given")
	}
	if len(src) == 0 {
		return nil, fmt.Errorf("forward: no source spaces")
	}
	// Work on copies of the source spaces.
	out := make([]*fif.SourceSpace, len(src))
	for i, s := range src {
		if s.CoordFrame != fif.FrameMRI {
			return nil, fmt.Errorf("forward: source space %d is in frame %d, expected MRI (%d)", s.ID, s.CoordFrame, fif.FrameMRI)
		}
		c := *s
		c.Inuse = append([]int32(nil), s.Inuse...)
		out[i] = &c
	}
	hm := toGeom(headMRI)
	if opt.Sphere == nil {
		inner := bem.Surfs[len(bem.Surfs)-1]
		im, err := bemMesh(inner)
		if err != nil {
			return nil, err
		}
		if inner.CoordFrame != fif.FrameMRI {
			return nil, fmt.Errorf("forward: the BEM is in frame %d, expected MRI", inner.CoordFrame)
		}
		it := newInsideTester(im)
		if err := filterSources(out, it, opt.MinDistMM); err != nil {
			return nil, err
		}
		ct := it
		if len(bem.Surfs) == 3 {
			check, err := bemMesh(bem.Surfs[0])
			if err != nil {
				return nil, err
			}
			ct = newInsideTester(check)
		}
		var inside []string
		for i, c := range cs.cent {
			if ct.inside(hm.Apply(c)) {
				inside = append(inside, chs[i].Name)
			}
		}
		if len(inside) > 0 {
			return nil, fmt.Errorf("forward: %d MEG sensors are inside the %s (e.g. %s): check the -trans.fif and the info's dev_head_t", len(inside), bemSurfName[bem.Surfs[0].ID], inside[0])
		}
	}
	// Sources in head coordinates.
	mh := toGeom(mriHead)
	fwd := &fif.Forward{SourceOri: fif.FreeOri, CoordFrame: fif.FrameHead, Chs: chs, Bads: info.Bads,
		NChan: len(chs), MRIHeadT: mriHead, DevHeadT: info.DevHeadT, MeasID: info.MeasID, Src: out}
	var rrHead []geom.Vec3
	for _, s := range out {
		s.CoordFrame = fif.FrameHead
		rr := make([][3]float64, len(s.Rr))
		nn := make([][3]float64, len(s.NN))
		for v := range s.Rr {
			rr[v] = mh.Apply(s.Rr[v])
			nn[v] = mh.ApplyDir(s.NN[v])
		}
		s.Rr, s.NN = rr, nn
		for v, u := range s.Inuse {
			if u != 0 {
				fwd.SourceRR = append(fwd.SourceRR, rr[v])
				fwd.SourceNN = append(fwd.SourceNN, nn[v])
				rrHead = append(rrHead, rr[v])
			}
		}
	}
	fwd.NSource = len(rrHead)
	if fwd.NSource == 0 {
		return nil, fmt.Errorf("forward: no sources left after excluding those outside the inner skull or within %g mm of it", opt.MinDistMM)
	}
	// Gain: channels x 3*nsrc, row-major, filled in place.
	nch, ncol := fwd.NChan, 3*fwd.NSource
	fwd.Gain = make([]float64, nch*ncol)
	if opt.Sphere != nil {
		sphereField(fwd.Gain, rrHead, cs, opt.Sphere.R0)
	} else {
		// The products below are spread over goroutines, each on a
		// single-threaded BLAS call, so that OpenBLAS's threads do not
		// spin between calls while the goroutines compute.
		restore := backend.SingleThreaded()
		defer restore()
		prep, err := prepareBEM(bem, cs.transformed(hm))
		if err != nil {
			return nil, err
		}
		bemField(fwd.Gain, rrHead, hm, prep, cs)
	}
	return fwd, nil
}

// filterSources removes the sources outside the inner skull (interior
// test it) and those closer than minDistMM to its vertices (MNE's
// _filter_source_spaces). As in MNE, points nearer to the surface's centre
// of mass than its nearest vertex count as inside without the interior
// test, points farther than its farthest vertex as outside.
func filterSources(src []*fif.SourceSpace, it *insideTester, minDistMM float64) error {
	inner := it.m
	limit := minDistMM / 1000
	var cm geom.Vec3
	for _, r := range inner.Rr {
		cm = cm.Add(r)
	}
	cm = cm.Scale(1 / float64(len(inner.Rr)))
	innerR, outerR := math.Inf(1), 0.0
	for _, r := range inner.Rr {
		d := r.Sub(cm).Norm()
		innerR, outerR = math.Min(innerR, d), math.Max(outerR, d)
	}
	for _, s := range src {
		vert := s.Vertno()
		drop := make([]bool, len(vert))
		parallelFor(len(vert), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				p := geom.Vec3(s.Rr[vert[k]])
				dc := p.Sub(cm).Norm()
				switch {
				case dc < innerR:
				case dc > outerR || !it.inside(p):
					drop[k] = true
					continue
				}
				if limit > 0 && dc >= innerR-limit {
					// The squared distances are never NaN: a plain
					// comparison instead of math.Min's special cases.
					best := math.Inf(1)
					for _, r := range inner.Rr {
						d0, d1, d2 := p[0]-r[0], p[1]-r[1], p[2]-r[2]
						if d := d0*d0 + d1*d1 + d2*d2; d < best {
							best = d
						}
					}
					if math.Sqrt(best) < limit {
						drop[k] = true
					}
				}
			}
		})
		for k, v := range vert {
			if drop[k] {
				s.Inuse[v] = 0
			}
		}
	}
	return nil
}

// bemField fills gain (nch x 3*nsrc, row-major) with the BEM forward
// field: the potential of unit dipoles at every BEM vertex, through the
// coil solution, plus the primary field, times μ0/4π (MNE's
// _bem_pot_or_field).
func bemField(gain []float64, rrHead []geom.Vec3, headMRI geom.Transform, prep *bemPrep, cs *coilSet) {
	nch, nb, ncol := cs.nch, prep.nbem, 3*len(rrHead)
	rot := headMRI.Rotation() // rows: head axes in MRI; v_head_j = sum_i d_i R[i][j]
	// Blocks of sources, each taken from potentials to gain columns by
	// one goroutine, whose GEMM (a single-threaded one with OpenBLAS, see
	// MakeForward) writes straight into the gain matrix: no phase where
	// a core waits for the other, no transposed copy of the result.
	const block = 128
	nblk := (len(rrHead) + block - 1) / block
	bufs := make([][]float64, workers(nblk))
	parallelForWorker(nblk, func(w, lo, hi int) {
		if bufs[w] == nil {
			bufs[w] = make([]float64, 3*min(block, len(rrHead))*nb)
		}
		v0 := bufs[w]
		for bi := lo; bi < hi; bi++ {
			s0, s1 := bi*block, min(bi*block+block, len(rrHead))
			for s := s0; s < s1; s++ {
				q := headMRI.Apply(rrHead[s])
				row := v0[3*(s-s0)*nb:][:3*nb]
				for v := range prep.rr {
					r := &prep.rr[v]
					d0, d1, d2 := r[0]-q[0], r[1]-q[1], r[2]-q[2]
					n2 := d0*d0 + d1*d1 + d2*d2
					n3 := n2 * math.Sqrt(n2)
					if n3 == 0 {
						n3 = 1
					}
					in3 := 1 / n3
					row[v] = (d0*rot[0][0] + d1*rot[1][0] + d2*rot[2][0]) * in3
					row[nb+v] = (d0*rot[0][1] + d1*rot[1][1] + d2*rot[2][1]) * in3
					row[2*nb+v] = (d0*rot[0][2] + d1*rot[1][2] + d2*rot[2][2]) * in3
				}
			}
			m := 3 * (s1 - s0)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1,
				blas64.General{Rows: nch, Cols: nb, Stride: nb, Data: prep.solCoil},
				blas64.General{Rows: m, Cols: nb, Stride: nb, Data: v0[:m*nb]},
				0, blas64.General{Rows: nch, Cols: m, Stride: ncol, Data: gain[3*s0:]})
			primaryField(gain, ncol, s0, rrHead[s0:s1], cs)
			for c := range nch {
				o := gain[c*ncol+3*s0:][:m]
				for i := range o {
					o[i] *= magFactor
				}
			}
		}
	})
}

// sphereField fills gain (nch x 3*nsrc, row-major) with the MEG field of
// unit dipoles in a spherical conductor centred at r0 (Sarvas 1987; MNE's
// _do_sphere_field).
func sphereField(gain []float64, rrHead []geom.Vec3, cs *coilSet, r0 geom.Vec3) {
	ncol := 3 * len(rrHead)
	parallelFor(len(rrHead), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			rr := rrHead[s].Sub(r0)
			if rr.Norm() <= 1e-10 {
				continue
			}
			for i, rm := range cs.r {
				pos := rm.Sub(r0)
				c := cs.n[i]
				av := pos.Sub(rr)
				a := av.Norm()
				r := pos.Norm()
				rr0 := pos.Dot(rr)
				ar := r*r - rr0
				ar0 := ar / a
				F := a * (r*a + ar)
				gr := a*a/r + ar0 + 2*(a+r)
				g0 := a + 2*r + ar0
				re := pos.Dot(c)
				r0e := rr.Dot(c)
				g := (g0*r0e - gr*re) / (F * F)
				v1 := rr.Cross(c)
				v2 := rr.Cross(pos)
				w := cs.w[i]
				o := gain[int(cs.ch[i])*ncol+3*s:][:3]
				for j := range 3 {
					o[j] += w * (v1[j]/F + v2[j]*g) * magFactor
				}
			}
		}
	})
}

// FixedOrientation returns a copy of a free-orientation forward solution
// with one column per source along its surface normal (head frame), as
// convert_forward_solution(surf_ori=True, force_fixed=True) gives for
// source spaces without patch statistics.
func FixedOrientation(f *fif.Forward) (*fif.Forward, error) {
	if f.SourceOri != fif.FreeOri {
		return nil, fmt.Errorf("forward: the solution already has fixed orientation")
	}
	o := *f
	o.SourceOri = fif.FixedOri
	ncol := 3 * f.NSource
	o.Gain = make([]float64, f.NChan*f.NSource)
	for c := range f.NChan {
		row := f.Gain[c*ncol:][:ncol]
		for s, n := range f.SourceNN {
			o.Gain[c*f.NSource+s] = row[3*s]*n[0] + row[3*s+1]*n[1] + row[3*s+2]*n[2]
		}
	}
	return &o, nil
}
