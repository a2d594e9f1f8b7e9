package rsa

import (
	"fmt"
	"sort"
	"sync"
)

// Parcels groups source indices by parcel: parcels[p] lists the sources
// (columns of the pattern matrices) of parcel p, in increasing order, from
// labelOf[s] = parcel of source s (−1 or any negative value: none).
// Parcels numbered ≥ nParcels are an error.
func Parcels(labelOf []int, nParcels int) ([][]int, error) {
	ps := make([][]int, nParcels)
	for s, l := range labelOf {
		if l < 0 {
			continue
		}
		if l >= nParcels {
			return nil, fmt.Errorf("rsa: source %d has parcel %d, want < %d", s, l, nParcels)
		}
		ps[l] = append(ps[l], s)
	}
	return ps, nil
}

// WindowRDMs returns one condensed RDM per parcel (n_parcels × NPairs(nStim),
// row-major) from patterns x (nStim × nSrc, row-major): the pattern of a
// stimulus in parcel p is x[stim, parcels[p]]. This is method (i), where x
// holds each stimulus's source values averaged over the analysis window
// (see WindowMean). Parcels run in parallel on nWorkers goroutines (≤ 0:
// GOMAXPROCS).
func WindowRDMs(x []float64, nStim, nSrc int, parcels [][]int, m Metric, nWorkers int) []float64 {
	if len(x) < nStim*nSrc {
		panic(fmt.Sprintf("rsa: WindowRDMs: len(x)=%d < %d×%d", len(x), nStim, nSrc))
	}
	np := NPairs(nStim)
	out := make([]float64, len(parcels)*np)
	parallel(nWorkers, len(parcels), func(w *worker, p int) {
		idx := parcels[p]
		w.rdm(out[p*np:(p+1)*np], nStim, len(idx), m, func(i int, row []float64) {
			xi := x[i*nSrc : (i+1)*nSrc]
			for j, s := range idx {
				row[j] = xi[s]
			}
		})
	})
	return out
}

// WindowMean averages data (nEpochs × nSrc × nTimes, row-major, the layout
// of source estimates) over the samples [t0, t1) and returns nEpochs × nSrc
// float64 patterns.
func WindowMean(data []float32, nEpochs, nSrc, nTimes, t0, t1 int) ([]float64, error) {
	if t0 < 0 || t1 > nTimes || t0 >= t1 {
		return nil, fmt.Errorf("rsa: window samples [%d, %d) outside [0, %d)", t0, t1, nTimes)
	}
	out := make([]float64, nEpochs*nSrc)
	inv := 1 / float64(t1-t0)
	for e := 0; e < nEpochs; e++ {
		for s := 0; s < nSrc; s++ {
			row := data[(e*nSrc+s)*nTimes:][t0:t1]
			var sum float64
			for _, v := range row {
				sum += float64(v)
			}
			out[e*nSrc+s] = sum * inv
		}
	}
	return out, nil
}

// TimeOptions selects the samples of time-resolved RDMs.
type TimeOptions struct {
	// Times are the centre samples; nil means every sample.
	Times []int
	// Width is the number of samples averaged around each centre
	// (samples c−Width/2 … c+(Width−1)/2, clipped to the data); ≤ 1 is the
	// single sample.
	Width int
	// Workers is the number of goroutines (≤ 0: GOMAXPROCS).
	Workers int
}

// TimeRDMs computes method (ii): for each parcel p and each selected time
// sample, the RDM of the stimulus patterns data[stim, parcels[p], t]
// (data is nStim × nSrc × nTimes, row-major, as source estimates are
// stored). emit receives each RDM (NPairs(nStim) values, valid only during
// the call) with its parcel and the index into the selected times; it is
// called from one goroutine at a time; the RDMs of a parcel come in time
// order, parcels in no particular order.
func TimeRDMs(data []float32, nStim, nSrc, nTimes int, parcels [][]int, m Metric, opt TimeOptions, emit func(parcel, ti int, rdm []float64)) error {
	if len(data) < nStim*nSrc*nTimes {
		return fmt.Errorf("rsa: TimeRDMs: len(data)=%d < %d×%d×%d", len(data), nStim, nSrc, nTimes)
	}
	times := opt.Times
	if times == nil {
		times = make([]int, nTimes)
		for i := range times {
			times[i] = i
		}
	}
	for _, t := range times {
		if t < 0 || t >= nTimes {
			return fmt.Errorf("rsa: TimeRDMs: sample %d outside [0, %d)", t, nTimes)
		}
	}
	width := max(1, opt.Width)
	np := NPairs(nStim)
	nt := len(times)
	var mu sync.Mutex
	// One task per parcel: its samples are first gathered time-major
	// (nt × nStim × k, window-averaged), so that every RDM reads
	// contiguous patterns; then the RDMs of all selected times follow.
	type scratch struct {
		out []float64
		buf []float64
	}
	var pool sync.Pool
	parallel(opt.Workers, len(parcels), func(w *worker, p int) {
		idx := parcels[p]
		k := len(idx)
		sb, _ := pool.Get().(*scratch)
		if sb == nil {
			sb = &scratch{out: make([]float64, np)}
		}
		if cap(sb.buf) < nt*nStim*k {
			sb.buf = make([]float64, nt*nStim*k)
		}
		buf := sb.buf[:nt*nStim*k]
		for i := 0; i < nStim; i++ {
			for j, s := range idx {
				row := data[(i*nSrc+s)*nTimes : (i*nSrc+s+1)*nTimes]
				for ti, c := range times {
					var v float64
					if width == 1 {
						v = float64(row[c])
					} else {
						t0, t1 := max(0, c-width/2), min(nTimes, c+(width-1)/2+1)
						var sum float64
						for _, x := range row[t0:t1] {
							sum += float64(x)
						}
						v = sum / float64(t1-t0)
					}
					buf[(ti*nStim+i)*k+j] = v
				}
			}
		}
		for ti := range times {
			bt := buf[ti*nStim*k : (ti+1)*nStim*k]
			w.rdm(sb.out, nStim, k, m, func(i int, row []float64) {
				copy(row, bt[i*k:(i+1)*k])
			})
			mu.Lock()
			emit(p, ti, sb.out)
			mu.Unlock()
		}
		pool.Put(sb)
	})
	return nil
}

// Groups returns the distinct keys in order of first appearance and the
// indices of the items with each key (for averaging epochs by condition or
// stimulus).
func Groups(keys []string) (names []string, members [][]int) {
	pos := map[string]int{}
	for i, k := range keys {
		g, ok := pos[k]
		if !ok {
			g = len(names)
			pos[k] = g
			names = append(names, k)
			members = append(members, nil)
		}
		members[g] = append(members[g], i)
	}
	return names, members
}

// SortedGroups is Groups with the keys in sorted order.
func SortedGroups(keys []string) (names []string, members [][]int) {
	names, members = Groups(keys)
	ord := make([]int, len(names))
	for i := range ord {
		ord[i] = i
	}
	sort.SliceStable(ord, func(a, b int) bool { return names[ord[a]] < names[ord[b]] })
	n2 := make([]string, len(names))
	m2 := make([][]int, len(names))
	for i, o := range ord {
		n2[i], m2[i] = names[o], members[o]
	}
	return n2, m2
}

// Average averages the rows of x (nRows × rowLen) within each group of
// members and returns len(members) × rowLen.
func Average(x []float32, rowLen int, members [][]int) []float32 {
	out := make([]float32, len(members)*rowLen)
	acc := make([]float64, rowLen)
	for g, mem := range members {
		clear(acc)
		for _, r := range mem {
			for j, v := range x[r*rowLen : (r+1)*rowLen] {
				acc[j] += float64(v)
			}
		}
		inv := 1 / float64(len(mem))
		for j, v := range acc {
			out[g*rowLen+j] = float32(v * inv)
		}
	}
	return out
}
