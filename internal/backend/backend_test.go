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

// TestThreads checks that SetThreads changes and restores the BLAS
// threads (OpenBLAS), or reports 0 (pure Go).
func TestThreads(t *testing.T) {
	n := Threads()
	t.Logf("%s: %d thread(s)", Name(), n)
	if n == 0 {
		if SetThreads(1) != 0 {
			t.Error("pure-Go SetThreads returned non-zero")
		}
		return
	}
	if prev := SetThreads(1); prev != n {
		t.Errorf("SetThreads returned %d, want %d", prev, n)
	}
	if Threads() != 1 {
		t.Errorf("threads %d after SetThreads(1)", Threads())
	}
	SetThreads(n)
	if Threads() != n {
		t.Errorf("threads %d after restoring %d", Threads(), n)
	}
}
