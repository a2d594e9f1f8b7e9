package geom

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Vec3 is a point or direction in 3-D space (metres for points).
type Vec3 [3]float64

// Add returns a + b.
func (a Vec3) Add(b Vec3) Vec3 { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }

// Sub returns a - b.
func (a Vec3) Sub(b Vec3) Vec3 { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// Scale returns s * a.
func (a Vec3) Scale(s float64) Vec3 { return Vec3{s * a[0], s * a[1], s * a[2]} }

// Dot returns the scalar product.
func (a Vec3) Dot(b Vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// Cross returns the vector product a x b.
func (a Vec3) Cross(b Vec3) Vec3 {
	return Vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// Norm returns the Euclidean length.
func (a Vec3) Norm() float64 { return math.Sqrt(a.Dot(a)) }

// Unit returns a scaled to length 1 (a itself when its length is 0).
func (a Vec3) Unit() Vec3 {
	n := a.Norm()
	if n == 0 {
		return a
	}
	return a.Scale(1 / n)
}

// Mat3 is a 3x3 matrix, row-major (m[i][j] is row i, column j).
type Mat3 [3][3]float64

// Identity3 returns the 3x3 identity.
func Identity3() Mat3 { return Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} }

// MulVec returns m v.
func (m Mat3) MulVec(v Vec3) Vec3 {
	return Vec3{
		m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2],
		m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2],
		m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2],
	}
}

// Mul returns the product m n.
func (m Mat3) Mul(n Mat3) Mat3 {
	var out Mat3
	for i := range 3 {
		for j := range 3 {
			out[i][j] = m[i][0]*n[0][j] + m[i][1]*n[1][j] + m[i][2]*n[2][j]
		}
	}
	return out
}

// Col returns column j.
func (m Mat3) Col(j int) Vec3 { return Vec3{m[0][j], m[1][j], m[2][j]} }

// RotationBetween returns the rotation matrix that maps the unit vector a
// onto the unit vector b (Rodrigues' formula, as MNE's
// _find_vector_rotation): the identity when a and b are (numerically)
// parallel and pointing the same way.
func RotationBetween(a, b Vec3) Mat3 {
	r := Identity3()
	v := a.Cross(b)
	if math.Abs(v[0]) <= 1e-8 && math.Abs(v[1]) <= 1e-8 && math.Abs(v[2]) <= 1e-8 {
		return r
	}
	s := v.Dot(v) // squared sine of the angle
	c := a.Dot(b)
	vx := Mat3{{0, -v[2], v[1]}, {v[2], 0, -v[0]}, {-v[1], v[0], 0}}
	vx2 := vx.Mul(vx)
	f := (1 - c) / s
	for i := range 3 {
		for j := range 3 {
			r[i][j] += vx[i][j] + vx2[i][j]*f
		}
	}
	return r
}

// Transform is a 4x4 affine transformation, row-major, last row 0 0 0 1:
// p' = R p + t with R the upper-left 3x3 block and t the last column.
type Transform [4][4]float64

// Identity returns the identity transform.
func Identity() Transform {
	return Transform{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}
}

// Translation returns the transform that moves points by t.
func Translation(t Vec3) Transform {
	m := Identity()
	m[0][3], m[1][3], m[2][3] = t[0], t[1], t[2]
	return m
}

// Rotation returns the upper-left 3x3 block.
func (t Transform) Rotation() Mat3 {
	return Mat3{{t[0][0], t[0][1], t[0][2]}, {t[1][0], t[1][1], t[1][2]}, {t[2][0], t[2][1], t[2][2]}}
}

// Translation returns the last column.
func (t Transform) Translation() Vec3 { return Vec3{t[0][3], t[1][3], t[2][3]} }

// Apply transforms a point (rotation and translation).
func (t Transform) Apply(p Vec3) Vec3 {
	return Vec3{
		t[0][0]*p[0] + t[0][1]*p[1] + t[0][2]*p[2] + t[0][3],
		t[1][0]*p[0] + t[1][1]*p[1] + t[1][2]*p[2] + t[1][3],
		t[2][0]*p[0] + t[2][1]*p[1] + t[2][2]*p[2] + t[2][3],
	}
}

// ApplyDir transforms a direction (rotation only).
func (t Transform) ApplyDir(v Vec3) Vec3 { return t.Rotation().MulVec(v) }

// Mul returns the composition t u (u applied first).
func (t Transform) Mul(u Transform) Transform {
	var out Transform
	for i := range 4 {
		for j := range 4 {
			out[i][j] = t[i][0]*u[0][j] + t[i][1]*u[1][j] + t[i][2]*u[2][j] + t[i][3]*u[3][j]
		}
	}
	return out
}

// Inverse returns the inverse of an affine transform, or false when its
// 3x3 block is singular.
func (t Transform) Inverse() (Transform, bool) {
	r := t.Rotation()
	c00 := r[1][1]*r[2][2] - r[1][2]*r[2][1]
	c01 := r[1][2]*r[2][0] - r[1][0]*r[2][2]
	c02 := r[1][0]*r[2][1] - r[1][1]*r[2][0]
	det := r[0][0]*c00 + r[0][1]*c01 + r[0][2]*c02
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return Transform{}, false
	}
	inv := Mat3{
		{c00 / det, (r[0][2]*r[2][1] - r[0][1]*r[2][2]) / det, (r[0][1]*r[1][2] - r[0][2]*r[1][1]) / det},
		{c01 / det, (r[0][0]*r[2][2] - r[0][2]*r[2][0]) / det, (r[0][2]*r[1][0] - r[0][0]*r[1][2]) / det},
		{c02 / det, (r[0][1]*r[2][0] - r[0][0]*r[2][1]) / det, (r[0][0]*r[1][1] - r[0][1]*r[1][0]) / det},
	}
	tr := inv.MulVec(t.Translation())
	var out Transform
	for i := range 3 {
		for j := range 3 {
			out[i][j] = inv[i][j]
		}
		out[i][3] = -tr[i]
	}
	out[3][3] = 1
	return out, true
}

// CoilTransform builds the transform of a sensor from the 12 numbers of a
// FIF channel location: the position, then the unit vectors ex, ey, ez of
// the coil frame, which become the columns of the rotation (MNE's
// _loc_to_coil_trans).
func CoilTransform(loc [12]float64) Transform {
	var t Transform
	for i := range 3 {
		t[i][3] = loc[i]
		t[i][0] = loc[3+i]
		t[i][1] = loc[6+i]
		t[i][2] = loc[9+i]
	}
	t[3][3] = 1
	return t
}

// CoilLoc is the inverse of CoilTransform: position, then the columns of
// the rotation.
func CoilLoc(t Transform) [12]float64 {
	var loc [12]float64
	for i := range 3 {
		loc[i] = t[i][3]
		loc[3+i] = t[i][0]
		loc[6+i] = t[i][1]
		loc[9+i] = t[i][2]
	}
	return loc
}

// ParseVec3 reads "x,y,z" (optionally in brackets or parentheses, as a YAML
// or Python list would be written): three finite numbers.
func ParseVec3(s string) (Vec3, error) {
	var v Vec3
	parts := strings.Split(strings.Trim(strings.TrimSpace(s), "[]()"), ",")
	if len(parts) != 3 {
		return v, fmt.Errorf("%q is not X,Y,Z", s)
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return Vec3{}, fmt.Errorf("%q is not X,Y,Z (finite numbers)", s)
		}
		v[i] = x
	}
	return v, nil
}
