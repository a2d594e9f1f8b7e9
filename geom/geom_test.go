package geom

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFitSphere(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := Vec3{0.001, -0.004, 0.045}
	const r = 0.092
	var pts []Vec3
	for range 200 {
		v := Vec3{rng.NormFloat64(), rng.NormFloat64(), math.Abs(rng.NormFloat64())}.Unit()
		noise := 1 + 0.002*rng.NormFloat64()
		pts = append(pts, want.Add(v.Scale(r*noise)))
	}
	c, rad, err := FitSphere(pts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sub(want).Norm() > 5e-4 || math.Abs(rad-r) > 5e-4 {
		t.Fatalf("fit %v r=%g, want %v r=%g", c, rad, want, r)
	}
	// The result is a stationary point of the least-squares cost.
	base := sphereCost(pts, c, rad)
	for k := range 4 {
		for _, h := range []float64{-1e-7, 1e-7} {
			cc, rr := c, rad
			if k < 3 {
				cc[k] += h
			} else {
				rr += h
			}
			if sphereCost(pts, cc, rr) < base-1e-15 {
				t.Fatalf("cost decreases along parameter %d: not a minimum", k)
			}
		}
	}
	if _, _, err := FitSphere(pts[:3]); err == nil {
		t.Fatal("3 points accepted")
	}
	flat := []Vec3{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {2, 1, 0}}
	if _, _, err := FitSphere(flat); err == nil {
		t.Fatal("coplanar points accepted")
	}
}

func TestExcludeFrontal(t *testing.T) {
	in := []Vec3{{0, 0.05, -0.01}, {0, -0.05, -0.01}, {0, 0.05, 0.01}}
	out := ExcludeFrontal(in)
	if len(out) != 2 || out[0] != in[1] || out[1] != in[2] {
		t.Fatalf("got %v", out)
	}
}

func TestTransforms(t *testing.T) {
	loc := [12]float64{0.01, 0.02, 0.03, 0, 1, 0, -1, 0, 0, 0, 0, 1}
	tr := CoilTransform(loc)
	if CoilLoc(tr) != loc {
		t.Fatal("CoilLoc(CoilTransform(loc)) != loc")
	}
	p := tr.Apply(Vec3{1, 0, 0})
	if p != (Vec3{0.01, 1.02, 0.03}) {
		t.Fatalf("Apply: %v", p)
	}
	inv, ok := tr.Inverse()
	if !ok {
		t.Fatal("not invertible")
	}
	q := inv.Apply(p)
	if q.Sub(Vec3{1, 0, 0}).Norm() > 1e-15 {
		t.Fatalf("inverse: %v", q)
	}
	id := tr.Mul(inv)
	for i := range 4 {
		for j := range 4 {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(id[i][j]-want) > 1e-15 {
				t.Fatalf("t * inv(t) = %v", id)
			}
		}
	}
	if _, ok := (Transform{}).Inverse(); ok {
		t.Fatal("zero transform inverted")
	}
	tt := Translation(Vec3{1, 2, 3})
	if tt.Apply(Vec3{}) != (Vec3{1, 2, 3}) || tt.ApplyDir(Vec3{1, 0, 0}) != (Vec3{1, 0, 0}) {
		t.Fatal("translation")
	}
}

func TestRotationBetween(t *testing.T) {
	a := Vec3{1, 2, 3}.Unit()
	b := Vec3{-0.5, 0.2, 1}.Unit()
	r := RotationBetween(a, b)
	if r.MulVec(a).Sub(b).Norm() > 1e-14 {
		t.Fatalf("R a = %v, want %v", r.MulVec(a), b)
	}
	// Orthonormal with determinant 1.
	for i := range 3 {
		for j := range 3 {
			d := r.Col(i).Dot(r.Col(j))
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(d-want) > 1e-14 {
				t.Fatal("not orthonormal")
			}
		}
	}
	if RotationBetween(a, a) != Identity3() {
		t.Fatal("parallel vectors: want identity")
	}
	if v := (Vec3{1, 0, 0}).Cross(Vec3{0, 1, 0}); v != (Vec3{0, 0, 1}) {
		t.Fatalf("cross %v", v)
	}
}
