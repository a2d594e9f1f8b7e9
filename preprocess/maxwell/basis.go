package maxwell

import (
	"math"

	"github.com/megflow/megflow/geom"
)

// nMoments is the number of multipole moments of an expansion to the given
// order (degree 0 excluded): (order + 2) * order.
func nMoments(order int) int { return (order + 2) * order }

// momentIndex is the column of the moment of degree l and order m
// (-l <= m <= l) within the internal or external block of the basis.
func momentIndex(l, m int) int { return l*l + l + m - 1 }

// coilPoints are the integration points of a set of coils: positions,
// normals already multiplied by the point weights, and the coil each point
// belongs to (points of one coil are contiguous; start has one entry per
// coil plus the end).
type coilPoints struct {
	r     []geom.Vec3
	wn    []geom.Vec3
	start []int
}

func (c *coilPoints) nCoils() int { return len(c.start) - 1 }

// transformed returns the points moved by t (nil: unchanged).
func (c *coilPoints) transformed(t *geom.Transform) *coilPoints {
	if t == nil {
		return c
	}
	out := &coilPoints{r: make([]geom.Vec3, len(c.r)), wn: make([]geom.Vec3, len(c.wn)), start: c.start}
	for i := range c.r {
		out.r[i] = t.Apply(c.r[i])
		out.wn[i] = t.ApplyDir(c.wn[i])
	}
	return out
}

// sssBasis returns the real vector-spherical-harmonic basis of the coils
// about origin, row-major n_coils x (n_in + n_out): the internal moments of
// degrees 1..intOrder, then the external ones of degrees 1..extOrder, each
// in the order of momentIndex. Every column is the field of a unit moment
// integrated over each coil's points (MNE's _sss_basis, the
// MaxFilter-compatible normalization). No magnetometer scaling.
func sssBasis(origin geom.Vec3, intOrder, extOrder int, pts *coilPoints) []float64 {
	nIn, nOut := nMoments(intOrder), nMoments(extOrder)
	nCol := nIn + nOut
	nCoil := pts.nCoils()
	S := make([]float64, nCoil*nCol)
	maxOrder := max(intOrder, extOrder)
	leg := newLegendre(maxOrder)
	// Per point, the field components of every moment are accumulated into
	// the row of its coil.
	row := make([]float64, nCol)
	for c := range nCoil {
		clear(row)
		for p := pts.start[c]; p < pts.start[c+1]; p++ {
			addPointBasis(row, pts.r[p].Sub(origin), pts.wn[p], intOrder, extOrder, nIn, leg)
		}
		copy(S[c*nCol:(c+1)*nCol], row)
	}
	return S
}

// legendre holds the associated Legendre functions P_l^m(x) of one point
// for l <= order and m <= l+1 (the entry m = l+1 is zero), without the
// Condon-Shortley-free normalization: exactly MNE's _tabular_legendre.
type legendre struct {
	order int
	off   []int     // start of degree l in v
	v     []float64 // P_l^m at off[l]+m
}

func newLegendre(order int) *legendre {
	l := &legendre{order: order, off: make([]int, order+2)}
	n := 0
	for d := 0; d <= order; d++ {
		l.off[d] = n
		n += d + 2
	}
	l.off[order+1] = n
	l.v = make([]float64, n)
	return l
}

func (l *legendre) at(d, m int) float64 { return l.v[l.off[d]+m] }
func (l *legendre) set(d, m int, x float64) {
	l.v[l.off[d]+m] = x
}

// compute fills the table for x = cos(theta).
func (l *legendre) compute(x float64) {
	clear(l.v)
	nind := l.order
	l.set(0, 0, 1)
	pnn := 1.0
	fact := 1.0
	sx2 := math.Sqrt((1 - x) * (1 + x))
	for d := 0; d <= nind; d++ {
		l.set(d, d, pnn)
		pnn *= -fact * sx2
		fact += 2
		if d < nind {
			l.set(d+1, d, x*float64(2*d+1)*l.at(d, d))
		}
		if d >= 2 {
			for m := 0; m < d-1; m++ {
				l.set(d, m, (x*float64(2*d-1)*l.at(d-1, m)-float64(d+m-1)*l.at(d-2, m))/float64(d-m))
			}
		}
	}
}

// addPointBasis adds, for every moment, the field of the moment at the
// point r (relative to the origin) along wn to row.
func addPointBasis(row []float64, r, wn geom.Vec3, intOrder, extOrder, nIn int, leg *legendre) {
	rn := math.Sqrt(r[0]*r[0] + r[1]*r[1] + r[2]*r[2])
	rxy := math.Sqrt(r[0]*r[0] + r[1]*r[1])
	cosPol := r[2] / rn
	sinPol := math.Sqrt(1 - cosPol*cosPol)
	phi := math.Atan2(r[1], r[0])
	zOnly := rxy <= 1e-16
	sinPolNZ := sinPol
	cosAz, sinAz := 0.0, 0.0
	if zOnly {
		sinPolNZ = 1
		cosAz, sinAz = 1, 0
	} else {
		cosAz = r[0] / rxy
		sinAz = r[1] / rxy
	}
	leg.compute(cosPol)
	// Cartesian field along wn of (b_r, b_az, b_pol) in spherical
	// components at this point.
	ex := sinPol*cosAz*wn[0] + sinPol*sinAz*wn[1] + cosPol*wn[2] // radial
	ea := -sinAz*wn[0] + cosAz*wn[1]                             // azimuthal
	ep := cosPol*cosAz*wn[0] + cosPol*sinAz*wn[1] - sinPol*wn[2] // polar
	integ := func(br, baz, bpol float64) float64 { return br*ex + baz*ea + bpol*ep }

	maxOrder := max(intOrder, extOrder)
	rnn1 := 1 / (rn * rn) // r^(l-1) after the update below
	rnn2 := rn            // r^(l+2)
	for d := 0; d <= maxOrder; d++ {
		if d <= extOrder {
			rnn1 *= rn
		}
		if d <= intOrder {
			rnn2 *= rn
		}
		fd := float64(d)
		mult := 2e-7 * math.Sqrt(float64(2*d+1)*math.Pi)
		if d > 0 {
			idx := momentIndex(d, 0)
			if d <= intOrder {
				br := mult * (fd + 1) * leg.at(d, 0) / rnn2
				bpol := -mult * leg.at(d, 1) / rnn2
				row[idx] += integ(br, 0, bpol)
			}
			if d <= extOrder {
				br := -mult * fd * leg.at(d, 0) * rnn1
				bpol := -mult * leg.at(d, 1) * rnn1
				row[nIn+idx] += integ(br, 0, bpol)
			}
		}
		for m := 1; m <= d; m++ {
			fm := float64(m)
			sinO, cosO := math.Sincos(fm * phi)
			mult /= math.Sqrt(float64((d - m + 1) * (d + m)))
			factor := mult * math.Sqrt2
			lm := leg.at(d, m)
			dpol := leg.at(d, m+1) - float64((d+m)*(d-m+1))*leg.at(d, m-1)

			// Real part (order +m).
			idx := momentIndex(d, m)
			rFact := factor * lm * cosO
			azFact := factor * fm * sinO * lm
			polFact := -factor * dpol * cosO
			if d <= intOrder {
				br := (fd + 1) * rFact / rnn2
				baz := 0.0
				if !zOnly {
					baz = azFact / (sinPolNZ * rnn2)
				}
				bpol := polFact / (2 * rnn2)
				row[idx] += integ(br, baz, bpol)
			}
			if d <= extOrder {
				br := -fd * rFact * rnn1
				baz := 0.0
				if !zOnly {
					baz = azFact * rnn1 / sinPolNZ
				}
				bpol := polFact * rnn1 / 2
				row[nIn+idx] += integ(br, baz, bpol)
			}

			// Imaginary part (order -m).
			idx = momentIndex(d, -m)
			rFact = factor * lm * sinO
			azFact = factor * fm * cosO * lm
			polFact = factor * dpol * sinO
			if d <= intOrder {
				br := -(fd + 1) * rFact / rnn2
				baz := 0.0
				if !zOnly {
					baz = azFact / (sinPolNZ * rnn2)
				}
				bpol := polFact / (2 * rnn2)
				row[idx] += integ(br, baz, bpol)
			}
			if d <= extOrder {
				br := fd * rFact * rnn1
				baz := 0.0
				if !zOnly {
					baz = azFact * rnn1 / sinPolNZ
				}
				bpol := polFact * rnn1 / 2
				row[nIn+idx] += integ(br, baz, bpol)
			}
		}
	}
}
