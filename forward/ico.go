package forward

import (
	"fmt"
	"slices"

	"github.com/megflow/megflow/geom"
)

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
// to grade to.
func icoDownsample(rr []geom.Vec3, tris [][3]int32, from, to int) ([]geom.Vec3, [][3]int32, error) {
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
