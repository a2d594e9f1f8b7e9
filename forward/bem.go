package forward

import (
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"

	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/geom"
)

// ipApproachLimit is the skull/brain conductivity ratio below which the
// isolated problem approach is used (MNE's FWD.BEM_IP_APPROACH_LIMIT).
const ipApproachLimit = 0.1

var bemSurfName = map[int32]string{fif.BEMSurfBrain: "inner skull", fif.BEMSurfSkull: "outer skull", fif.BEMSurfHead: "outer skin", fif.BEMSurfCSF: "csf"}

// MakeBEMModel reads the BEM surfaces of a subject as mne.make_bem_model
// does: bem/inner_skull.surf for one conductivity (single-layer MEG
// model), plus bem/outer_skull.surf and bem/outer_skin.surf for three
// (brain, skull, scalp). ico is the icosahedral grade the surfaces must
// have (e.g. 4: 2562 vertices, 5120 triangles), or -1 to take them as
// they are. The surfaces are returned outermost first, in metres, MRI
// coordinates, with their normals, after the topology, closedness,
// nesting and size checks.
func MakeBEMModel(subjectsDir, subject string, ico int, conductivity []float64) (*fif.BEM, error) {
	names := []string{"inner_skull", "outer_skull", "outer_skin"}
	ids := []int32{fif.BEMSurfBrain, fif.BEMSurfSkull, fif.BEMSurfHead}
	switch len(conductivity) {
	case 1, 3:
	default:
		return nil, fmt.Errorf("forward: %d conductivities given: expected 1 (single layer) or 3 (brain, skull, scalp)", len(conductivity))
	}
	var surfs []*fif.BEMSurface
	for i, sigma := range conductivity {
		if !(sigma > 0) || math.IsInf(sigma, 0) {
			return nil, fmt.Errorf("forward: conductivity %g of the %s compartment must be positive", sigma, names[i])
		}
		path := filepath.Join(subjectsDir, subject, "bem", names[i]+".surf")
		s, err := geom.ReadSurface(path)
		if err != nil {
			return nil, err
		}
		if ico >= 0 {
			found, err := icoGrade(len(s.Tris), ico)
			if err != nil {
				return nil, fmt.Errorf("forward: %s: %w", path, err)
			}
			if s.Rr, s.Tris, err = icoDownsample(s.Rr, s.Tris, found, ico); err != nil {
				return nil, fmt.Errorf("forward: %s: %w", path, err)
			}
		}
		s.Scale(1e-3)
		bs, err := newBEMSurface(s.Rr, s.Tris, ids[i], sigma, path)
		if err != nil {
			return nil, err
		}
		surfs = append(surfs, bs)
	}
	// Outermost first.
	for i, j := 0, len(surfs)-1; i < j; i, j = i+1, j-1 {
		surfs[i], surfs[j] = surfs[j], surfs[i]
	}
	b := &fif.BEM{Surfs: surfs}
	if err := CheckBEMSurfaces(b); err != nil {
		return nil, err
	}
	return b, nil
}

// icoGrade returns the icosahedral grade of a surface of nTri triangles,
// checking that it can be reduced to grade ico.
func icoGrade(nTri, ico int) (int, error) {
	if nTri%20 != 0 {
		return 0, fmt.Errorf("%d triangles cannot be a subdivided icosahedron (ico %d needs %d)", nTri, ico, 20<<(2*ico))
	}
	found := int(math.Round(math.Log(float64(nTri/20)) / math.Log(4)))
	if nTri/20 != 1<<(2*found) {
		return 0, fmt.Errorf("%d triangles cannot be a subdivided icosahedron (ico %d needs %d)", nTri, ico, 20<<(2*ico))
	}
	if found < ico {
		return 0, fmt.Errorf("surface is an ico %d subdivision (%d triangles); decimation grade must be %d or less, not %d", found, nTri, found, ico)
	}
	return found, nil
}

func newBEMSurface(rr []geom.Vec3, tris [][3]int32, id int32, sigma float64, src string) (*fif.BEMSurface, error) {
	m, err := geom.NewMesh(rr, tris)
	if err != nil {
		return nil, fmt.Errorf("forward: %s: %w", src, err)
	}
	if err := m.CheckTopology(); err != nil {
		return nil, fmt.Errorf("forward: %s (%s): %w", src, bemSurfName[id], err)
	}
	s := &fif.BEMSurface{ID: id, Sigma: sigma, CoordFrame: fif.FrameMRI,
		Rr: make([][3]float64, len(rr)), NN: make([][3]float64, len(rr)), Tris: tris}
	for i := range rr {
		s.Rr[i] = rr[i]
		s.NN[i] = m.NN[i]
	}
	return s, nil
}

// bemMesh returns the triangle geometry of a BEM surface.
func bemMesh(s *fif.BEMSurface) (*geom.Mesh, error) {
	rr := make([]geom.Vec3, len(s.Rr))
	for i, r := range s.Rr {
		rr[i] = r
	}
	return geom.NewMesh(rr, s.Tris)
}

// CheckBEMSurfaces checks a BEM's surfaces as MNE does before solving:
// each closed and without topological defects, each inside the previous
// one, and of plausible size (at least 5 cm across, i.e. in metres).
func CheckBEMSurfaces(b *fif.BEM) error {
	if len(b.Surfs) != 1 && len(b.Surfs) != 3 {
		return fmt.Errorf("forward: BEM with %d surfaces: only 1- and 3-layer models are supported", len(b.Surfs))
	}
	meshes := make([]*geom.Mesh, len(b.Surfs))
	for i, s := range b.Surfs {
		m, err := bemMesh(s)
		if err != nil {
			return err
		}
		if err := m.CheckTopology(); err != nil {
			return fmt.Errorf("forward: BEM surface %s: %w", bemSurfName[s.ID], err)
		}
		if err := m.CheckClosed(bemSurfName[s.ID]); err != nil {
			return fmt.Errorf("forward: %w", err)
		}
		meshes[i] = m
	}
	for i := 1; i < len(meshes); i++ {
		for _, r := range meshes[i].Rr {
			if !meshes[i-1].Inside(r) {
				return fmt.Errorf("forward: BEM surface %s is not completely inside surface %s", bemSurfName[b.Surfs[i].ID], bemSurfName[b.Surfs[i-1].ID])
			}
		}
	}
	for _, s := range b.Surfs {
		for j := range 3 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, r := range s.Rr {
				lo, hi = math.Min(lo, r[j]), math.Max(hi, r[j])
			}
			if hi-lo < 0.05 {
				return fmt.Errorf("forward: BEM surface %s is only %.3f mm across: are the coordinates in metres rather than millimetres?", bemSurfName[s.ID], 1000*(hi-lo))
			}
		}
	}
	return nil
}

// MakeBEMSolution computes the linear-collocation BEM potential solution
// of a model from MakeBEMModel (mne.make_bem_solution with solver='mne'),
// with the isolated problem approach for three layers when the skull is
// much less conductive than the brain. It sets b.Solution and b.Approx and
// recomputes the vertex normals.
func MakeBEMSolution(b *fif.BEM) error {
	if err := CheckBEMSurfaces(b); err != nil {
		return err
	}
	meshes := make([]*geom.Mesh, len(b.Surfs))
	for i, s := range b.Surfs {
		m, err := bemMesh(s)
		if err != nil {
			return err
		}
		meshes[i] = m
		for v := range s.NN {
			s.NN[v] = m.NN[v]
		}
	}
	sigma := make([]float64, len(b.Surfs)+1)
	for i, s := range b.Surfs {
		sigma[i+1] = s.Sigma
	}
	ns := len(b.Surfs)
	gamma := make([][]float64, ns)
	for i := range gamma {
		gamma[i] = make([]float64, ns)
		for j := range gamma[i] {
			gamma[i][j] = (sigma[j+1] - sigma[j]) / (sigma[i+1] + sigma[i])
		}
	}
	coeff := linPotCoeff(meshes)
	sol, err := multiSolution(coeff, gamma, meshes)
	if err != nil {
		return err
	}
	if ns == 3 {
		ipMult := b.Surfs[1].Sigma / b.Surfs[2].Sigma
		if ipMult <= ipApproachLimit {
			inner := meshes[2:]
			ip, err := multiSolution(linPotCoeff(inner), nil, inner)
			if err != nil {
				return err
			}
			ipModify(sol, ip, ipMult, meshes)
		}
	}
	b.Solution = sol.RawMatrix().Data
	b.Approx = fif.BEMApproxLinear
	return nil
}

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
			tris := triInfos(m2)
			me := newMeshEdges(m2)
			nv2 := len(m2.Rr)
			parallelFor(len(m1.Rr), func(lo, hi int) {
				vl := make([]vecLen, nv2)
				beta := make([]float64, len(me.a))
				for j := lo; j < hi; j++ {
					row := data[(off[s1]+j)*n+off[s2]:][:nv2]
					p := m1.Rr[j]
					for v, r := range m2.Rr {
						d := r.Sub(p)
						vl[v] = vecLen{d, math.Sqrt(d.Dot(d))}
					}
					me.betas(vl, beta)
					for k, t := range m2.Tris {
						if same && (int(t[0]) == j || int(t[1]) == j || int(t[2]) == j) {
							continue
						}
						te := &me.tri[k]
						om, ok := linPotOmega(&vl[t[0]], &vl[t[1]], &vl[t[2]], &tris[k], beta[te[0]], beta[te[1]], beta[te[2]])
						if !ok {
							continue
						}
						row[t[0]] -= om[0]
						row[t[1]] -= om[1]
						row[t[2]] -= om[2]
					}
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

// triInfo holds a triangle's unit normal and area factors:
// n2 = 1/(2 area)^2, k2 = 4 area.
type triInfo struct {
	nn     geom.Vec3
	n2, k2 float64
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

// betas fills beta with the edge integrals of 1/|r - p| along every edge
// divided by its length (the "beta" of Mosher et al. 1999), given the
// vectors vl from the field point p to the vertices:
// log((la + va·e)/(lb + vb·e))/len for the edge a->b with unit vector e.
// The value is the same for both directions of an edge ((l + v·e)(l - v·e)
// is the squared distance of p to the edge's line at both ends), so it is
// computed once per edge, in the direction where neither logarithm
// argument suffers cancellation.
func (me *meshEdges) betas(vl []vecLen, beta []float64) {
	for q := range beta {
		va, vb, e := &vl[me.a[q]], &vl[me.b[q]], &me.e[q]
		sa := va.v[0]*e[0] + va.v[1]*e[1] + va.v[2]*e[2]
		sb := vb.v[0]*e[0] + vb.v[1]*e[1] + vb.v[2]*e[2]
		if sa+sb >= 0 {
			beta[q] = math.Log((va.l+sa)/(vb.l+sb)) * me.invLen[q]
		} else {
			beta[q] = math.Log((vb.l-sb)/(va.l-sa)) * me.invLen[q]
		}
	}
}

func triInfos(m *geom.Mesh) []triInfo {
	out := make([]triInfo, len(m.Tris))
	for k := range m.Tris {
		area2 := 2 * m.TriArea[k]
		out[k].nn = m.TriNN[k]
		out[k].n2 = 1 / (area2 * area2)
		out[k].k2 = area2 * 2
	}
	return out
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

// linPotOmega returns the linear-collocation potential coefficients of the
// three vertices of a triangle at a field point, given the vectors from the
// point to the vertices and the betas of its edges 1->2, 2->3, 3->1
// (Mosher et al. 1999; MNE's _lin_pot_coeff). ok is false when the point
// lies in the triangle's plane.
func linPotOmega(a, b, c *vecLen, ed *triInfo, b1, b2, b3 float64) (om [3]float64, ok bool) {
	x1, y1, z1, l1 := a.v[0], a.v[1], a.v[2], a.l
	x2, y2, z2, l2 := b.v[0], b.v[1], b.v[2], b.l
	x3, y3, z3, l3 := c.v[0], c.v[1], c.v[2], c.l
	// v1 x v2, v2 x v3, v3 x v1
	c12x, c12y, c12z := y1*z2-z1*y2, z1*x2-x1*z2, x1*y2-y1*x2
	c23x, c23y, c23z := y2*z3-z2*y3, z2*x3-x2*z3, x2*y3-y2*x3
	c31x, c31y, c31z := y3*z1-z3*y1, z3*x1-x3*z1, x3*y1-y3*x1
	triple := c12x*x3 + c12y*y3 + c12z*z3
	d12 := x1*x2 + y1*y2 + z1*z2
	d13 := x1*x3 + y1*y3 + z1*z3
	d23 := x2*x3 + y2*y3 + z2*z3
	ss := l1*l2*l3 + d12*l3 + d13*l2 + d23*l1
	solid := math.Atan2(triple, ss)
	if math.Abs(solid) < math.Pi/1e6 {
		return om, false
	}
	f1, f2, f3 := b3-b1, b1-b2, b2-b3
	vx := x1*f1 + x2*f2 + x3*f3
	vy := y1*f1 + y2*f2 + y3*f3
	vz := z1*f1 + z2*f2 + z3*f3
	nn := &ed.nn
	n2 := ed.n2
	k := ed.k2 * solid
	// Vertex 1: diff = v3 - v2, zdots = (v2 x v3)·n; vertex 2: v1 - v3,
	// (v3 x v1)·n; vertex 3: v2 - v1, (v1 x v2)·n.
	om[0] = -n2 * (k*(c23x*nn[0]+c23y*nn[1]+c23z*nn[2]) - triple*((x3-x2)*vx+(y3-y2)*vy+(z3-z2)*vz))
	om[1] = -n2 * (k*(c31x*nn[0]+c31y*nn[1]+c31z*nn[2]) - triple*((x1-x3)*vx+(y1-y3)*vy+(z1-z3)*vz))
	om[2] = -n2 * (k*(c12x*nn[0]+c12y*nn[1]+c12z*nn[2]) - triple*((x2-x1)*vx+(y2-y1)*vy+(z2-z1)*vz))
	return om, true
}

// multiSolution inverts I + 1/N - coeff·gamma/(2π) (with deflation).
func multiSolution(coeff *mat.Dense, gamma [][]float64, meshes []*geom.Mesh) (*mat.Dense, error) {
	n, _ := coeff.Dims()
	off := []int{0}
	for _, m := range meshes {
		off = append(off, off[len(off)-1]+len(m.Rr))
	}
	defl := 1 / float64(n)
	data := coeff.RawMatrix().Data
	for s1 := range meshes {
		for s2 := range meshes {
			mult := 1 / (2 * math.Pi)
			if gamma != nil {
				mult *= gamma[s1][s2]
			}
			for j := off[s1]; j < off[s1+1]; j++ {
				row := data[j*n:]
				for k := off[s2]; k < off[s2+1]; k++ {
					row[k] = defl - row[k]*mult
				}
			}
		}
	}
	for j := range n {
		data[j*n+j] += 1
	}
	// Invert in place through the LU factorization (LAPACK getrf + getri,
	// as scipy.linalg.inv does), without mat.Dense.Inverse's copy and
	// condition estimate.
	if err := invertInPlace(coeff); err != nil {
		return nil, err
	}
	return coeff, nil
}

// invertInPlace replaces the square matrix a by its inverse.
func invertInPlace(a *mat.Dense) error {
	raw := a.RawMatrix()
	ipiv := make([]int, raw.Rows)
	if !lapack64.Getrf(raw, ipiv) {
		return fmt.Errorf("forward: BEM coefficient matrix cannot be inverted: it is singular")
	}
	work := []float64{0}
	lapack64.Getri(raw, ipiv, work, -1)
	work = make([]float64, max(int(work[0]), raw.Rows))
	if !lapack64.Getri(raw, ipiv, work, len(work)) {
		return fmt.Errorf("forward: BEM coefficient matrix cannot be inverted: it is singular")
	}
	for _, v := range raw.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("forward: BEM coefficient matrix cannot be inverted: the inverse is not finite")
		}
	}
	return nil
}

// ipModify folds the isolated-problem solution of the innermost surface
// into the full solution (MNE's _fwd_bem_ip_modify_solution).
func ipModify(sol, ip *mat.Dense, ipMult float64, meshes []*geom.Mesh) {
	nLast := len(meshes[len(meshes)-1].Rr)
	n, _ := sol.Dims()
	mult := (1 + ipMult) / ipMult
	first := n - nLast
	// Right column block, all rows: sub -= 2 sub·ip.
	sub := sol.Slice(0, n, first, n).(*mat.Dense)
	var prod mat.Dense
	prod.Mul(sub, ip)
	prod.Scale(2, &prod)
	sub.Sub(sub, &prod)
	corner := sol.Slice(first, n, first, n).(*mat.Dense)
	var add mat.Dense
	add.Scale(mult, ip)
	corner.Add(corner, &add)
	sol.Scale(ipMult, sol)
}
