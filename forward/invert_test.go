package forward

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestInvertInPlace checks the BEM inversion (OpenBLAS's LAPACK on the
// transposed matrix in the openblas build, gonum's LAPACK otherwise) on
// sizes around the transpose's 32 x 32 tiles: A·inv(A) = I, and a
// singular matrix is reported.
func TestInvertInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 31, 32, 33, 70} {
		a := mat.NewDense(n, n, nil)
		for i := range n {
			for j := range n {
				a.Set(i, j, r.Float64()-0.5)
			}
			a.Set(i, i, a.At(i, i)+2)
		}
		inv := mat.DenseCopyOf(a)
		if err := invertInPlace(inv); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		var p mat.Dense
		p.Mul(a, inv)
		for i := range n {
			for j := range n {
				want := 0.0
				if i == j {
					want = 1
				}
				if d := math.Abs(p.At(i, j) - want); d > 1e-12 {
					t.Fatalf("n=%d: (A·inv(A))[%d,%d] off by %g", n, i, j, d)
				}
			}
		}
	}
	s := mat.NewDense(3, 3, []float64{1, 2, 3, 2, 4, 6, 0, 1, 1})
	if err := invertInPlace(s); err == nil {
		t.Error("singular matrix inverted without error")
	}
}
