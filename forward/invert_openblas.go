//go:build openblas

package forward

// #cgo LDFLAGS: -lopenblas
// extern void dgetrf_(int *m, int *n, double *a, int *lda, int *ipiv, int *info);
// extern void dgetri_(int *n, double *a, int *lda, int *ipiv, double *work, int *lwork, int *info);
import "C"

import "unsafe"

// luInvert replaces the n x n row-major matrix a by its inverse (LU with
// partial pivoting, then the inverse from the factors: LAPACK's dgetrf and
// dgetri, as scipy.linalg.inv). OpenBLAS's Fortran interface is called
// directly: gonum's netlib binding goes through LAPACKE's row-major entry
// points, which copy the matrix into a freshly allocated transposed buffer
// and back around each call (four transposed copies of the 52 MB ico4
// matrix and two large allocations: 0.15-0.2 s of the 0.6 s the inversion
// took on 2 cores). Here the matrix is transposed in place once before and once
// after, so LAPACK factors the very same column-major matrix as before and
// the inverse is bitwise unchanged. It returns false if a is singular.
func luInvert(n int, a []float64) bool {
	if n == 0 {
		return true
	}
	transposeSquare(n, a)
	ipiv := make([]C.int, n)
	nn, lda := C.int(n), C.int(n)
	var info C.int
	pa := (*C.double)(unsafe.Pointer(&a[0]))
	C.dgetrf_(&nn, &nn, pa, &lda, &ipiv[0], &info)
	if info != 0 {
		return false
	}
	var query C.double
	lwork := C.int(-1)
	C.dgetri_(&nn, pa, &lda, &ipiv[0], &query, &lwork, &info)
	work := make([]C.double, max(int(query), n))
	lwork = C.int(len(work))
	C.dgetri_(&nn, pa, &lda, &ipiv[0], &work[0], &lwork, &info)
	if info != 0 {
		return false
	}
	transposeSquare(n, a)
	return true
}

// transposeSquare transposes the n x n row-major matrix a in place: tiles
// above the diagonal are swapped with their mirror images below it (32 x
// 32 doubles, two tiles fit in L1), in parallel over tile rows.
func transposeSquare(n int, a []float64) {
	const tile = 32
	nt := (n + tile - 1) / tile
	parallelFor(nt, func(lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			i0, i1 := bi*tile, min(bi*tile+tile, n)
			for bj := bi; bj < nt; bj++ {
				j0, j1 := bj*tile, min(bj*tile+tile, n)
				for i := i0; i < i1; i++ {
					row := a[i*n:]
					for j := max(j0, i+1); j < j1; j++ {
						row[j], a[j*n+i] = a[j*n+i], row[j]
					}
				}
			}
		}
	})
}
