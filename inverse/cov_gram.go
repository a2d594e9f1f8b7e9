package inverse

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// segment is a run of samples of one data block: the columns [c0, c1) of
// a channel-major array whose rows are nt samples long.
type segment struct {
	data   []float64
	nt     int
	c0, c1 int
}

// sampleSet is the sequence of samples a covariance is estimated from:
// the rows (channels) of every segment, segments in order. Sample k is the
// k-th column of the segments laid end to end (the order MNE's hstack of
// the epochs gives, which decides its cross-validation folds).
type sampleSet struct {
	rows []int
	segs []segment
	n    int
}

func (s *sampleSet) add(data []float64, nt, c0, c1 int) {
	if c1 > c0 {
		s.segs = append(s.segs, segment{data: data, nt: nt, c0: c0, c1: c1})
		s.n += c1 - c0
	}
}

// blockCols is the number of samples gathered per rank update.
const blockCols = 1024

// piece is a run of samples that belongs to one fold.
type piece struct {
	seg    int
	c0, c1 int
	fold   int
}

// pieces splits the segments at the fold boundaries (bounds[f] is the
// first sample of fold f; bounds[len-1] = n) and groups them into blocks
// of at most blockCols samples of one fold.
func (s *sampleSet) blocks(bounds []int) [][]piece {
	var out [][]piece
	var cur []piece
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	nf := len(bounds) - 1
	curN, curFold := 0, -1
	pos, fold := 0, 0
	for si, sg := range s.segs {
		for c := sg.c0; c < sg.c1; {
			for fold < nf-1 && pos >= bounds[fold+1] {
				fold++
			}
			take := sg.c1 - c
			if fold < nf-1 {
				take = min(take, bounds[fold+1]-pos)
			}
			if fold != curFold || curN == blockCols {
				flush()
				curN, curFold = 0, fold
			}
			take = min(take, blockCols-curN)
			cur = append(cur, piece{seg: si, c0: c, c1: c + take, fold: fold})
			curN += take
			c += take
			pos += take
		}
	}
	flush()
	return out
}

// gather copies the rows of a block's samples into buf (nrow x ncols,
// row-major) and returns the number of columns.
func (s *sampleSet) gather(buf []float64, blk []piece) int {
	ncols := 0
	for _, p := range blk {
		ncols += p.c1 - p.c0
	}
	col := 0
	for _, p := range blk {
		sg := s.segs[p.seg]
		w := p.c1 - p.c0
		for i, r := range s.rows {
			copy(buf[i*ncols+col:i*ncols+col+w], sg.data[r*sg.nt+p.c0:r*sg.nt+p.c1])
		}
		col += w
	}
	return ncols
}

// grams returns the Gram matrix Σ x xᵀ (unscaled, full n x n, row-major)
// of the samples of each fold, and the per-row sums when sums is true. The
// blocks are shared among the cores, each accumulating its own matrices,
// summed at the end in a fixed order.
func (s *sampleSet) grams(bounds []int, sums bool) ([][]float64, []float64) {
	nr := len(s.rows)
	nf := len(bounds) - 1
	blks := s.blocks(bounds)
	workers := max(1, min(runtime.GOMAXPROCS(0), len(blks)))
	type acc struct {
		g   [][]float64
		sum []float64
	}
	accs := make([]acc, workers)
	var wg sync.WaitGroup
	per := (len(blks) + workers - 1) / workers
	for w := range workers {
		accs[w].g = make([][]float64, nf)
		for f := range nf {
			accs[w].g[f] = make([]float64, nr*nr)
		}
		if sums {
			accs[w].sum = make([]float64, nr)
		}
		lo, hi := min(w*per, len(blks)), min((w+1)*per, len(blks))
		wg.Add(1)
		go func(a *acc, mine [][]piece) {
			defer wg.Done()
			buf := make([]float64, nr*blockCols)
			for _, blk := range mine {
				nc := s.gather(buf, blk)
				b := blas64.General{Rows: nr, Cols: nc, Stride: nc, Data: buf[:nr*nc]}
				c := blas64.Symmetric{Uplo: blas.Upper, N: nr, Stride: nr, Data: a.g[blk[0].fold]}
				blas64.Syrk(blas.NoTrans, 1, b, 1, c)
				if a.sum != nil {
					for i := range nr {
						t := 0.0
						for _, v := range buf[i*nc : (i+1)*nc] {
							t += v
						}
						a.sum[i] += t
					}
				}
			}
		}(&accs[w], blks[lo:hi])
	}
	wg.Wait()
	out := accs[0].g
	for w := 1; w < workers; w++ {
		for f := range nf {
			for i, v := range accs[w].g[f] {
				out[f][i] += v
			}
		}
		if sums {
			for i, v := range accs[w].sum {
				accs[0].sum[i] += v
			}
		}
	}
	for f := range nf {
		g := out[f]
		for i := range nr {
			for j := range i {
				g[i*nr+j] = g[j*nr+i]
			}
		}
	}
	return out, accs[0].sum
}

// kfold returns the boundaries of scikit-learn's KFold(k) without
// shuffling: n // k samples per fold, the first n % k folds one more.
func kfold(n, k int) []int {
	b := make([]int, k+1)
	for f := range k {
		size := n / k
		if f < n%k {
			size++
		}
		b[f+1] = b[f] + size
	}
	return b
}
