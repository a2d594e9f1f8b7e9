package backend

import "sync"

var (
	singleMu   sync.Mutex
	singleUses int
	singlePrev int
)

// SingleThreaded makes the BLAS library run each call on one thread until
// the returned function is called. It is for callers that spread
// independent BLAS calls over goroutines themselves: after every
// multi-threaded call OpenBLAS's idle threads spin (sched_yield) for a
// while, competing with those goroutines for the cores. Concurrent users
// share one reference count, and the previous setting comes back when the
// last is done; BLAS calls made elsewhere in the process meanwhile run on
// one thread. It does nothing for the pure-Go backend, whose level-3
// routines follow GOMAXPROCS.
func SingleThreaded() (restore func()) {
	if Threads() == 0 {
		return func() {}
	}
	singleMu.Lock()
	if singleUses == 0 {
		singlePrev = SetThreads(1)
	}
	singleUses++
	singleMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			singleMu.Lock()
			singleUses--
			if singleUses == 0 {
				SetThreads(singlePrev)
			}
			singleMu.Unlock()
		})
	}
}
