package geom

import (
	"errors"
	"fmt"
	"math"
)

// ExcludeFrontal drops the low frontal points (z < 0 and y > 0: nose and
// face), as MNE does before fitting a sphere to the head shape.
func ExcludeFrontal(points []Vec3) []Vec3 {
	out := make([]Vec3, 0, len(points))
	for _, p := range points {
		if p[2] < -1e-6 && p[1] > 1e-6 {
			continue
		}
		out = append(out, p)
	}
	return out
}

// FitSphere returns the centre and radius of the sphere that minimizes the
// sum of squared distances |p - c| - r over the points: the least-squares
// problem MNE-Python's _fit_sphere solves (there with COBYLA, here with
// damped Gauss-Newton iterations from the algebraic fit, to convergence).
// At least 4 points not on one plane are needed.
func FitSphere(points []Vec3) (Vec3, float64, error) {
	if len(points) < 4 {
		return Vec3{}, 0, fmt.Errorf("geom: sphere fit needs at least 4 points, got %d", len(points))
	}
	for _, p := range points {
		if math.IsNaN(p[0]+p[1]+p[2]) || math.IsInf(p[0]+p[1]+p[2], 0) {
			return Vec3{}, 0, errors.New("geom: sphere fit: non-finite point")
		}
	}
	c, r, ok := algebraicSphere(points)
	if !ok {
		return Vec3{}, 0, errors.New("geom: sphere fit: points are degenerate (coplanar or coincident)")
	}
	cost := sphereCost(points, c, r)
	lambda := 1e-3
	for iter := 0; iter < 200; iter++ {
		// Normal equations of the linearized residuals.
		var jtj [4][4]float64
		var jtr [4]float64
		for _, p := range points {
			d := p.Sub(c)
			n := d.Norm()
			if n == 0 {
				continue
			}
			res := n - r
			j := [4]float64{-d[0] / n, -d[1] / n, -d[2] / n, -1}
			for a := range 4 {
				jtr[a] += j[a] * res
				for b := range 4 {
					jtj[a][b] += j[a] * j[b]
				}
			}
		}
		improved := false
		for try := 0; try < 30; try++ {
			var m [4][4]float64
			var rhs [4]float64
			for a := range 4 {
				m[a] = jtj[a]
				m[a][a] += lambda * jtj[a][a]
				rhs[a] = -jtr[a]
			}
			step, ok := solve4(m, rhs)
			if !ok {
				lambda *= 10
				continue
			}
			nc := c.Add(Vec3{step[0], step[1], step[2]})
			nr := r + step[3]
			ncost := sphereCost(points, nc, nr)
			if ncost <= cost {
				small := math.Abs(step[0])+math.Abs(step[1])+math.Abs(step[2])+math.Abs(step[3]) <= 1e-14*math.Max(r, 1e-300)
				c, r, cost = nc, nr, ncost
				lambda = math.Max(lambda/10, 1e-12)
				improved = !small
				break
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	if !(r > 0) {
		return Vec3{}, 0, errors.New("geom: sphere fit did not converge to a positive radius")
	}
	return c, r, nil
}

func sphereCost(points []Vec3, c Vec3, r float64) float64 {
	s := 0.0
	for _, p := range points {
		d := p.Sub(c).Norm() - r
		s += d * d
	}
	return s
}

// algebraicSphere solves |p|^2 = 2 c.p + k in the least-squares sense
// (r^2 = k + |c|^2): a good starting point for the geometric fit.
func algebraicSphere(points []Vec3) (Vec3, float64, bool) {
	// Centre the points for conditioning.
	var mean Vec3
	for _, p := range points {
		mean = mean.Add(p)
	}
	mean = mean.Scale(1 / float64(len(points)))
	var ata [4][4]float64
	var atb [4]float64
	for _, p := range points {
		q := p.Sub(mean)
		row := [4]float64{2 * q[0], 2 * q[1], 2 * q[2], 1}
		b := q.Dot(q)
		for a := range 4 {
			atb[a] += row[a] * b
			for k := range 4 {
				ata[a][k] += row[a] * row[k]
			}
		}
	}
	x, ok := solve4(ata, atb)
	if !ok {
		return Vec3{}, 0, false
	}
	c := Vec3{x[0], x[1], x[2]}
	r2 := x[3] + c.Dot(c)
	if !(r2 > 0) {
		return Vec3{}, 0, false
	}
	return c.Add(mean), math.Sqrt(r2), true
}

// solve4 solves a 4x4 linear system by Gaussian elimination with partial
// pivoting; false when it is (numerically) singular.
func solve4(m [4][4]float64, b [4]float64) ([4]float64, bool) {
	scale := 0.0
	for i := range 4 {
		for j := range 4 {
			scale = math.Max(scale, math.Abs(m[i][j]))
		}
	}
	if scale == 0 {
		return b, false
	}
	for col := range 4 {
		p := col
		for i := col + 1; i < 4; i++ {
			if math.Abs(m[i][col]) > math.Abs(m[p][col]) {
				p = i
			}
		}
		if math.Abs(m[p][col]) <= 1e-14*scale {
			return b, false
		}
		m[col], m[p] = m[p], m[col]
		b[col], b[p] = b[p], b[col]
		for i := col + 1; i < 4; i++ {
			f := m[i][col] / m[col][col]
			for j := col; j < 4; j++ {
				m[i][j] -= f * m[col][j]
			}
			b[i] -= f * b[col]
		}
	}
	var x [4]float64
	for i := 3; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < 4; j++ {
			s -= m[i][j] * x[j]
		}
		x[i] = s / m[i][i]
	}
	return x, true
}
