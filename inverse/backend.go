package inverse

import "runtime"

// The dense linear algebra of this package runs on gonum's BLAS/LAPACK,
// which internal/backend switches to OpenBLAS in builds with the openblas
// tag (make build, when the library is installed); so is the single-
// precision GEMM of Kernel.Apply (blas32).

// applyWorkers is the number of goroutines that share the row panels of
// one product K·x. Each calls a single-threaded BLAS GEMM
// (backend.SingleThreaded, whose count the forward model's blocks share).
// On 2 cores (loaded machine) this took 0.21–0.24 CPU seconds per
// 1101-sample epoch of the golden kernel, against 0.22–0.86 for one caller
// using OpenBLAS's 2 threads, whose idle threads spin while the caller
// stores a panel.
func applyWorkers() int { return runtime.GOMAXPROCS(0) }
