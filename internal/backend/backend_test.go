package backend

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestBackendSolves checks that the selected backend computes: a small
// linear solve and product, whichever implementation is behind gonum.
func TestBackendSolves(t *testing.T) {
	t.Logf("BLAS/LAPACK backend: %s", Name())
	a := mat.NewDense(3, 3, []float64{4, 1, 0, 1, 3, 1, 0, 1, 2})
	b := mat.NewVecDense(3, []float64{1, 2, 3})
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		t.Fatal(err)
	}
	var back mat.VecDense
	back.MulVec(a, &x)
	for i := range 3 {
		if math.Abs(back.AtVec(i)-b.AtVec(i)) > 1e-12 {
			t.Fatalf("A x = %v, want %v", back.RawVector().Data, b.RawVector().Data)
		}
	}
}
