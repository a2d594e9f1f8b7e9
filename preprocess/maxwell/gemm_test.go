package maxwell

import (
	"math"
	"math/rand/v2"
	"testing"
)

func naiveMul(A []float64, m, k int, X []float64, n int) []float64 {
	C := make([]float64, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for p := range k {
				s += A[i*k+p] * X[p*n+j]
			}
			C[i*n+j] = s
		}
	}
	return C
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func TestMulRows(t *testing.T) {
	testMulRows(t)
	if haveFMA {
		// The portable route (gonum) gives the same products.
		haveFMA = false
		defer func() { haveFMA = true }()
		testMulRows(t)
	}
}

func testMulRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 1, 1}, {6, 5, 8}, {7, 13, 9}, {80, 304, 1001}, {306, 69, 200}, {13, 2, 130}} {
		m, k, n := sz[0], sz[1], sz[2]
		A := randSlice(rng, m*k)
		// X rows are picked out of a larger buffer in reverse order.
		nrow := k + 3
		buf := randSlice(rng, nrow*(n+5))
		rows := make([]int, k)
		X := make([]float64, k*n)
		for p := range k {
			rows[p] = nrow - 1 - p
			copy(X[p*n:(p+1)*n], buf[rows[p]*(n+5):][:n])
		}
		want := naiveMul(A, m, k, X, n)
		C := make([]float64, m*(n+2))
		mulRows(C, n+2, A, m, k, buf, n+5, rows, n)
		for i := range m {
			for j := range n {
				if d := math.Abs(C[i*(n+2)+j] - want[i*n+j]); d > 1e-12*float64(k) {
					t.Fatalf("%v: C[%d][%d] = %g, want %g", sz, i, j, C[i*(n+2)+j], want[i*n+j])
				}
			}
		}
		G := gramRows(buf, n+5, rows, k, n)
		Xt := make([]float64, n*k)
		for p := range k {
			for j := range n {
				Xt[j*k+p] = X[p*n+j]
			}
		}
		wantG := naiveMul(X, k, n, Xt, k)
		for i := range wantG {
			if d := math.Abs(G[i] - wantG[i]); d > 1e-12*float64(n) {
				t.Fatalf("%v: G[%d] = %g, want %g", sz, i, G[i], wantG[i])
			}
		}
	}
}

func BenchmarkMulRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, k, n := 80, 304, 11000
	A := randSlice(rng, m*k)
	X := randSlice(rng, k*n)
	C := make([]float64, m*n)
	b.SetBytes(int64(2 * m * k * n)) // flops, reported as "MB/s" = Mflop/s
	for b.Loop() {
		mulRows(C, n, A, m, k, X, n, nil, n)
	}
}

func BenchmarkGramRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, n := 304, 11000
	X := randSlice(rng, m*n)
	b.SetBytes(int64(m * m * n))
	for b.Loop() {
		gramRows(X, n, nil, m, n)
	}
}
