package forward

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/megflow/megflow/geom"
)

// TestIcoSphereStructure checks the sizes, closedness, outward winding and
// geometry of IcoSphere for every grade, and that the grades of each of
// its two families (0..4 and 5..7) nest: the vertices of a grade are the
// first ones of the next.
func TestIcoSphereStructure(t *testing.T) {
	var prev []geom.Vec3
	for g := 0; g <= IcoMaxGrade; g++ {
		rr, tris, err := IcoSphere(g)
		if err != nil {
			t.Fatal(err)
		}
		nv, nt := 10<<(2*g)+2, 20<<(2*g)
		if len(rr) != nv || len(tris) != nt {
			t.Fatalf("ico%d: %d vertices, %d triangles; want %d, %d", g, len(rr), len(tris), nv, nt)
		}
		for i, p := range rr {
			// Table precision: four decimals in single precision.
			if n := math.Sqrt(p.Dot(p)); math.Abs(n-1) > 2e-4 {
				t.Fatalf("ico%d: vertex %d at radius %v", g, i, n)
			}
			for k := range 3 {
				if q := p[k] * 1e4; math.Abs(q-math.Round(q)) > 1e-3 {
					t.Fatalf("ico%d: vertex %d coordinate %v has more than four decimals", g, i, p[k])
				}
			}
		}
		// Every edge is shared by exactly two triangles, in opposite
		// directions (closed, consistently oriented), and each triangle
		// faces outwards.
		edges := map[[2]int32]int{}
		for i, tr := range tris {
			for k := range 3 {
				edges[[2]int32{tr[k], tr[(k+1)%3]}]++
			}
			a, b, c := rr[tr[0]], rr[tr[1]], rr[tr[2]]
			if b.Sub(a).Cross(c.Sub(a)).Dot(a.Add(b).Add(c)) <= 0 {
				t.Fatalf("ico%d: triangle %d %v faces inwards", g, i, tr)
			}
		}
		for e, n := range edges {
			if n != 1 || edges[[2]int32{e[1], e[0]}] != 1 {
				t.Fatalf("ico%d: edge %v used %d times, reverse %d", g, e, n, edges[[2]int32{e[1], e[0]}])
			}
		}
		if len(edges) != 2*(nv+nt-2) {
			t.Fatalf("ico%d: %d directed edges, Euler wants %d", g, len(edges), 2*(nv+nt-2))
		}
		if g != 5 && g > 0 && !slices.Equal(rr[:len(prev)], prev) {
			t.Errorf("ico%d does not start with the vertices of ico%d", g, g-1)
		}
		prev = rr
	}
	if _, _, err := IcoSphere(-1); err == nil {
		t.Error("grade -1 accepted")
	}
	if _, _, err := IcoSphere(IcoMaxGrade + 1); err == nil {
		t.Error("grade 8 accepted")
	}
}

// TestIcoSphereBase pins the orientation of the two base icosahedra: a
// vertex at each pole, the upper ring starting at azimuth 0 (grades 0..4)
// or -72 degrees (grades 5..7).
func TestIcoSphereBase(t *testing.T) {
	for _, c := range []struct {
		grade int
		v1    geom.Vec3
	}{{0, geom.Vec3{0.8944, 0, 0.4472}}, {5, geom.Vec3{0.2764, -0.8507, 0.4472}}} {
		rr, _, err := IcoSphere(c.grade)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range map[int]geom.Vec3{0: {0, 0, 1}, 1: c.v1, 11: {0, 0, -1}} {
			for k := range 3 {
				if math.Abs(rr[i][k]-want[k]) > 1e-7 {
					t.Errorf("ico%d vertex %d = %v, want %v", c.grade, i, rr[i], want)
				}
			}
		}
	}
}

// TestIcoDownsampleTable checks that a surface triangulated as
// IcoSphere(from) is downsampled to exactly IcoSphere(to) (MNE's path),
// and that a renumbered copy, which only the topological coarsening
// accepts, gives the same surface up to vertex order.
func TestIcoDownsampleTable(t *testing.T) {
	for _, c := range [][2]int{{5, 4}, {5, 3}, {4, 2}, {3, 0}, {6, 4}} {
		t.Run(fmt.Sprintf("ico%d_to_%d", c[0], c[1]), func(t *testing.T) {
			rr, tris, err := IcoSphere(c[0])
			if err != nil {
				t.Fatal(err)
			}
			wantRR, wantTris, err := IcoSphere(c[1])
			if err != nil {
				t.Fatal(err)
			}
			// Scale so that positions come from the surface, not the table.
			surf := make([]geom.Vec3, len(rr))
			for i, p := range rr {
				surf[i] = p.Scale(0.08)
			}
			got, gotTris, err := icoDownsample(surf, tris, c[0], c[1])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotTris, wantTris) {
				t.Fatal("triangles differ from IcoSphere's")
			}
			for i, p := range got {
				if d := p.Sub(wantRR[i].Scale(0.08)); math.Sqrt(d.Dot(d)) > 0.08*2e-4 {
					t.Fatalf("vertex %d at %v, want %v", i, p, wantRR[i].Scale(0.08))
				}
			}
			// Reverse the vertex numbering: the table no longer matches.
			n := int32(len(surf))
			rev := make([]geom.Vec3, n)
			for i, p := range surf {
				rev[n-1-int32(i)] = p
			}
			revTris := make([][3]int32, len(tris))
			for i, tr := range tris {
				revTris[i] = [3]int32{n - 1 - tr[0], n - 1 - tr[1], n - 1 - tr[2]}
			}
			got2, tris2, err := icoDownsample(rev, revTris, c[0], c[1])
			if err != nil {
				t.Fatal(err)
			}
			if len(got2) != len(got) || len(tris2) != len(gotTris) {
				t.Fatalf("coarsening gave %d vertices, %d triangles", len(got2), len(tris2))
			}
			pos := map[geom.Vec3]int32{}
			for i, p := range got {
				pos[p] = int32(i)
			}
			want := map[[3]int32]bool{}
			for _, tr := range gotTris {
				want[canonTri(tr)] = true
			}
			for _, tr := range tris2 {
				var m [3]int32
				for k := range 3 {
					j, ok := pos[got2[tr[k]]]
					if !ok {
						t.Fatalf("coarsened vertex %v not in the table's result", got2[tr[k]])
					}
					m[k] = j
				}
				if !want[canonTri(m)] {
					t.Fatalf("coarsened triangle %v not in the table's result", m)
				}
			}
		})
	}
}

// canonTri rotates a triangle so that its smallest vertex comes first,
// keeping its winding.
func canonTri(t [3]int32) [3]int32 {
	for t[0] > t[1] || t[0] > t[2] {
		t = [3]int32{t[1], t[2], t[0]}
	}
	return t
}
