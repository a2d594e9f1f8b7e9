package atlas

import (
	"container/heap"
	"fmt"
	"math"
	"sort"

	"github.com/megflow/megflow/geom"
)

// SubdivideOptions configures Subdivide.
type SubdivideOptions struct {
	// NParcels is the target total number of parcels over both
	// hemispheres (450 reproduces aparc_sub's size from aparc).
	NParcels int
	// Iterations of the balancing Lloyd relaxation (default 40).
	Iterations int
	// Keep lists parent names that are copied whole, outside the area
	// budget (default "unknown", "corpuscallosum").
	Keep []string
}

// HemiSurfaces holds one hemisphere's surfaces for Subdivide: the white
// surface (areas) and the sphere (distances, seeds), with equal vertices.
type HemiSurfaces struct {
	White, Sphere *geom.Surface
}

// SubdivideStats summarizes a subdivision.
type SubdivideStats struct {
	NParcels int
	// AreaMean and AreaCV are the mean (mm²) and coefficient of variation
	// (std/mean) of the parcels' white-surface areas.
	AreaMean, AreaCV float64
	// Parts[name] is the number of parts of each parent ("<name>-<hemi>").
	Parts map[string]int
}

// Subdivide splits every parcel of the two annotations (left, right) into
// parts of about equal white-surface area — the construction behind
// aparc_sub (Khan et al. 2018). A parent of area A gets max(1, round(N·A /
// total)) parts, adjusted by largest remainders so the total is exactly
// NParcels (when NParcels ≥ the number of parents). Each parent is split
// by farthest-point seeding on the sphere followed by a Lloyd relaxation
// whose cells are grown by a multi-source Dijkstra inside the parent's
// mesh (so every part lies inside its parent and is connected when the
// parent is), with per-cell speeds that equalize the areas. Parts are
// named "<parent>_<k>" (k from 1, ordered by their lowest vertex). The
// result is deterministic.
func Subdivide(annots [2]*Annot, surfs [2]HemiSurfaces, opt SubdivideOptions) ([2]*Annot, *SubdivideStats, error) {
	var out [2]*Annot
	if opt.Iterations <= 0 {
		opt.Iterations = 40
	}
	if opt.Keep == nil {
		opt.Keep = []string{"unknown", "corpuscallosum"}
	}
	keep := map[string]bool{}
	for _, k := range opt.Keep {
		keep[k] = true
	}
	type parent struct {
		h, entry int
		verts    []int
		area     float64
		parts    int
	}
	var parents []*parent
	var vArea [2][]float64
	var adj [2][][]int32
	var total float64
	for h := range 2 {
		a, s := annots[h], surfs[h]
		if s.White == nil || s.Sphere == nil {
			return out, nil, fmt.Errorf("atlas: %s: white and sphere surfaces are required", Hemis[h])
		}
		n := len(a.Values)
		if len(s.White.Rr) != n || len(s.Sphere.Rr) != n {
			return out, nil, fmt.Errorf("atlas: %s: annotation has %d vertices, white %d, sphere %d", Hemis[h], n, len(s.White.Rr), len(s.Sphere.Rr))
		}
		vArea[h] = vertexAreas(s.White)
		adj[h] = adjacency(n, s.Sphere.Tris)
		byID := map[int32][]int{}
		for v, val := range a.Values {
			byID[val] = append(byID[val], v)
		}
		for i, c := range a.Table {
			verts := byID[a.EntryID(i)]
			if len(verts) == 0 {
				continue
			}
			p := &parent{h: h, entry: i, verts: verts}
			for _, v := range verts {
				p.area += vArea[h][v]
			}
			if keep[c.Name] {
				p.parts = -1
			} else {
				total += p.area
			}
			parents = append(parents, p)
		}
	}
	// apportion the parts: largest remainders, at least one each
	var budget []*parent
	for _, p := range parents {
		if p.parts == 0 {
			budget = append(budget, p)
		}
	}
	if len(budget) == 0 {
		return out, nil, fmt.Errorf("atlas: no parcels to subdivide")
	}
	N := max(opt.NParcels, len(budget))
	rem := make([]float64, len(budget))
	sum := 0
	for i, p := range budget {
		q := float64(N) * p.area / total
		p.parts = max(1, int(math.Floor(q)))
		rem[i] = q - float64(p.parts)
		sum += p.parts
	}
	ord := make([]int, len(budget))
	for i := range ord {
		ord[i] = i
	}
	sort.SliceStable(ord, func(a, b int) bool { return rem[ord[a]] > rem[ord[b]] })
	for i := 0; sum < N; i = (i + 1) % len(ord) {
		budget[ord[i]].parts++
		sum++
	}
	for i := len(ord) - 1; sum > N && i >= 0; i-- {
		if p := budget[ord[i]]; p.parts > 1 {
			p.parts--
			sum--
		}
	}

	stats := &SubdivideStats{Parts: map[string]int{}}
	var areas []float64
	for h := range 2 {
		a := annots[h]
		o := &Annot{Values: make([]int32, len(a.Values)), OrigTable: "megflow subdivision of " + a.OrigTable}
		for i := range o.Values {
			o.Values[i] = -1
		}
		used := map[int32]bool{-1: true, 0: true}
		for _, p := range parents {
			if p.h != h {
				continue
			}
			pc := a.Table[p.entry]
			if p.parts < 0 {
				c := uniqueColor(pc, 0, used)
				c.Name = pc.Name
				o.Table = append(o.Table, c)
				for _, v := range p.verts {
					o.Values[v] = c.ID()
				}
				continue
			}
			cells := splitParcel(p.verts, p.parts, surfs[h].Sphere.Rr, vArea[h], adj[h], opt.Iterations)
			stats.Parts[pc.Name+"-"+Hemis[h]] = len(cells)
			for k, cell := range cells {
				c := uniqueColor(pc, k+1, used)
				c.Name = fmt.Sprintf("%s_%d", pc.Name, k+1)
				o.Table = append(o.Table, c)
				var ar float64
				for _, v := range cell {
					o.Values[v] = c.ID()
					ar += vArea[h][v]
				}
				areas = append(areas, ar)
			}
		}
		out[h] = o
	}
	stats.NParcels = len(areas)
	var m, ss float64
	for _, x := range areas {
		m += x
	}
	m /= float64(len(areas))
	for _, x := range areas {
		ss += (x - m) * (x - m)
	}
	stats.AreaMean = m
	stats.AreaCV = math.Sqrt(ss/float64(len(areas))) / m
	return out, stats, nil
}

// uniqueColor derives a color from the parent's, distinct from every ID in
// used (which it extends); k = 0 keeps the parent's color when free.
func uniqueColor(p ColorEntry, k int, used map[int32]bool) ColorEntry {
	c := ColorEntry{R: p.R, G: p.G, B: p.B}
	for step := 0; ; step++ {
		if k > 0 || step > 0 {
			x := uint32(k*7919+step*104729) * 2654435761
			c.R = (p.R + int32(x%41) - 20 + 256) % 256
			c.G = (p.G + int32((x>>8)%41) - 20 + 256) % 256
			c.B = (p.B + int32((x>>16)%41) - 20 + 256) % 256
		}
		if !used[c.ID()] {
			used[c.ID()] = true
			return c
		}
	}
}

// vertexAreas returns a third of the area of the triangles around each
// vertex.
func vertexAreas(s *geom.Surface) []float64 {
	a := make([]float64, len(s.Rr))
	for _, t := range s.Tris {
		p0, p1, p2 := s.Rr[t[0]], s.Rr[t[1]], s.Rr[t[2]]
		ar := p1.Sub(p0).Cross(p2.Sub(p0)).Norm() / 2
		for _, v := range t {
			a[v] += ar / 3
		}
	}
	return a
}

func adjacency(n int, tris [][3]int32) [][]int32 {
	adj := make([][]int32, n)
	for _, t := range tris {
		for e := 0; e < 3; e++ {
			a, b := t[e], t[(e+1)%3]
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
	}
	for v := range adj {
		s := adj[v]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		w := 0
		for i, x := range s {
			if i == 0 || x != s[i-1] {
				s[w] = x
				w++
			}
		}
		adj[v] = s[:w]
	}
	return adj
}

type pqItem struct {
	d    float64
	v    int32
	cell int32
}
type pq []pqItem

func (q pq) Len() int { return len(q) }
func (q pq) Less(i, j int) bool {
	if q[i].d != q[j].d {
		return q[i].d < q[j].d
	}
	return q[i].v < q[j].v
}
func (q pq) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)   { *q = append(*q, x.(pqItem)) }
func (q *pq) Pop() (x any) { old := *q; x = old[len(old)-1]; *q = old[:len(old)-1]; return }

// grow runs a multi-source Dijkstra from seeds inside the vertices with
// local index (loc[v] ≥ 0), cost edge length / speed[cell]; it returns the
// cell and the distance of every local vertex (cell −1: unreachable).
func grow(verts []int, loc []int32, seeds []int, speed []float64, rr []geom.Vec3, adj [][]int32) ([]int32, []float64) {
	n := len(verts)
	cell := make([]int32, n)
	dist := make([]float64, n)
	for i := range cell {
		cell[i], dist[i] = -1, math.Inf(1)
	}
	q := &pq{}
	for c, s := range seeds {
		heap.Push(q, pqItem{0, int32(s), int32(c)})
	}
	done := make([]bool, n)
	for q.Len() > 0 {
		it := heap.Pop(q).(pqItem)
		li := loc[it.v]
		if done[li] {
			continue
		}
		done[li], cell[li], dist[li] = true, it.cell, it.d
		for _, u := range adj[it.v] {
			lu := loc[u]
			if lu < 0 || done[lu] {
				continue
			}
			d := it.d + rr[u].Sub(rr[it.v]).Norm()/speed[it.cell]
			if d < dist[lu] {
				dist[lu] = d
				heap.Push(q, pqItem{d, u, it.cell})
			}
		}
	}
	return cell, dist
}

// splitParcel splits verts (ascending) into k connected cells of about
// equal area.
func splitParcel(verts []int, k int, rr []geom.Vec3, area []float64, adj [][]int32, iters int) [][]int {
	if k <= 1 {
		return [][]int{verts}
	}
	loc := make([]int32, len(rr))
	for i := range loc {
		loc[i] = -1
	}
	for i, v := range verts {
		loc[v] = int32(i)
	}
	k = min(k, len(verts))
	speed := make([]float64, k)
	for i := range speed {
		speed[i] = 1
	}
	// farthest-point seeding: the vertex farthest from the area centroid,
	// then repeatedly the vertex farthest (in the parcel's graph) from all
	// seeds.
	var cen geom.Vec3
	for _, v := range verts {
		cen = cen.Add(rr[v].Scale(area[v]))
	}
	seeds := []int{verts[0]}
	best := -1.0
	for _, v := range verts {
		if d := rr[v].Sub(cen).Norm(); d > best {
			best, seeds[0] = d, v
		}
	}
	for len(seeds) < k {
		_, dist := grow(verts, loc, seeds, speed[:len(seeds)], rr, adj)
		bi := 0 // farthest vertex; unreachable ones (islands) first
		for i, d := range dist {
			if d > dist[bi] {
				bi = i
			}
		}
		seeds = append(seeds, verts[bi])
	}
	var total float64
	for _, v := range verts {
		total += area[v]
	}
	target := total / float64(k)
	var cell []int32
	for it := 0; it < iters; it++ {
		cell, _ = grow(verts, loc, seeds, speed, rr, adj)
		cent := make([]geom.Vec3, k)
		car := make([]float64, k)
		for i, v := range verts {
			if c := cell[i]; c >= 0 {
				cent[c] = cent[c].Add(rr[v].Scale(area[v]))
				car[c] += area[v]
			}
		}
		for c := range seeds {
			if car[c] == 0 {
				continue
			}
			cc := cent[c].Scale(1 / car[c])
			bd := math.Inf(1)
			for i, v := range verts {
				if cell[i] == int32(c) {
					if d := rr[v].Sub(cc).Norm(); d < bd {
						bd, seeds[c] = d, v
					}
				}
			}
			f := math.Sqrt(target / car[c])
			speed[c] *= min(1.25, max(0.8, f))
		}
	}
	cell, _ = grow(verts, loc, seeds, speed, rr, adj)
	parts := make([][]int, k)
	var orphans []int
	for i, v := range verts {
		if cell[i] < 0 {
			orphans = append(orphans, v) // not connected to any seed
			continue
		}
		parts[cell[i]] = append(parts[cell[i]], v)
	}
	var out [][]int
	for _, p := range parts {
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	if len(orphans) > 0 {
		// islands of the parent unreachable from every seed join the
		// smallest part (they stay inside the parent)
		si := 0
		for i := range out {
			if len(out[i]) < len(out[si]) {
				si = i
			}
		}
		out[si] = append(out[si], orphans...)
		sort.Ints(out[si])
	}
	sort.Slice(out, func(a, b int) bool { return out[a][0] < out[b][0] })
	return out
}
