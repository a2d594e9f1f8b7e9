package rsa

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Metric is a dissimilarity measure between two stimulus patterns.
type Metric int

const (
	// Correlation is 1 − Pearson r (scipy's pdist metric "correlation").
	Correlation Metric = iota
	// Euclidean is the Euclidean distance (scipy's "euclidean").
	Euclidean
)

// String returns the measure's name as stored in the HDF5 attribute
// dissimilarity_measure ("correlation", "euclidean").
func (m Metric) String() string {
	switch m {
	case Correlation:
		return "correlation"
	case Euclidean:
		return "euclidean"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// ParseMetric parses "correlation" or "euclidean".
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "correlation":
		return Correlation, nil
	case "euclidean":
		return Euclidean, nil
	}
	return 0, fmt.Errorf("rsa: unknown metric %q (want correlation or euclidean)", s)
}

// NPairs returns n(n−1)/2, the length of a condensed RDM of n patterns.
func NPairs(n int) int { return n * (n - 1) / 2 }

// PairIndex returns the position of pair (i, j), i != j, in a condensed RDM
// of n patterns: the upper triangle i<j, row-major, as scipy's pdist and
// squareform order it.
func PairIndex(i, j, n int) int {
	if i > j {
		i, j = j, i
	}
	return n*i - i*(i+1)/2 + (j - i - 1)
}

// Square expands a condensed RDM of n patterns to a full n×n row-major
// matrix with a zero diagonal.
func Square(d []float64, n int) []float64 {
	s := make([]float64, n*n)
	k := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s[i*n+j], s[j*n+i] = d[k], d[k]
			k++
		}
	}
	return s
}

// RDM returns the condensed RDM (length NPairs(n)) of the n patterns that
// are the rows of x (n×p, row-major).
func RDM(x []float64, n, p int, m Metric) []float64 {
	if len(x) < n*p {
		panic(fmt.Sprintf("rsa: RDM: len(x)=%d < n*p=%d", len(x), n*p))
	}
	var w worker
	out := make([]float64, NPairs(n))
	w.rdm(out, n, p, m, func(i int, row []float64) { copy(row, x[i*p:(i+1)*p]) })
	return out
}

// worker holds the scratch buffers of one goroutine.
type worker struct {
	z    []float64 // n×k normalized patterns, row-major
	norm []float64 // squared norms (euclidean)
	zt   []float64 // transposed patterns for the AVX2 kernel
}

// rdm fills out with the condensed RDM of n patterns of length k, row i of
// which fill(i, row) writes.
func (w *worker) rdm(out []float64, n, k int, m Metric, fill func(i int, row []float64)) {
	if cap(w.z) < n*k {
		w.z = make([]float64, n*k)
	}
	z := w.z[:n*k]
	for i := 0; i < n; i++ {
		fill(i, z[i*k:(i+1)*k])
	}
	switch m {
	case Correlation:
		for i := 0; i < n; i++ {
			row := z[i*k : (i+1)*k]
			var s float64
			for _, v := range row {
				s += v
			}
			mean := s / float64(k)
			var ss float64
			for j, v := range row {
				v -= mean
				row[j] = v
				ss += v * v
			}
			inv := 1 / math.Sqrt(ss) // NaN/Inf for a constant pattern, as scipy
			for j := range row {
				row[j] *= inv
			}
		}
		w.zt = gramCondensedScratch(out, z, n, k, -1, 1, w.zt)
	case Euclidean:
		if cap(w.norm) < n {
			w.norm = make([]float64, n)
		}
		nr := w.norm[:n]
		for i := 0; i < n; i++ {
			var ss float64
			for _, v := range z[i*k : (i+1)*k] {
				ss += v * v
			}
			nr[i] = ss
		}
		w.zt = gramCondensedScratch(out, z, n, k, -2, 0, w.zt)
		p := 0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				out[p] = math.Sqrt(max(0, out[p]+nr[i]+nr[j]))
				p++
			}
		}
	default:
		panic("rsa: unknown metric")
	}
}

// workers returns the number of goroutines to use for jobs parts.
func workers(n, parts int) int {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(1, min(n, parts))
}

// parallel runs fn(w, i) for i in [0, parts) on nw goroutines, each with its
// own worker.
func parallel(nw, parts int, fn func(w *worker, i int)) {
	nw = workers(nw, parts)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < nw; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w worker
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= parts {
					return
				}
				fn(&w, i)
			}
		}()
	}
	wg.Wait()
}
