//go:build openblas

package backend

// #cgo LDFLAGS: -lopenblas -llapacke
// extern void openblas_set_num_threads(int);
// extern int openblas_get_num_threads(void);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	blasnetlib "gonum.org/v1/netlib/blas/netlib"
	lapacknetlib "gonum.org/v1/netlib/lapack/netlib"
)

func init() {
	blas64.Use(blasnetlib.Implementation{})
	blas32.Use(blasnetlib.Implementation{})
	lapack64.Use(lapacknetlib.Implementation{})
	name = "OpenBLAS (gonum.org/v1/netlib, cgo)"
	getThreads = func() int { return int(C.openblas_get_num_threads()) }
	setThreads = func(n int) { C.openblas_set_num_threads(C.int(n)) }
}
