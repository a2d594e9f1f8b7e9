package inverse

import (
	"runtime"
	"sync"

	"github.com/megflow/megflow/internal/backend"
)

// The dense linear algebra of this package runs on gonum's BLAS/LAPACK,
// which internal/backend switches to OpenBLAS in builds with the openblas
// tag (make build, when the library is installed); so is the single-
// precision GEMM of Kernel.Apply (blas32).

// applyWorkers is the number of goroutines that share the row panels of
// one product K·x. Each calls a single-threaded BLAS GEMM (see
// blasThreads). On 2 cores (loaded machine) this took 0.21–0.24 CPU
// seconds per 1101-sample epoch of the golden kernel, against 0.22–0.86
// for one caller using OpenBLAS's 2 threads, whose idle threads spin
// while the caller stores a panel.
func applyWorkers() int { return runtime.GOMAXPROCS(0) }

var (
	threadsMu   sync.Mutex
	threadsUses int
	threadsPrev int
)

// blasThreads makes the BLAS library single-threaded while products run
// (their panels are spread over goroutines instead, so that OpenBLAS's
// threads do not compete with them) and returns the function that
// restores the previous setting once the last concurrent user is done.
// BLAS calls made elsewhere in the process meanwhile run on one thread.
func blasThreads() func() {
	if backend.Threads() == 0 {
		return func() {}
	}
	threadsMu.Lock()
	if threadsUses == 0 {
		threadsPrev = backend.SetThreads(1)
	}
	threadsUses++
	threadsMu.Unlock()
	return func() {
		threadsMu.Lock()
		threadsUses--
		if threadsUses == 0 {
			backend.SetThreads(threadsPrev)
		}
		threadsMu.Unlock()
	}
}
