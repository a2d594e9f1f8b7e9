package forward

import (
	"math"

	"github.com/megflow/megflow/geom"
)

// ballTree is a nearest-neighbour index that reproduces the answers of
// scikit-learn's BallTree (leaf size 40, euclidean), which MNE uses to map
// the subdivided octahedron onto the subject's sphere. Sphere vertices are
// often exactly equidistant from an octahedron vertex; the tree's
// construction (median splits by libstdc++'s nth_element on the axis of
// largest spread) and depth-first query order decide which one wins, and
// so which cortical vertices become sources.
type ballTree struct {
	data     []geom.Vec3
	idx      []int32
	nNodes   int
	start    []int
	end      []int
	leaf     []bool
	centroid []geom.Vec3
	radius   []float64
}

func newBallTree(data []geom.Vec3) *ballTree {
	const leafSize = 40
	n := len(data)
	levels := int(math.Log2(math.Max(1, float64(n-1)/leafSize))) + 1
	nNodes := 1<<levels - 1
	t := &ballTree{data: data, idx: make([]int32, n), nNodes: nNodes,
		start: make([]int, nNodes), end: make([]int, nNodes), leaf: make([]bool, nNodes),
		centroid: make([]geom.Vec3, nNodes), radius: make([]float64, nNodes)}
	for i := range t.idx {
		t.idx[i] = int32(i)
	}
	t.build(0, 0, n)
	return t
}

func (t *ballTree) build(node, lo, hi int) {
	n := hi - lo
	t.start[node], t.end[node] = lo, hi
	var c geom.Vec3
	for _, i := range t.idx[lo:hi] {
		p := t.data[i]
		c[0] += p[0]
		c[1] += p[1]
		c[2] += p[2]
	}
	for j := range 3 {
		c[j] /= float64(n)
	}
	r := 0.0
	for _, i := range t.idx[lo:hi] {
		r = math.Max(r, rdist(c, t.data[i]))
	}
	t.centroid[node], t.radius[node] = c, math.Sqrt(r)
	if 2*node+1 >= t.nNodes || n < 2 {
		t.leaf[node] = true
		return
	}
	// Axis of largest spread (first on ties).
	dim, best := 0, -1.0
	for j := range 3 {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, i := range t.idx[lo:hi] {
			v := t.data[i][j]
			mn = math.Min(mn, v)
			mx = math.Max(mx, v)
		}
		if s := mx - mn; s > best {
			dim, best = j, s
		}
	}
	mid := n / 2
	less := func(a, b int32) bool {
		va, vb := t.data[a][dim], t.data[b][dim]
		if va == vb {
			return a < b
		}
		return va < vb
	}
	nthElement(t.idx[lo:hi], mid, less)
	t.build(2*node+1, lo, lo+mid)
	t.build(2*node+2, lo+mid, hi)
}

func rdist(a, b geom.Vec3) float64 {
	d := 0.0
	for j := range 3 {
		x := a[j] - b[j]
		d += x * x
	}
	return d
}

func (t *ballTree) minRdist(node int, p geom.Vec3) float64 {
	d := math.Max(0, math.Sqrt(rdist(p, t.centroid[node]))-t.radius[node])
	return d * d
}

// nearest returns the index of the data point nearest to p.
func (t *ballTree) nearest(p geom.Vec3) int32 {
	best, bi := math.Inf(1), int32(-1)
	var visit func(node int, lb float64)
	visit = func(node int, lb float64) {
		if lb > best {
			return
		}
		if t.leaf[node] {
			for _, i := range t.idx[t.start[node]:t.end[node]] {
				if d := rdist(p, t.data[i]); d < best {
					best, bi = d, i
				}
			}
			return
		}
		i1, i2 := 2*node+1, 2*node+2
		l1, l2 := t.minRdist(i1, p), t.minRdist(i2, p)
		if l1 <= l2 {
			visit(i1, l1)
			visit(i2, l2)
		} else {
			visit(i2, l2)
			visit(i1, l1)
		}
	}
	visit(0, t.minRdist(0, p))
	return bi
}

// nthElement reorders a as libstdc++'s std::nth_element (introselect) does,
// so that a[nth] is the element a sorted order would put there, smaller
// ones before and larger ones after, with the same final arrangement.
func nthElement(a []int32, nth int, less func(a, b int32) bool) {
	first, last := 0, len(a)
	if first == last || nth == last {
		return
	}
	depth := 2 * lg(last-first)
	for last-first > 3 {
		if depth == 0 {
			heapSelect(a, first, nth+1, last, less)
			a[first], a[nth] = a[nth], a[first]
			return
		}
		depth--
		cut := partitionPivot(a, first, last, less)
		if cut <= nth {
			first = cut
		} else {
			last = cut
		}
	}
	insertionSort(a, first, last, less)
}

func lg(n int) int {
	k := 0
	for n > 1 {
		n >>= 1
		k++
	}
	return k
}

func partitionPivot(a []int32, first, last int, less func(a, b int32) bool) int {
	mid := first + (last-first)/2
	moveMedianToFirst(a, first, first+1, mid, last-1, less)
	// Unguarded partition of [first+1, last) around a[first].
	lo, hi := first+1, last
	for {
		for less(a[lo], a[first]) {
			lo++
		}
		hi--
		for less(a[first], a[hi]) {
			hi--
		}
		if lo >= hi {
			return lo
		}
		a[lo], a[hi] = a[hi], a[lo]
		lo++
	}
}

func moveMedianToFirst(a []int32, result, x, y, z int, less func(a, b int32) bool) {
	swap := func(i int) { a[result], a[i] = a[i], a[result] }
	if less(a[x], a[y]) {
		if less(a[y], a[z]) {
			swap(y)
		} else if less(a[x], a[z]) {
			swap(z)
		} else {
			swap(x)
		}
	} else if less(a[x], a[z]) {
		swap(x)
	} else if less(a[y], a[z]) {
		swap(z)
	} else {
		swap(y)
	}
}

func insertionSort(a []int32, first, last int, less func(a, b int32) bool) {
	if first == last {
		return
	}
	for i := first + 1; i < last; i++ {
		v := a[i]
		if less(v, a[first]) {
			copy(a[first+1:i+1], a[first:i])
			a[first] = v
		} else {
			j := i
			for less(v, a[j-1]) {
				a[j] = a[j-1]
				j--
			}
			a[j] = v
		}
	}
}

// heapSelect is libstdc++'s __heap_select: it makes [first, middle) a max
// heap of the smallest elements of [first, last).
func heapSelect(a []int32, first, middle, last int, less func(a, b int32) bool) {
	h := a[first:middle]
	n := len(h)
	for i := n/2 - 1; i >= 0; i-- {
		adjustHeap(h, i, n, h[i], less)
	}
	for i := middle; i < last; i++ {
		if less(a[i], a[first]) {
			v := a[i]
			a[i] = a[first]
			adjustHeap(h, 0, n, v, less)
		}
	}
}

// adjustHeap is libstdc++'s __adjust_heap followed by __push_heap.
func adjustHeap(h []int32, hole, n int, v int32, less func(a, b int32) bool) {
	top := hole
	child := hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if less(h[child], h[child-1]) {
			child--
		}
		h[hole] = h[child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		h[hole] = h[child-1]
		hole = child - 1
	}
	parent := (hole - 1) / 2
	for hole > top && less(h[parent], v) {
		h[hole] = h[parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	h[hole] = v
}
