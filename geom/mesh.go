package geom

import (
	"fmt"
	"math"
)

// Mesh is a triangulated surface with the derived geometry MNE computes
// (complete_surface_info): triangle normals (unit), areas and centroids,
// vertex normals (normalized sums of the unit normals of the triangles
// around each vertex) and the triangles around each vertex.
type Mesh struct {
	Rr          []Vec3
	Tris        [][3]int32
	TriNN       []Vec3
	TriArea     []float64
	TriCent     []Vec3
	NN          []Vec3
	NeighborTri [][]int32 // triangles of each vertex, ascending
}

// NewMesh builds a mesh from positions and triangles and computes its
// derived geometry. It fails on triangles that refer to missing vertices.
func NewMesh(rr []Vec3, tris [][3]int32) (*Mesh, error) {
	m := &Mesh{Rr: rr, Tris: tris}
	for i, t := range tris {
		for _, v := range t {
			if v < 0 || int(v) >= len(rr) {
				return nil, fmt.Errorf("geom: triangle %d refers to vertex %d of %d", i, v, len(rr))
			}
		}
	}
	m.Complete()
	return m, nil
}

// Complete (re)computes the derived geometry from Rr and Tris.
func (m *Mesh) Complete() {
	nt, nv := len(m.Tris), len(m.Rr)
	m.TriNN = make([]Vec3, nt)
	m.TriArea = make([]float64, nt)
	m.TriCent = make([]Vec3, nt)
	m.NN = make([]Vec3, nv)
	count := make([]int32, nv)
	for i, t := range m.Tris {
		r1, r2, r3 := m.Rr[t[0]], m.Rr[t[1]], m.Rr[t[2]]
		m.TriCent[i] = Vec3{(r1[0] + r2[0] + r3[0]) / 3, (r1[1] + r2[1] + r3[1]) / 3, (r1[2] + r2[2] + r3[2]) / 3}
		n := r2.Sub(r1).Cross(r3.Sub(r1))
		m.TriArea[i] = normalizeInPlace(&n) / 2
		m.TriNN[i] = n
		for _, v := range t {
			m.NN[v] = m.NN[v].Add(n)
			count[v]++
		}
	}
	for i := range m.NN {
		normalizeInPlace(&m.NN[i])
	}
	m.NeighborTri = make([][]int32, nv)
	flat := make([]int32, 3*nt)
	off := make([]int32, nv+1)
	for v := range nv {
		off[v+1] = off[v] + count[v]
	}
	pos := append([]int32(nil), off[:nv]...)
	for i, t := range m.Tris {
		for _, v := range t {
			flat[pos[v]] = int32(i)
			pos[v]++
		}
	}
	for v := range nv {
		m.NeighborTri[v] = flat[off[v]:off[v+1]:off[v+1]]
	}
}

// NeighborVertices returns the sorted distinct vertices sharing a triangle
// with vertex k (k excluded).
func (m *Mesh) NeighborVertices(k int) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for _, ti := range m.NeighborTri[k] {
		for _, v := range m.Tris[ti] {
			if int(v) != k && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sortInt32(out)
	return out
}

func sortInt32(a []int32) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// CheckTopology reports vertices with fewer than three neighbouring
// triangles (holes, dangling vertices), as MNE's surface checks do.
func (m *Mesh) CheckTopology() error {
	var bad []int
	for v, n := range m.NeighborTri {
		if len(n) < 3 {
			bad = append(bad, v)
		}
	}
	if len(bad) > 0 {
		if len(bad) > 20 {
			return fmt.Errorf("geom: surface has topological defects: %d of %d vertices have fewer than three neighbouring triangles (first %v)", len(bad), len(m.Rr), bad[:20])
		}
		return fmt.Errorf("geom: surface has topological defects: %d of %d vertices have fewer than three neighbouring triangles %v", len(bad), len(m.Rr), bad)
	}
	return nil
}

// SolidAngle returns the solid angle the mesh subtends at p in units of
// 4π, for outward-oriented triangles: 1 for points inside a closed surface,
// 0 outside.
func (m *Mesh) SolidAngle(p Vec3) float64 {
	// Differences and distances per vertex, shared by its triangles.
	d := make([]float64, 4*len(m.Rr))
	for i, r := range m.Rr {
		x, y, z := p[0]-r[0], p[1]-r[1], p[2]-r[2]
		d[4*i], d[4*i+1], d[4*i+2], d[4*i+3] = x, y, z, math.Sqrt(x*x+y*y+z*z)
	}
	tot := 0.0
	for _, t := range m.Tris {
		a, b, c := d[4*t[0]:4*t[0]+4], d[4*t[1]:4*t[1]+4], d[4*t[2]:4*t[2]+4]
		cx := a[1]*b[2] - a[2]*b[1]
		cy := a[2]*b[0] - a[0]*b[2]
		cz := a[0]*b[1] - a[1]*b[0]
		triple := cx*c[0] + cy*c[1] + cz*c[2]
		l1, l2, l3 := a[3], b[3], c[3]
		s := l1*l2*l3 + (a[0]*b[0]+a[1]*b[1]+a[2]*b[2])*l3 + (a[0]*c[0]+a[1]*c[1]+a[2]*c[2])*l2 + (b[0]*c[0]+b[1]*c[1]+b[2]*c[2])*l1
		tot -= math.Atan2(triple, s)
	}
	return tot / (2 * math.Pi)
}

// Inside reports whether p is inside the closed mesh (the solid-angle sum
// is 4π, within 1e-5 relative, as MNE's _points_outside_surface tests).
func (m *Mesh) Inside(p Vec3) bool {
	return math.Abs(m.SolidAngle(p)-1) <= 1e-5
}

// CheckClosed verifies that the mesh is a closed surface: the solid angle
// it subtends at its centre of mass is 4π (MNE's _assert_complete_surface).
func (m *Mesh) CheckClosed(name string) error {
	var cm Vec3
	for _, r := range m.Rr {
		cm = cm.Add(r)
	}
	cm = cm.Scale(1 / float64(len(m.Rr)))
	if prop := m.SolidAngle(cm); math.Abs(prop-1) > 1e-5 {
		return fmt.Errorf("geom: surface %s is not closed (the solid angles seen from its centre sum to %.6f x 4π, expected 1)", name, prop)
	}
	return nil
}
