// Package backend selects the BLAS/LAPACK implementation behind gonum for
// the whole program. By default it is gonum's pure-Go code. Built with
// the tag "openblas" (make build does so when Debian's libopenblas-dev and
// liblapacke-dev are installed; make deps installs them), gonum's global
// BLAS and LAPACK are switched to OpenBLAS through gonum.org/v1/netlib,
// about 10x faster on the large dense products and factorizations of the
// BEM, forward and inverse stages. Both builds pass every test.
//
// Import it for its side effect from a main package or a benchmark, and
// report Name so that timings say which backend ran.
package backend

// name is set by the openblas build.
var name = "gonum (pure Go)"

// Name says which BLAS/LAPACK backend the program runs on.
func Name() string { return name }
