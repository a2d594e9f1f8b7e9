package forward

import (
	"runtime"
	"sync"
)

// parallelFor runs f over [0, n) split in contiguous chunks, one goroutine
// per available core.
func parallelFor(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	// Interleaved small chunks balance uneven work.
	chunk := (n + 8*workers - 1) / (8 * workers)
	if chunk < 1 {
		chunk = 1
	}
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
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
				f(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}
