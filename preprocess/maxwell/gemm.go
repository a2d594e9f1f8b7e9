package maxwell

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The two products that dominate Maxwell filtering are a small matrix
// (at most a few hundred square) times a long block of data (channels x
// samples), and the Gram matrix of such a block. On CPUs with AVX2 and FMA
// they run on a packed 6x8 micro-kernel (kernel_amd64.s) over column
// panels split between the cores; elsewhere gonum's Dgemm does the work.
// Rows of the data are taken through an index list, so the good MEG
// channels are read in place from a buffer holding every channel.

const panelCols = 128 // columns of the data packed at a time

const (
	gramKC = 256 // samples per block of the Gram matrix
	minPar = 1 << 21
)

// rowOf returns the index of row p of a row-indexed matrix.
func rowOf(rows []int, p int) int {
	if rows == nil {
		return p
	}
	return rows[p]
}

// mulRows computes C = A X for row-major A (m x k) and X whose row p is
// x[rowOf(rows, p)*ldx:][:n]; C is m x n with row stride ldc.
func mulRows(C []float64, ldc int, A []float64, m, k int, x []float64, ldx int, rows []int, n int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range m {
			clear(C[i*ldc : i*ldc+n])
		}
		return
	}
	if !haveFMA {
		mulRowsGeneric(C, ldc, A, m, k, x, ldx, rows, n)
		return
	}
	mp := (m + 5) / 6
	Ap := make([]float64, mp*6*k)
	for P := range mp {
		pa := Ap[P*6*k : (P+1)*6*k]
		for ii := range 6 {
			i := P*6 + ii
			if i >= m {
				break
			}
			row := A[i*k : (i+1)*k]
			for p, v := range row {
				pa[p*6+ii] = v
			}
		}
	}
	nPanels := (n + panelCols - 1) / panelCols
	workers := parallelism(nPanels, 2*m*k*n)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*nPanels/workers, (w+1)*nPanels/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			Bp := make([]float64, k*panelCols)
			var tile [48]float64
			for J := lo; J < hi; J++ {
				j0 := J * panelCols
				wdt := min(panelCols, n-j0)
				nsub := (wdt + 7) / 8
				for p := range k {
					src := x[rowOf(rows, p)*ldx+j0:][:wdt]
					for s := range nsub {
						dst := Bp[s*k*8+p*8:][:8]
						if s*8+8 <= wdt {
							d, v := (*[8]float64)(dst), (*[8]float64)(src[s*8:])
							d[0], d[1], d[2], d[3] = v[0], v[1], v[2], v[3]
							d[4], d[5], d[6], d[7] = v[4], v[5], v[6], v[7]
						} else {
							c := copy(dst, src[s*8:])
							clear(dst[c:])
						}
					}
				}
				for s := range nsub {
					cols := min(8, wdt-s*8)
					bp := &Bp[s*k*8]
					for P := range mp {
						r := min(6, m-P*6)
						c0 := P*6*ldc + j0 + s*8
						if r == 6 && cols == 8 {
							kern6x8(k, &Ap[P*6*k], bp, &C[c0], ldc, false)
							continue
						}
						kern6x8(k, &Ap[P*6*k], bp, &tile[0], 8, false)
						for ii := range r {
							copy(C[c0+ii*ldc:c0+ii*ldc+cols], tile[ii*8:ii*8+cols])
						}
					}
				}
			}
		}()
	}
	wg.Wait()
}

// parallelism returns the number of goroutines for a job of the given
// number of independent parts and floating-point operations.
func parallelism(parts, flops int) int {
	w := runtime.GOMAXPROCS(0)
	if flops < minPar {
		w = 1
	}
	return max(1, min(w, parts))
}

func mulRowsGeneric(C []float64, ldc int, A []float64, m, k int, x []float64, ldx int, rows []int, n int) {
	X := make([]float64, k*n)
	for p := range k {
		copy(X[p*n:(p+1)*n], x[rowOf(rows, p)*ldx:][:n])
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: m, Cols: k, Stride: max(k, 1), Data: A},
		blas64.General{Rows: k, Cols: n, Stride: n, Data: X}, 0,
		blas64.General{Rows: m, Cols: n, Stride: ldc, Data: C})
}

// gramRows returns G = X X^T (m x m) for the m rows of x given by rows,
// n samples each (row i at x[rowOf(rows, i)*ldx:][:n]).
func gramRows(x []float64, ldx int, rows []int, m, n int) []float64 {
	G := make([]float64, m*m)
	if m == 0 || n == 0 {
		return G
	}
	if !haveFMA {
		X := make([]float64, m*n)
		for i := range m {
			copy(X[i*n:(i+1)*n], x[rowOf(rows, i)*ldx:][:n])
		}
		d := blas64.General{Rows: m, Cols: n, Stride: n, Data: X}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, d, d, 0, blas64.General{Rows: m, Cols: m, Stride: m, Data: G})
		return G
	}
	mp, ms := (m+5)/6, (m+7)/8
	nBlocks := (n + gramKC - 1) / gramKC
	workers := parallelism(nBlocks, m*m*n)
	parts := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*nBlocks/workers, (w+1)*nBlocks/workers
		Gw := G
		if w > 0 {
			Gw = make([]float64, m*m)
		}
		parts[w] = Gw
		wg.Add(1)
		go func() {
			defer wg.Done()
			Ap := make([]float64, mp*6*gramKC)
			Bp := make([]float64, ms*8*gramKC)
			var tile [48]float64
			for blk := lo; blk < hi; blk++ {
				t0 := blk * gramKC
				kc := min(gramKC, n-t0)
				for P := range mp {
					pa := Ap[P*6*kc : (P+1)*6*kc]
					for ii := range 6 {
						i := P*6 + ii
						if i >= m {
							for p := range kc {
								pa[p*6+ii] = 0
							}
							continue
						}
						src := x[rowOf(rows, i)*ldx+t0:][:kc]
						for p, v := range src {
							pa[p*6+ii] = v
						}
					}
				}
				for S := range ms {
					pb := Bp[S*8*kc : (S+1)*8*kc]
					for jj := range 8 {
						j := S*8 + jj
						if j >= m {
							for p := range kc {
								pb[p*8+jj] = 0
							}
							continue
						}
						src := x[rowOf(rows, j)*ldx+t0:][:kc]
						for p, v := range src {
							pb[p*8+jj] = v
						}
					}
				}
				for S := range ms {
					cols := min(8, m-S*8)
					for P := range mp {
						if P*6 >= (S+1)*8 {
							break // lower triangle: mirrored below
						}
						r := min(6, m-P*6)
						c0 := P*6*m + S*8
						if r == 6 && cols == 8 {
							kern6x8(kc, &Ap[P*6*kc], &Bp[S*8*kc], &Gw[c0], m, true)
							continue
						}
						kern6x8(kc, &Ap[P*6*kc], &Bp[S*8*kc], &tile[0], 8, false)
						for ii := range r {
							row := Gw[c0+ii*m : c0+ii*m+cols]
							for jj := range row {
								row[jj] += tile[ii*8+jj]
							}
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, Gw := range parts[1:] {
		for i := range G {
			G[i] += Gw[i]
		}
	}
	for i := range m {
		for j := range i {
			G[i*m+j] = G[j*m+i]
		}
	}
	return G
}
