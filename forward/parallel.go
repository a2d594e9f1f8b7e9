package forward

import (
	"runtime"
	"sync"
)

// parallelFor runs f over [0, n) split in contiguous chunks, one goroutine
// per available core.
func parallelFor(n int, f func(lo, hi int)) {
	parallelForWorker(n, func(_, lo, hi int) { f(lo, hi) })
}

// workers is the number of goroutines parallelForWorker uses for n items.
func workers(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n))
}

// parallelForWorker is parallelFor with the index of the goroutine, in
// [0, workers(n)), passed to f, so that f can use per-goroutine buffers.
func parallelForWorker(n int, f func(w, lo, hi int)) {
	nw := workers(n)
	if nw == 1 {
		if n > 0 {
			f(0, 0, n)
		}
		return
	}
	// Interleaved small chunks balance uneven work.
	chunk := max(1, (n+8*nw-1)/(8*nw))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				f(w, lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}
