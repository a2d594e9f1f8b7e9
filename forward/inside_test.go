package forward

import (
	"math/rand/v2"
	"testing"

	"github.com/megflow/megflow/geom"
)

// TestInsideTester checks the ray-cast interior test against the solid
// angles (geom.Mesh.Inside) on a bumpy closed surface: random points,
// vertices, edge midpoints, points just off the surface and points over
// vertices (rays through them), and on an open surface (fallback).
func TestInsideTester(t *testing.T) {
	rr, tris, err := IcoSphere(3)
	if err != nil {
		t.Fatal(err)
	}
	// Not convex, not centred, in metres.
	for i, p := range rr {
		rr[i] = p.Scale(0.08 * (1 + 0.15*p[0]*p[1] + 0.1*p[2]*p[2])).Add(geom.Vec3{0.01, -0.02, 0.03})
	}
	m, err := geom.NewMesh(rr, tris)
	if err != nil {
		t.Fatal(err)
	}
	it := newInsideTester(m)
	if !it.closed {
		t.Fatal("closed surface not recognized")
	}
	var pts []geom.Vec3
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		pts = append(pts, geom.Vec3{r.Float64()*0.24 - 0.11, r.Float64()*0.24 - 0.14, r.Float64()*0.24 - 0.09})
	}
	for v, p := range m.Rr {
		pts = append(pts, p, p.Add(m.NN[v].Scale(1e-4)), p.Sub(m.NN[v].Scale(1e-4)), p.Add(m.NN[v].Scale(1e-12)),
			p.Add(geom.Vec3{0, 0, 0.01}), p.Sub(geom.Vec3{0, 0, 0.01}))
	}
	for _, tr := range m.Tris {
		pts = append(pts, m.Rr[tr[0]].Add(m.Rr[tr[1]]).Scale(0.5))
	}
	nin, nfall := 0, 0
	for _, p := range pts {
		want := m.Inside(p)
		if got := it.inside(p); got != want {
			t.Fatalf("%v: inside %v, solid angles say %v", p, got, want)
		}
		if want {
			nin++
		}
		if _, ok := it.winding(p); !ok {
			nfall++
		}
	}
	t.Logf("%d points, %d inside, %d decided by solid angles", len(pts), nin, nfall)
	if nin == 0 || nin == len(pts) || nfall > len(pts)/2 {
		t.Errorf("%d inside, %d fallbacks of %d: the test points do not exercise the ray cast", nin, nfall, len(pts))
	}

	// Without one triangle: not closed, every answer from the solid angles.
	open, err := geom.NewMesh(rr, tris[1:])
	if err != nil {
		t.Fatal(err)
	}
	ot := newInsideTester(open)
	if ot.closed {
		t.Fatal("open surface taken for closed")
	}
	for _, p := range pts[:500] {
		if ot.inside(p) != open.Inside(p) {
			t.Fatalf("open surface, %v: differs from the solid angles", p)
		}
	}
}
