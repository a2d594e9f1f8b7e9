package forward

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/megflow/megflow/geom"
)

// IcoMaxGrade is the finest icosahedral grade IcoSphere builds (MNE's
// table also ends there: ico7 has 163842 vertices).
const IcoMaxGrade = 7

// icoBaseTris are the 20 faces of the base icosahedron, counter-clockwise
// seen from outside: the fan around the north pole (vertex 0), the band
// between the upper ring (1..5) and the lower ring (6..10), and the fan
// around the south pole (vertex 11).
var icoBaseTris = [20][3]int32{
	{0, 3, 4}, {0, 4, 5}, {0, 5, 1}, {0, 1, 2}, {0, 2, 3},
	{3, 2, 8}, {3, 8, 9}, {3, 9, 4}, {4, 9, 10}, {4, 10, 5},
	{5, 10, 6}, {5, 6, 1}, {1, 6, 7}, {1, 7, 2}, {2, 7, 8},
	{8, 11, 9}, {9, 11, 10}, {10, 11, 6}, {6, 11, 7}, {7, 11, 8},
}

// icoBase returns the unit icosahedron with a vertex at each pole: vertex
// 0 at +z, vertices 1..5 at z = 1/sqrt(5) and azimuths az0 + 72k degrees,
// vertices 6..10 at z = -1/sqrt(5) and azimuths az0 - 36 + 72k degrees,
// vertex 11 at -z.
func icoBase(az0 float64) []geom.Vec3 {
	z := 1 / math.Sqrt(5)
	r := 2 * z
	rr := make([]geom.Vec3, 0, 12)
	rr = append(rr, geom.Vec3{0, 0, 1})
	ring := func(start, zz float64) {
		for k := range 5 {
			a := (start + 72*float64(k)) * math.Pi / 180
			rr = append(rr, geom.Vec3{r * math.Cos(a), r * math.Sin(a), zz})
		}
	}
	ring(az0, z)
	ring(az0-36, -z)
	return append(rr, geom.Vec3{0, 0, -1})
}

// icoSubdivide splits every triangle (v0, v1, v2) in four. The edge
// midpoints, projected to the unit sphere, are numbered after the existing
// vertices as they are first met, triangle by triangle, in the order
// (v0,v2), (v1,v2), (v0,v1). The children of a triangle, with m02, m12 and
// m01 its midpoints, are the corner (v0, m01, m02), the corner (m02, m12,
// v2), the centre (m01, m12, m02) and the corner (m01, v1, m12), all with
// the parent's winding. They follow each other triangle by triangle, or,
// with cornersFirst, the first child of every triangle comes first and the
// other three of each triangle after them.
func icoSubdivide(rr []geom.Vec3, tris [][3]int32, cornersFirst bool) ([]geom.Vec3, [][3]int32) {
	nt := len(tris)
	edges := make(map[uint64]int32, 3*nt/2)
	out := slices.Grow(slices.Clone(rr), 3*nt/2)
	mid := func(a, b int32) int32 {
		key := uint64(min(a, b))<<32 | uint64(max(a, b))
		if v, ok := edges[key]; ok {
			return v
		}
		c := rr[a].Add(rr[b])
		normalizeVec(&c)
		v := int32(len(out))
		out = append(out, c)
		edges[key] = v
		return v
	}
	next := make([][3]int32, 0, 4*nt)
	var rest [][3]int32
	if cornersFirst {
		rest = make([][3]int32, 0, 3*nt)
	}
	for _, t := range tris {
		m02 := mid(t[0], t[2])
		m12 := mid(t[1], t[2])
		m01 := mid(t[0], t[1])
		first := [3]int32{t[0], m01, m02}
		others := [][3]int32{{m02, m12, t[2]}, {m01, m12, m02}, {m01, t[1], m12}}
		next = append(next, first)
		if cornersFirst {
			rest = append(rest, others...)
		} else {
			next = append(next, others...)
		}
	}
	return out, append(next, rest...)
}

// icoTableValue rounds a coordinate to the precision of MNE's icosahedron
// table: four decimals, stored in single precision.
func icoTableValue(x float64) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 32)
	if err != nil {
		panic(err) // cannot happen: FormatFloat output always parses
	}
	return v + 0 // no negative zero
}

// IcoSphere returns the icosahedron subdivided grade times (grade 0..7:
// 10*4^grade+2 vertices, 20*4^grade triangles, counter-clockwise seen from
// outside), the sphere that mne.setup_source_space(spacing="icoN") maps
// onto the subject's sphere and mne.make_bem_model(ico=N) decimates to. It
// is generated, not read: a base icosahedron with a vertex at each pole,
// split recursively by icoSubdivide. MNE's table is made of two families,
// which this follows: grades 0..4 start from the base with its upper ring
// at azimuth 0 and keep the children of a triangle together; grades 5..7
// start from the base turned by -72 degrees about z and put the first
// child of every triangle first. Vertex numbers and triangles are those of
// MNE; coordinates are the exact subdivision rounded as MNE's table is (4
// decimals, single precision). That gives MNE's values except for a few
// coordinates lying within 3e-7 of a rounding boundary (1 in ico3, 8 in
// ico4, 10 in ico5, 57 in ico6, 277 in ico7), where the table, rounded
// from a computation with slightly different last-digit errors, went the
// other way: one unit of the fourth decimal.
func IcoSphere(grade int) ([]geom.Vec3, [][3]int32, error) {
	if grade < 0 || grade > IcoMaxGrade {
		return nil, nil, fmt.Errorf("forward: icosahedron grade %d out of range 0..%d", grade, IcoMaxGrade)
	}
	rr, tris := icoSphereExact(grade)
	for i := range rr {
		for k := range 3 {
			rr[i][k] = icoTableValue(rr[i][k])
		}
	}
	return rr, tris, nil
}

// icoSphereExact is IcoSphere before the rounding to table precision.
func icoSphereExact(grade int) ([]geom.Vec3, [][3]int32) {
	az0, cornersFirst := 0.0, false
	if grade >= 5 {
		az0, cornersFirst = -72, true
	}
	rr := icoBase(az0)
	tris := slices.Clone(icoBaseTris[:])
	for range grade {
		rr, tris = icoSubdivide(rr, tris, cornersFirst)
	}
	return rr, tris
}

// icoCoarsen undoes one level of icosahedral subdivision of a surface
// whose triangulation is a subdivided icosahedron (as FreeSurfer's and
// MNE's BEM surfaces are): it keeps the vertices of the coarser level
// (found from the topology: the twelve 5-valent vertices and, across every
// edge midpoint, the vertex opposite an already found one) in ascending
// index order, and rebuilds the coarser triangles with the same winding.
// It returns the kept vertex indices and the new triangles.
func icoCoarsen(nv int, tris [][3]int32) ([]int32, [][3]int32, error) {
	m := &geom.Mesh{Rr: make([]geom.Vec3, nv), Tris: tris}
	m.Complete()
	neigh := make([][]int32, nv)
	for v := range nv {
		neigh[v] = m.NeighborVertices(v)
	}
	adjacent := func(a, b int32) bool {
		_, ok := slices.BinarySearch(neigh[a], b)
		return ok
	}
	const (
		unknown = iota
		old
		mid
	)
	label := make([]int8, nv)
	var queue []int32
	for v := range nv {
		if len(neigh[v]) == 5 {
			label[v] = old
			queue = append(queue, int32(v))
		}
	}
	if len(queue) != 12 {
		return nil, nil, fmt.Errorf("surface has %d five-valent vertices, a subdivided icosahedron has 12", len(queue))
	}
	// opposite returns the vertex across midpoint x from u.
	opposite := func(u, x int32) (int32, bool) {
		var pq []int32
		for _, y := range neigh[x] {
			if y != u && adjacent(u, y) {
				pq = append(pq, y)
			}
		}
		if len(pq) != 2 {
			return 0, false
		}
		for _, w := range neigh[x] {
			if w == u || adjacent(u, w) || adjacent(pq[0], w) || adjacent(pq[1], w) {
				continue
			}
			return w, true
		}
		return 0, false
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, x := range neigh[u] {
			if label[x] == old {
				return nil, nil, fmt.Errorf("vertices %d and %d are both at the coarser level but adjacent: not a subdivided icosahedron", u, x)
			}
			label[x] = mid
			w, ok := opposite(u, x)
			if !ok {
				return nil, nil, fmt.Errorf("no vertex opposite %d across %d: not a subdivided icosahedron", u, x)
			}
			if label[w] == unknown {
				label[w] = old
				queue = append(queue, w)
			}
		}
	}
	var keep []int32
	index := make([]int32, nv)
	for v := range nv {
		index[v] = -1
		if label[v] == old {
			index[v] = int32(len(keep))
			keep = append(keep, int32(v))
		}
	}
	if 4*(len(keep)-2) != nv-2 {
		return nil, nil, fmt.Errorf("found %d coarse vertices for %d: not a subdivided icosahedron", len(keep), nv)
	}
	seen := map[[3]int32]bool{}
	var out [][3]int32
	for _, t := range tris {
		for r := range 3 {
			u, x, y := t[r], t[(r+1)%3], t[(r+2)%3]
			if label[u] != old || label[x] == old || label[y] == old {
				continue
			}
			a, ok1 := opposite(u, x)
			b, ok2 := opposite(u, y)
			if !ok1 || !ok2 {
				return nil, nil, fmt.Errorf("triangle %v: no opposite vertices", t)
			}
			nt := [3]int32{index[u], index[a], index[b]}
			key := nt
			slices.Sort(key[:])
			if !seen[key] {
				seen[key] = true
				out = append(out, nt)
			}
		}
	}
	if 4*len(out) != len(tris) {
		return nil, nil, fmt.Errorf("rebuilt %d coarse triangles from %d: not a subdivided icosahedron", len(out), len(tris))
	}
	return keep, out, nil
}

// icoDownsample reduces a subdivided-icosahedron surface from grade from
// to grade to. When the surface's triangles are those of IcoSphere(from),
// as mne.make_bem_model requires (FreeSurfer's watershed BEM surfaces have
// them), the result is MNE's: the vertices at the positions of
// IcoSphere(to), in its order, with its triangles. Other subdivided
// icosahedra, which MNE rejects, are coarsened level by level from their
// topology (icoCoarsen), the vertices kept in the order of the finer
// surface.
func icoDownsample(rr []geom.Vec3, tris [][3]int32, from, to int) ([]geom.Vec3, [][3]int32, error) {
	if from == to {
		return rr, tris, nil
	}
	if nr, nt, ok := icoTableDownsample(rr, tris, from, to); ok {
		return nr, nt, nil
	}
	for g := from; g > to; g-- {
		keep, nt, err := icoCoarsen(len(rr), tris)
		if err != nil {
			return nil, nil, fmt.Errorf("downsampling ico %d to %d: %w", g, g-1, err)
		}
		nr := make([]geom.Vec3, len(keep))
		for i, k := range keep {
			nr[i] = rr[k]
		}
		rr, tris = nr, nt
	}
	return rr, tris, nil
}

// icoTableDownsample is icoDownsample for surfaces triangulated as
// IcoSphere(from) (ok false otherwise): as MNE's _ico_downsample, each
// vertex of IcoSphere(to) takes the position of the surface vertex whose
// IcoSphere(from) vertex is nearest to it.
func icoTableDownsample(rr []geom.Vec3, tris [][3]int32, from, to int) ([]geom.Vec3, [][3]int32, bool) {
	src, srcTris, err := IcoSphere(from)
	if err != nil || len(src) != len(rr) || !slices.Equal(srcTris, tris) {
		return nil, nil, false
	}
	dst, dstTris, err := IcoSphere(to)
	if err != nil {
		return nil, nil, false
	}
	tree := newBallTree(src)
	out := make([]geom.Vec3, len(dst))
	for i, p := range dst {
		k := tree.nearest(p)
		if d := src[k].Sub(p); d.Dot(d) > 5e-3*5e-3 {
			return nil, nil, false // not a subdivision of the same icosahedron
		}
		out[i] = rr[k]
	}
	return out, dstTris, true
}
