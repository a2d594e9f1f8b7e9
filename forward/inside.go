package forward

import (
	"math"

	"github.com/megflow/megflow/geom"
)

// insideTester answers many point-in-surface queries on one closed mesh
// with the answers of geom.Mesh.Inside (the solid-angle sum is 4π), at a
// fraction of the cost: the solid angle sums over every triangle (5120
// arc tangents per point for an ico4 inner skull, most of the forward
// solution's source filtering), whereas a ray cast only meets the few
// triangles over the point.
//
// For a closed, consistently oriented surface the solid angle it subtends
// at a point off the surface is exactly 4π times the winding number, the
// signed count of the surface's crossings by any ray from the point, so
// both tests agree. The ray here goes up the z axis; the triangles are
// binned by their xy bounding boxes on a grid. When the ray passes within
// rounding distance of an edge or vertex, or the point is within rounding
// distance of the surface, the crossing count could be wrong, and the
// point is decided by the solid angles as before; so is every point of a
// surface that is not closed.
type insideTester struct {
	m      *geom.Mesh
	closed bool
	lo, hi geom.Vec3 // extent of the vertices
	// Grid cells of size 1/inv from (lo[0], lo[1]), nx by ny; cell c
	// holds the triangles tris[start[c]:start[c+1]].
	inv         float64
	nx, ny      int
	start, tris []int32
	// Tolerance of the on-surface test along z (m).
	tolZ float64
}

func newInsideTester(m *geom.Mesh) *insideTester {
	t := &insideTester{m: m, closed: isClosedOriented(m.Tris)}
	if !t.closed {
		return t
	}
	lo, hi := m.Rr[0], m.Rr[0]
	for _, r := range m.Rr {
		for j := range 3 {
			lo[j], hi[j] = math.Min(lo[j], r[j]), math.Max(hi[j], r[j])
		}
	}
	t.lo, t.hi = lo, hi
	// About one triangle's bounding box per cell.
	side := math.Max(hi[0]-lo[0], hi[1]-lo[1])
	n := max(1, int(math.Sqrt(float64(len(m.Tris)))))
	t.inv = float64(n) / side
	t.nx, t.ny = t.cell(hi[0], lo[0], n)+1, t.cell(hi[1], lo[1], n)+1
	t.tolZ = 1e-10 * math.Max(side, hi[2]-lo[2])
	// Two passes (count, fill) into one flat index.
	t.start = make([]int32, t.nx*t.ny+1)
	span := func(tri [3]int32) (i0, i1, j0, j1 int) {
		a, b, c := m.Rr[tri[0]], m.Rr[tri[1]], m.Rr[tri[2]]
		i0 = t.cell(min(a[0], b[0], c[0]), lo[0], t.nx)
		i1 = t.cell(max(a[0], b[0], c[0]), lo[0], t.nx)
		j0 = t.cell(min(a[1], b[1], c[1]), lo[1], t.ny)
		j1 = t.cell(max(a[1], b[1], c[1]), lo[1], t.ny)
		return
	}
	for _, tri := range m.Tris {
		i0, i1, j0, j1 := span(tri)
		for j := j0; j <= j1; j++ {
			for i := i0; i <= i1; i++ {
				t.start[j*t.nx+i+1]++
			}
		}
	}
	for c := 1; c < len(t.start); c++ {
		t.start[c] += t.start[c-1]
	}
	t.tris = make([]int32, t.start[len(t.start)-1])
	fill := append([]int32(nil), t.start[:len(t.start)-1]...)
	for k, tri := range m.Tris {
		i0, i1, j0, j1 := span(tri)
		for j := j0; j <= j1; j++ {
			for i := i0; i <= i1; i++ {
				c := j*t.nx + i
				t.tris[fill[c]] = int32(k)
				fill[c]++
			}
		}
	}
	return t
}

// cell is the grid index of coordinate x from origin x0, clamped to
// [0, n). The same monotone expression bins the triangles and the query
// points, so a point inside a triangle's bounding box lands in one of the
// triangle's cells.
func (t *insideTester) cell(x, x0 float64, n int) int {
	c := int(math.Floor((x - x0) * t.inv))
	return min(max(c, 0), n-1)
}

// isClosedOriented reports whether every directed edge of the triangles
// occurs once and its reverse once: a closed surface with consistent
// orientation, whose solid angles are 4π times the winding number.
func isClosedOriented(tris [][3]int32) bool {
	count := make(map[[2]int32]int, 3*len(tris))
	for _, t := range tris {
		for i := range 3 {
			count[[2]int32{t[i], t[(i+1)%3]}]++
		}
	}
	for e, c := range count {
		if c != 1 || count[[2]int32{e[1], e[0]}] != 1 {
			return false
		}
	}
	return len(tris) > 0
}

// inside reports whether p is inside the surface, as m.Inside(p).
func (t *insideTester) inside(p geom.Vec3) bool {
	if !t.closed {
		return t.m.Inside(p)
	}
	w, ok := t.winding(p)
	if !ok {
		return t.m.Inside(p)
	}
	// A solid angle of 4π: the winding number of outward-oriented
	// triangles around an inside point.
	return w == 1
}

// winding counts the crossings of the ray from p up the z axis with the
// triangles, +1 where it leaves through a triangle whose (right-handed)
// normal points up, -1 where that normal points down. ok is false when
// a crossing is too close to call.
func (t *insideTester) winding(p geom.Vec3) (w int, ok bool) {
	if p[0] < t.lo[0] || p[0] > t.hi[0] || p[1] < t.lo[1] || p[1] > t.hi[1] {
		// No triangle lies over the point.
		return 0, true
	}
	c := t.cell(p[1], t.lo[1], t.ny)*t.nx + t.cell(p[0], t.lo[0], t.nx)
	for _, k := range t.tris[t.start[c]:t.start[c+1]] {
		tri := t.m.Tris[k]
		a, b, d := &t.m.Rr[tri[0]], &t.m.Rr[tri[1]], &t.m.Rr[tri[2]]
		ax, ay := a[0]-p[0], a[1]-p[1]
		bx, by := b[0]-p[0], b[1]-p[1]
		dx, dy := d[0]-p[0], d[1]-p[1]
		// Twice the signed areas of the projected sub-triangles opposite
		// each vertex: all of one sign when the ray meets the interior.
		wa := bx*dy - by*dx
		wb := dx*ay - dy*ax
		wd := ax*by - ay*bx
		sa, sb, sd := sign(wa, bx, by, dx, dy), sign(wb, dx, dy, ax, ay), sign(wd, ax, ay, bx, by)
		if sa*sb < 0 || sa*sd < 0 || sb*sd < 0 {
			continue // a sure miss
		}
		if sa == 0 || sb == 0 || sd == 0 {
			return 0, false
		}
		s := wa + wb + wd
		z := (wa*a[2] + wb*b[2] + wd*d[2]) / s
		switch {
		case math.Abs(z-p[2]) <= t.tolZ:
			return 0, false
		case z > p[2]:
			if s > 0 {
				w++
			} else {
				w--
			}
		}
	}
	return w, true
}

// sign is the sign of the cross product w = u x v of two projected
// vectors, or 0 when it is too small to be trusted: its rounding error is
// a few ulps of |u||v|, far below the margin here.
func sign(w, ux, uy, vx, vy float64) int {
	switch tol := 1e-10 * (math.Abs(ux) + math.Abs(uy)) * (math.Abs(vx) + math.Abs(vy)); {
	case w > tol:
		return 1
	case w < -tol:
		return -1
	}
	return 0
}
