package preprocess

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/megflow/megflow/internal/dsp"
)

// Apply filters the rows of a channel-major array in place, as MNE's
// filter_data / raw.filter does for the picked channels: zero-phase FIR
// with 'reflect_limited' edge padding, or IIR forward-backward (scipy's
// sosfiltfilt, odd padding of min(PadLen, nTimes-1) samples). Row r is
// data[r*nTimes:(r+1)*nTimes]; rows nil means every row. Rows are
// filtered in parallel on all cores.
//
// For recordings too large for memory, see NewFilteredRaw.
func (f *Filter) Apply(data []float64, nTimes int, rows []int) error {
	if nTimes <= 0 || len(data)%nTimes != 0 {
		return fmt.Errorf("filter: data of length %d is not a whole number of rows of %d samples", len(data), nTimes)
	}
	nRows := len(data) / nTimes
	if rows == nil {
		rows = make([]int, nRows)
		for i := range rows {
			rows[i] = i
		}
	}
	for _, r := range rows {
		if r < 0 || r >= nRows {
			return fmt.Errorf("filter: row %d out of range [0, %d)", r, nRows)
		}
	}
	switch f.Method {
	case "fir":
		conv := dsp.NewConv(f.Taps, dsp.ConvOptions{OutLen: nTimes, MaxFFTLen: 32768})
		half := int64(f.Delay())
		nEdge := firEdge(len(f.Taps), int64(nTimes))
		n := int64(nTimes)
		parallelRows(len(rows), func() any { return make([]float64, nTimes+len(f.Taps)-1) }, func(i int, scratch any) {
			ext := scratch.([]float64)
			x := data[rows[i]*nTimes : (rows[i]+1)*nTimes]
			fillExt(ext, -half, n, nEdge, x, 0, x[0], x[n-1])
			conv.Valid(x, ext)
		}, 0)
	case "iir":
		pad := int64(min(f.PadLen, nTimes-1))
		zi := sosZI(f.SOS)
		n := int64(nTimes)
		// groups of four channels (see sosRows)
		groups := (len(rows) + 3) / 4
		parallelRows(groups, func() any {
			bufs := make([][]float64, 4)
			for i := range bufs {
				bufs[i] = make([]float64, nTimes+2*int(pad))
			}
			return bufs
		}, func(g int, scratch any) {
			rs := rows[4*g : min(4*g+4, len(rows))]
			exts := scratch.([][]float64)[:len(rs)]
			states := make([][][2]float64, len(rs))
			for j, r := range rs {
				x := data[r*nTimes : (r+1)*nTimes]
				fillExt(exts[j], -pad, n, pad, x, 0, x[0], x[n-1])
				states[j] = scaledZI(zi, exts[j][0])
			}
			sosRows(f.SOS, states, exts, false)
			for j, ext := range exts {
				states[j] = scaledZI(zi, ext[len(ext)-1])
			}
			sosRows(f.SOS, states, exts, true)
			for j, r := range rs {
				copy(data[r*nTimes:(r+1)*nTimes], exts[j][pad:pad+n])
			}
		}, 0)
	default:
		return fmt.Errorf("filter: unknown method %q", f.Method)
	}
	return nil
}

// firEdge is MNE's n_edge: the reflection covers at most len(taps)-1
// samples, and at most n-1 (the samples there are), beyond which the
// padded signal is zero.
func firEdge(nTaps int, n int64) int64 {
	return max(min(int64(nTaps), n)-1, 0)
}

// The IIR application is scipy's sosfiltfilt on a padded signal: forward
// from the steady state (sosZI) of the first padded sample, backward from
// the steady state of the last forward output.

func scaledZI(zi [][2]float64, v float64) [][2]float64 {
	st := make([][2]float64, len(zi))
	for i, z := range zi {
		st[i] = [2]float64{z[0] * v, z[1] * v}
	}
	return st
}

// fillExt writes into dst the padded signal at indices lo, lo+1, ...
// (relative to the first sample of a recording of n samples): inside
// [0, n) the samples themselves; within nEdge samples before the start
// the odd reflection 2·x[0] - x[-j] (MNE's 'reflect_limited', scipy's
// odd_ext), likewise after the end; zero beyond. win holds samples
// [wlo, wlo+len(win)), which must include every sample used, reflected
// ones too; x0 and xLast are x[0] and x[n-1].
func fillExt(dst []float64, lo, n, nEdge int64, win []float64, wlo int64, x0, xLast float64) {
	hi := lo + int64(len(dst))
	for j := lo; j < min(0, hi); j++ {
		v := 0.0
		if -j <= nEdge {
			v = 2*x0 - win[-j-wlo]
		}
		dst[j-lo] = v
	}
	if a, b := max(lo, 0), min(hi, n); a < b {
		copy(dst[a-lo:b-lo], win[a-wlo:b-wlo])
	}
	for j := max(lo, n); j < hi; j++ {
		v := 0.0
		if t := j - (n - 1); t <= nEdge {
			v = 2*xLast - win[n-1-t-wlo]
		}
		dst[j-lo] = v
	}
}

// parallelRows calls fn(i, scratch) for i in [0, n) on up to workers
// goroutines (0: GOMAXPROCS), each with its own scratch from newScratch.
func parallelRows(n int, newScratch func() any, fn func(i int, scratch any), workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if workers <= 1 {
		s := newScratch()
		for i := 0; i < n; i++ {
			fn(i, s)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newScratch()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i, s)
			}
		}()
	}
	wg.Wait()
}
