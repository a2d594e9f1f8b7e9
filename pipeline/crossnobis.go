package pipeline

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/megflow/megflow/epochs"
	"github.com/megflow/megflow/fif"
	"github.com/megflow/megflow/rsa"
)

// Cross-validated Mahalanobis distances (rsa.metric: crossnobis) compare
// the patterns of different runs: each pattern (condition or stimulus) is
// averaged within every run, and the distance of two patterns is the
// product of their differences in two different runs, averaged over run
// pairs — an unbiased estimate of the squared distance. The patterns are
// dSPM values, which are noise-normalized source by source (univariate
// noise whitening; the correlations between sources are not removed).

const crossnobis = "crossnobis"

// runOfEpochs gives the run (0-based) of every kept epoch. The epochs of
// all runs were concatenated; their drop log has one entry per event of
// each run's events file, in run order, and Selection indexes it.
func runOfEpochs(ep *epochs.Epochs, eventFiles []string) ([]int, error) {
	var bounds []int
	n := 0
	for _, f := range eventFiles {
		ev, err := fif.ReadEvents(f)
		if err != nil {
			return nil, err
		}
		n += len(ev)
		bounds = append(bounds, n)
	}
	if n != len(ep.DropLog) {
		return nil, fmt.Errorf("the epochs' drop log has %d entries but the runs' event files %d events: were the epochs made from these runs?", len(ep.DropLog), n)
	}
	out := make([]int, ep.Len())
	for i, s := range ep.Selection {
		r := 0
		for r < len(bounds) && s >= bounds[r] {
			r++
		}
		if r == len(bounds) {
			return nil, fmt.Errorf("epoch %d: selection %d outside the %d events", i, s, n)
		}
		out[i] = r
	}
	return out, nil
}

// runPatterns splits a pattern set by run: count[r][p] epochs of pattern p
// in run r. Every pattern must occur in every run.
func (ps *patternSet) byRun(runOf []int, nRuns int, cond []string) ([][]int, error) {
	count := make([][]int, nRuns)
	for r := range count {
		count[r] = make([]int, len(ps.members))
	}
	for p, m := range ps.members {
		for _, i := range m {
			count[runOf[i]][p]++
		}
	}
	for r := range count {
		for p, c := range count[r] {
			if c == 0 {
				return nil, fmt.Errorf("rsa.metric crossnobis: pattern %q has no epoch in run %d; every pattern needs every run", cond[p], r+1)
			}
		}
	}
	return count, nil
}

// accumulateRun is accumulate into the run's block of dst (runs × patterns
// × sources × (t1−t0)).
func (ps *patternSet) accumulateRun(dst []float32, nSrc int, i, run int, count [][]int, d []float32, a, nt, t0, t1 int) {
	p := ps.patOf[i]
	k := run*len(ps.members) + p
	n := t1 - t0
	addScaled(dst[k*nSrc*n:(k+1)*nSrc*n], float32(1/float64(count[run][p])), nSrc, d, a, nt, t0, t1)
}

// crossnobisRDMs computes one crossnobis RDM per parcel (row q of the
// result for parcels[q]) from run patterns data (runs × nPat × nSrc × nt),
// using the samples [lo, hi) of each pattern's time axis (averaged).
func crossnobisRDMs(data []float32, nRuns, nPat, nSrc, nt, lo, hi int, parcels [][]int, emit func(q int, rdm []float64) error) error {
	type result struct {
		q   int
		rdm []float64
		err error
	}
	jobs := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range jobs {
				p := len(parcels[q])
				runs := make([][]float64, nRuns)
				for r := range runs {
					u := make([]float64, nPat*p)
					for c := range nPat {
						base := (r*nPat + c) * nSrc * nt
						for k, s := range parcels[q] {
							var sum float64
							for _, v := range data[base+s*nt+lo : base+s*nt+hi] {
								sum += float64(v)
							}
							u[c*p+k] = sum / float64(hi-lo)
						}
					}
					runs[r] = u
				}
				d, err := rsa.CrossnobisRDM(runs, nPat, p)
				results <- result{q, d, err}
			}
		}()
	}
	go func() {
		for q := range parcels {
			jobs <- q
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var first error
	for r := range results {
		if first == nil && r.err == nil {
			first = emit(r.q, r.rdm)
		} else if first == nil {
			first = r.err
		}
	}
	return first
}
