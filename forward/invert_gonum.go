//go:build !openblas

package forward

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// luInvert replaces the n x n row-major matrix a by its inverse (LU with
// partial pivoting, then the inverse from the factors: LAPACK's getrf and
// getri, as scipy.linalg.inv), on gonum's pure-Go LAPACK, which works on
// row-major storage directly. It returns false if a is singular.
func luInvert(n int, a []float64) bool {
	raw := blas64.General{Rows: n, Cols: n, Stride: n, Data: a}
	ipiv := make([]int, n)
	if !lapack64.Getrf(raw, ipiv) {
		return false
	}
	work := []float64{0}
	lapack64.Getri(raw, ipiv, work, -1)
	work = make([]float64, max(int(work[0]), n))
	return lapack64.Getri(raw, ipiv, work, len(work))
}
