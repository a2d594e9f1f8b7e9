package forward

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/geom"
)

// linPotCoeff assembles the linear-collocation coefficient matrix of the
// surfaces (rows: vertices where the potential is taken; columns: vertices
// of the source surface), auto-elements corrected.
func linPotCoeff(meshes []*geom.Mesh) *mat.Dense {
	off := []int{0}
	for _, m := range meshes {
		off = append(off, off[len(off)-1]+len(m.Rr))
	}
	n := off[len(off)-1]
	coeff := mat.NewDense(n, n, nil)
	data := coeff.RawMatrix().Data
	for s1, m1 := range meshes {
		for s2, m2 := range meshes {
			same := s1 == s2
			me := newMeshEdges(m2)
			tris := linPotTris(m2, me)
			nv2 := len(m2.Rr)
			parallelFor(len(m1.Rr), func(lo, hi int) {
				vl := make([]vecLen, nv2)
				ed := make([]edgeTerms, len(me.a))
				ts := make([]triTerms, len(tris))
				for j := lo; j < hi; j++ {
					row := data[(off[s1]+j)*n+off[s2]:][:nv2]
					// Scalars rather than geom.Vec3 methods: the compiler
					// copies the arrays through the stack for those.
					px, py, pz := m1.Rr[j][0], m1.Rr[j][1], m1.Rr[j][2]
					for v := range m2.Rr {
						r := &m2.Rr[v]
						dx, dy, dz := r[0]-px, r[1]-py, r[2]-pz
						vl[v] = vecLen{geom.Vec3{dx, dy, dz}, math.Sqrt(dx*dx + dy*dy + dz*dz)}
					}
					me.terms(vl, ed)
					skip := int32(-1)
					if same {
						skip = int32(j)
					}
					linPotRow(row, vl, ed, tris, ts, skip)
					if same {
						correctAutoElement(row, j, m1)
					}
				}
			})
		}
	}
	return coeff
}

// vecLen is a vector from the field point to a vertex and its length.
type vecLen struct {
	v geom.Vec3
	l float64
}

// edgeTerms are the field point's terms of an edge a->b: the dot product
// of the vectors to its ends, va·vb, and beta, the integral of 1/|r - p|
// along it divided by its length (Mosher et al. 1999). Both are the same
// for either direction of the edge, so they are computed once for the two
// triangles that share it.
type edgeTerms struct {
	dot, beta float64
}

// meshEdges lists the edges of a closed mesh once each (a triangle and its
// neighbour traverse a shared edge in opposite directions): end vertices,
// unit vector a->b, reciprocal length, and each triangle's edges
// (1->2, 2->3, 3->1).
type meshEdges struct {
	a, b   []int32
	e      []geom.Vec3
	invLen []float64
	tri    [][3]int32
}

func newMeshEdges(m *geom.Mesh) *meshEdges {
	me := &meshEdges{tri: make([][3]int32, len(m.Tris))}
	index := make(map[[2]int32]int32, 3*len(m.Tris)/2)
	for k, t := range m.Tris {
		for i := range 3 {
			a, b := t[i], t[(i+1)%3]
			key := [2]int32{min(a, b), max(a, b)}
			q, ok := index[key]
			if !ok {
				q = int32(len(me.a))
				index[key] = q
				e := m.Rr[b].Sub(m.Rr[a])
				s := e.Norm()
				me.a = append(me.a, a)
				me.b = append(me.b, b)
				me.e = append(me.e, e.Scale(1/s))
				me.invLen = append(me.invLen, 1/s)
			}
			me.tri[k][i] = q
		}
	}
	return me
}

// terms fills ed with the edge terms given the vectors vl from the field
// point p to the vertices. beta is log((la + va·e)/(lb + vb·e))/len for
// the edge a->b with unit vector e; (l + v·e)(l - v·e) is the squared
// distance of p to the edge's line at both ends, so the reverse direction
// gives the same value, and the direction where neither logarithm
// argument suffers cancellation is used.
func (me *meshEdges) terms(vl []vecLen, ed []edgeTerms) {
	for q := range ed {
		va, vb, e := &vl[me.a[q]], &vl[me.b[q]], &me.e[q]
		sa := va.v[0]*e[0] + va.v[1]*e[1] + va.v[2]*e[2]
		sb := vb.v[0]*e[0] + vb.v[1]*e[1] + vb.v[2]*e[2]
		t := &ed[q]
		if sa+sb >= 0 {
			t.beta = math.Log((va.l+sa)/(vb.l+sb)) * me.invLen[q]
		} else {
			t.beta = math.Log((vb.l-sb)/(va.l-sa)) * me.invLen[q]
		}
		t.dot = va.v[0]*vb.v[0] + va.v[1]*vb.v[1] + va.v[2]*vb.v[2]
	}
}

// linPotTri is the part of a triangle's linear potential coefficients
// (Mosher et al. 1999; MNE's _lin_pot_coeff) that does not depend on the
// field point. With d1, d2, d3 the vectors from the field point to the
// vertices r1, r2, r3, n the unit normal, A the area, and the edge vectors
// E1 = r3 - r2, E2 = r1 - r3, E3 = r2 - r1 (edge i opposite vertex i),
// the coefficient of vertex i, added to the row (MNE's omega with the sign
// of the matrix), is
//
//	solid·(d_{i+1}·m_i) - triple·(f1 g_i1 + f2 g_i2)
//
// (indices cyclic), where triple = (d1 x d2)·d3 = d1·N, N = E3 x (r3 - r1),
// solid = atan2(triple, ...) is half the solid angle, f1 = beta3 - beta1
// and f2 = beta1 - beta2 come from the edge integrals, and the constants
// are m_i = (E_i x n)/A and (g_i1, g_i2) = (E_i·E2, -E_i·E1)/(2A)^2.
// These are MNE's expressions with the cross and dot products of the d's
// that do not depend on the point rewritten through the edge vectors:
// (d2 x d3)·n = d2·(E1 x n), and Σ f_i d_i = f1 E2 - f2 E1 since the
// three f_i sum to zero. Besides halving the arithmetic per triangle, this
// keeps the rounding of the long d's out of terms that cancel.
type linPotTri struct {
	v, e [3]int32
	nrm  geom.Vec3 // N
	m    [3]geom.Vec3
	g    [3][2]float64
}

func linPotTris(m *geom.Mesh, me *meshEdges) []linPotTri {
	out := make([]linPotTri, len(m.Tris))
	for k, t := range m.Tris {
		r1, r2, r3 := m.Rr[t[0]], m.Rr[t[1]], m.Rr[t[2]]
		e := [3]geom.Vec3{r3.Sub(r2), r1.Sub(r3), r2.Sub(r1)}
		n := m.TriNN[k]
		area := m.TriArea[k]
		n2 := 1 / (4 * area * area)
		o := &out[k]
		o.v = t
		o.e = me.tri[k]
		o.nrm = e[2].Cross(r3.Sub(r1))
		for i := range 3 {
			o.m[i] = e[i].Cross(n).Scale(1 / area)
			o.g[i] = [2]float64{e[i].Dot(e[1]) * n2, -e[i].Dot(e[0]) * n2}
		}
	}
	return out
}

// linPotRow adds the coefficients of the field point with vectors vl
// to the vertices and edge terms ed from row, skipping the triangles of
// vertex skip (the auto-elements, filled by correctAutoElement) and those
// in whose plane the point lies.
func linPotRow(row []float64, vl []vecLen, ed []edgeTerms, tris []linPotTri, ts []triTerms, skip int32) {
	// Three passes, so that the arc tangents run in a loop of their own:
	// a call clobbers every register in Go's calling convention, and
	// inside the main loop it would spill and reload its many live values.
	for k := range tris {
		t := &tris[k]
		a, b, c := &vl[t.v[0]], &vl[t.v[1]], &vl[t.v[2]]
		d1 := &a.v
		ts[k].triple = d1[0]*t.nrm[0] + d1[1]*t.nrm[1] + d1[2]*t.nrm[2]
		ts[k].ss = a.l*b.l*c.l + ed[t.e[0]].dot*c.l + ed[t.e[2]].dot*b.l + ed[t.e[1]].dot*a.l
	}
	for k := range ts {
		ts[k].solid = math.Atan2(ts[k].triple, ts[k].ss)
	}
	for k := range tris {
		t := &tris[k]
		solid, triple := ts[k].solid, ts[k].triple
		if t.v[0] == skip || t.v[1] == skip || t.v[2] == skip || math.Abs(solid) < math.Pi/1e6 {
			continue
		}
		d1, d2, d3 := &vl[t.v[0]].v, &vl[t.v[1]].v, &vl[t.v[2]].v
		b1, b2, b3 := ed[t.e[0]].beta, ed[t.e[1]].beta, ed[t.e[2]].beta
		tf1, tf2 := triple*(b3-b1), triple*(b1-b2)
		m := &t.m
		row[t.v[0]] += solid*(d2[0]*m[0][0]+d2[1]*m[0][1]+d2[2]*m[0][2]) - (tf1*t.g[0][0] + tf2*t.g[0][1])
		row[t.v[1]] += solid*(d3[0]*m[1][0]+d3[1]*m[1][1]+d3[2]*m[1][2]) - (tf1*t.g[1][0] + tf2*t.g[1][1])
		row[t.v[2]] += solid*(d1[0]*m[2][0]+d1[1]*m[2][1]+d1[2]*m[2][2]) - (tf1*t.g[2][0] + tf2*t.g[2][1])
	}
}

// triTerms are a triangle's per-point terms: triple = (d1 x d2)·d3, the
// denominator ss of the half solid angle, and the half solid angle
// atan2(triple, ss) itself.
type triTerms struct {
	triple, ss, solid float64
}

// correctAutoElement fills the missing solid angle of row j (2π minus the
// row sum): half to the diagonal, the rest shared among the neighbours.
func correctAutoElement(row []float64, j int, m *geom.Mesh) {
	sum := 0.0
	for _, v := range row {
		sum += v
	}
	miss := 2*math.Pi - sum
	row[j] = miss / 2
	nm := len(m.NeighborTri[j])
	miss /= 4 * float64(nm)
	for _, ti := range m.NeighborTri[j] {
		for _, v := range m.Tris[ti] {
			if int(v) != j {
				row[v] += miss
			}
		}
	}
}
