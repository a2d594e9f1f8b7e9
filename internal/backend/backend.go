// Package backend selects the BLAS/LAPACK implementation behind gonum for
// the whole program. By default it is gonum's pure-Go code. Built with
// the tag "openblas" (make build does so when Debian's libopenblas-dev and
// liblapacke-dev are installed; make deps installs them), gonum's global
// BLAS and LAPACK are switched to OpenBLAS through gonum.org/v1/netlib,
// about 10x faster on the large dense products and factorizations of the
// BEM, forward and inverse stages; blas32 (single precision, used to
// apply inverse kernels) is switched as well. Both builds pass every test.
//
// Import it for its side effect from a main package or a benchmark, and
// report Name so that timings say which backend ran.
package backend

// name is set by the openblas build.
var name = "gonum (pure Go)"

// Name says which BLAS/LAPACK backend the program runs on.
func Name() string { return name }

// getThreads and setThreads are replaced by the openblas build.
var (
	getThreads = func() int { return 0 }
	setThreads = func(int) {}
)

// Threads reports how many threads the BLAS library runs one call on, or
// 0 for gonum's pure-Go BLAS (whose level-3 routines follow GOMAXPROCS).
func Threads() int { return getThreads() }

// SetThreads sets the number of threads of the BLAS library for the whole
// process (OpenBLAS's openblas_set_num_threads) and returns the previous
// number; n < 1 means 1. It does nothing and returns 0 for the pure-Go
// backend. Callers that change it should restore it.
func SetThreads(n int) int {
	prev := getThreads()
	if prev == 0 {
		return 0
	}
	setThreads(max(n, 1))
	return prev
}
